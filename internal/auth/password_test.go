package auth

import (
	"errors"
	"testing"
)

func TestPasswordHashing(t *testing.T) {
	h, err := HashPassword("s3cret-密码")
	if err != nil {
		t.Fatal(err)
	}
	if err := VerifyPassword("s3cret-密码", h); err != nil {
		t.Fatalf("right password: %v", err)
	}
	if err := VerifyPassword("wrong", h); !errors.Is(err, ErrMismatch) {
		t.Fatalf("wrong password: %v, want ErrMismatch", err)
	}
	if NeedsRehash(h) {
		t.Fatal("fresh hash needs rehash")
	}
	weak, _ := hashWith("pw", argonParams{Memory: 4 * 1024, Time: 2, Threads: 1, KeyLen: 32, SaltLen: 16})
	if err := VerifyPassword("pw", weak); err != nil {
		t.Fatalf("old-parameter hash no longer verifies: %v", err)
	}
	if !NeedsRehash(weak) {
		t.Fatal("old-parameter hash not flagged for rehash")
	}
	for _, bad := range []string{"", "$argon2i$v=19$m=1,t=1,p=1$AA$AA", "$argon2id$v=19$m=999999999,t=1,p=1$AAAA$AAAAAAAAAAAAAAAAAAAAAA"} {
		if err := VerifyPassword("pw", bad); err == nil {
			t.Errorf("VerifyPassword(%q) accepted a malformed hash", bad)
		}
	}
}
