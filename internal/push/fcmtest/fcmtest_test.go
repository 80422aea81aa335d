package fcmtest

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestServerAnswers posts raw FCM HTTP v1 requests and checks the scripted
// answers byte for byte where clients depend on them.
func TestServerAnswers(t *testing.T) {
	s := New(Options{})
	defer s.Close()
	s.Script("t1", Outcome{Kind: Unregistered}, Outcome{Kind: Unavailable, RetryAfter: 30 * time.Second},
		Outcome{Kind: TooManyRequests, RetryAfter: 2 * time.Second})
	tests := []struct {
		status     int
		retryAfter string
		body       string
	}{
		{404, "", `{"error":{"code":404,"status":"NOT_FOUND","message":"Requested entity was not found.","details":[{"@type":"type.googleapis.com/google.firebase.fcm.v1.FcmError","errorCode":"UNREGISTERED"}]}}`},
		{503, "30", `{"error":{"code":503,"status":"UNAVAILABLE","message":"The service is currently unavailable.","details":[{"@type":"type.googleapis.com/google.firebase.fcm.v1.FcmError","errorCode":"UNAVAILABLE"}]}}`},
		{429, "2", `{"error":{"code":429,"status":"RESOURCE_EXHAUSTED","message":"Quota exceeded for quota metric 'Send requests'.","details":[{"@type":"type.googleapis.com/google.firebase.fcm.v1.FcmError","errorCode":"QUOTA_EXCEEDED"}]}}`},
		{200, "", `{"name":"projects/p1/messages/1"}`},
	}
	for i, tc := range tests {
		resp, err := http.Post(s.URL+"/v1/projects/p1/messages:send", "application/json",
			strings.NewReader(`{"message":{"token":"t1","data":{"k":"v"}}}`))
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		got := []any{resp.StatusCode, resp.Header.Get("Retry-After"), strings.TrimSpace(string(body))}
		if diff := cmp.Diff([]any{tc.status, tc.retryAfter, tc.body}, got); diff != "" {
			t.Errorf("request %d (-want +got):\n%s", i, diff)
		}
	}
	reqs := s.Requests()
	if len(reqs) != 4 || len(s.Accepted()) != 1 || reqs[0].Token != "t1" || reqs[0].Project != "p1" ||
		reqs[3].Message.Data["k"] != "v" || reqs[3].MessageID != "projects/p1/messages/1" {
		t.Errorf("recorded %+v", reqs)
	}
}

// TestSlowAnswerGivenUp checks that a client giving up on a slow answer is
// recorded as not accepted.
func TestSlowAnswerGivenUp(t *testing.T) {
	s := New(Options{Decide: func(string, int) Outcome { return Outcome{Kind: Slow, Delay: 5 * time.Second} }})
	defer s.Close()
	c := &http.Client{Timeout: 100 * time.Millisecond}
	if _, err := c.Post(s.URL+"/v1/projects/p/messages:send", "application/json",
		strings.NewReader(`{"message":{"token":"slow"}}`)); err == nil {
		t.Fatal("the slow answer came in time")
	}
	deadline := time.Now().Add(2 * time.Second)
	for len(s.Requests()) == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if r := s.Requests(); len(r) != 1 || r[0].Accepted {
		t.Errorf("recorded %+v, want one request not accepted", r)
	}
}
