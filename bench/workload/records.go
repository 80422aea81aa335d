// Package workload loads the performance reference workload of DESIGN.md
// into an AgentDesk database: the agents' books that ../shared/bench/datagen.py
// writes as JSONL (the same records other backends are loaded with), a
// toolkit of 500 published items, teams of 20 agents with a team lead, and
// an admin; personal data encrypted as the API would, every synced row
// written through store.WithTx (so the change log is complete), and
// portraits and service plans computed.
package workload

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"os"
	"path/filepath"
	"time"

	"github.com/google/uuid"
	"golang.org/x/crypto/blake2b"
)

// AgentPassword is the password of every account the loader creates: the
// one datagen.py writes into agents.jsonl.
const AgentPassword = "Passw0rd-agent-bench"

// namespace maps datagen's 15-character ids to UUIDs (version 5).
var namespace = uuid.MustParse("5b1f0e0c-7a8e-4c7e-9a43-6167656e7464")

// UUID returns the database id of a datagen id.
func UUID(datagenID string) uuid.UUID { return uuid.NewSHA1(namespace, []byte(datagenID)) }

const b36 = "0123456789abcdefghijklmnopqrstuvwxyz"

// RID is datagen.py's rid: a 15-character base-36 id from BLAKE2b-96 of
// "kind:part:part…", so that accounts beyond the loaded books get the same
// ids other backends give them.
func RID(kind string, parts ...any) string {
	s := kind + ":"
	for i, p := range parts {
		if i > 0 {
			s += ":"
		}
		s += fmt.Sprint(p)
	}
	h, _ := blake2b.New(12, nil)
	h.Write([]byte(s))
	n := new(big.Int).SetBytes(h.Sum(nil))
	out := make([]byte, 15)
	m, r := new(big.Int), big.NewInt(36)
	for i := range out {
		n.DivMod(n, r, m)
		out[i] = b36[m.Int64()]
	}
	return string(out)
}

// AgentID is datagen's id of agent a; AgentEmail its login.
func AgentID(a int) string { return RID("agent", a) }

// AgentEmail is the username of agent a.
func AgentEmail(a int) string { return fmt.Sprintf("agent%03d@example.com", a) }

// Agent is a line of agents.jsonl.
type Agent struct {
	ID       string `json:"id"`
	Email    string `json:"email"`
	Password string `json:"password"`
}

// Customer is a line of customers.jsonl.
type Customer struct {
	ID         string   `json:"id"`
	Name       string   `json:"name"`
	Phone      string   `json:"phone"`
	Tags       []string `json:"tags"`
	Agent      string   `json:"agent"`
	LifeStage  string   `json:"life_stage"`
	IncomeBand int      `json:"income_band"`
	BirthDate  string   `json:"birth_date"`
	Notes      string   `json:"notes"`
}

// Policy is a line of policies.jsonl.
type Policy struct {
	ID         string  `json:"id"`
	Customer   string  `json:"customer"`
	Agent      string  `json:"agent"`
	Product    string  `json:"product"`
	Line       string  `json:"line"`
	Premium    float64 `json:"premium"`
	SumAssured int64   `json:"sum_assured"`
	NextDue    string  `json:"next_due"`
	Renewal    string  `json:"renewal"`
	Status     string  `json:"status"`
}

// Interaction is a line of interactions.jsonl.
type Interaction struct {
	ID              string `json:"id"`
	Customer        string `json:"customer"`
	Agent           string `json:"agent"`
	Channel         string `json:"channel"`
	Type            string `json:"type"`
	Content         string `json:"content"`
	Result          string `json:"result"`
	ReceivedAt      string `json:"received_at"`
	FirstResponseAt string `json:"first_response_at"`
}

// Task is a line of tasks.jsonl.
type Task struct {
	ID       string `json:"id"`
	Customer string `json:"customer"`
	Agent    string `json:"agent"`
	Title    string `json:"title"`
	Status   string `json:"status"`
	DueAt    string `json:"due_at"`
}

// datagen's time format (PocketBase's).
const timeLayout = "2006-01-02 15:04:05.000Z"

// ParseTime reads a datagen time.
func ParseTime(s string) (time.Time, error) {
	t, err := time.Parse(timeLayout, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("datagen time %q: %w", s, err)
	}
	return t.UTC(), nil
}

// openJSONL opens DIR/NAME.jsonl, or NAME.jsonl.gz when only that exists.
// agentField is how datagen writes a record's agent.
var agentField = []byte(`"agent": "`)

// lineOfAgents returns a filter of datagen lines for readJSONL: a line is
// decoded when its "agent" field, found without decoding, names one of
// agents, or when the field is not written as datagen writes it. (A quote
// inside a JSON string is escaped, so the pattern is the key.) Decoding
// was most of a load's CPU when it selected a few books of many.
func lineOfAgents(agents map[string]uuid.UUID) func([]byte) bool {
	return func(line []byte) bool {
		i := bytes.Index(line, agentField)
		if i < 0 {
			return true
		}
		rest := line[i+len(agentField):]
		j := bytes.IndexByte(rest, '"')
		if j < 0 {
			return true
		}
		_, ok := agents[string(rest[:j])]
		return ok
	}
}

func openJSONL(dir, name string) (io.ReadCloser, error) {
	p := filepath.Join(dir, name+".jsonl")
	f, err := os.Open(p)
	if err == nil {
		return f, nil
	}
	if !os.IsNotExist(err) {
		return nil, err
	}
	gf, gerr := os.Open(p + ".gz")
	if gerr != nil {
		return nil, fmt.Errorf("open %s: %w", p, err)
	}
	zr, err := gzip.NewReader(gf)
	if err != nil {
		gf.Close()
		return nil, fmt.Errorf("%s.gz: %w", p, err)
	}
	return struct {
		io.Reader
		io.Closer
	}{zr, gf}, nil
}

// ReadJSONL calls fn with every record of DIR/NAME.jsonl(.gz), in order.
func ReadJSONL[T any](dir, name string, fn func(*T) error) error {
	return readJSONL(dir, name, nil, fn)
}

// readJSONL is ReadJSONL that decodes only the lines want accepts (all
// when want is nil).
func readJSONL[T any](dir, name string, want func(line []byte) bool, fn func(*T) error) error {
	rc, err := openJSONL(dir, name)
	if err != nil {
		return err
	}
	defer rc.Close()
	sc := bufio.NewScanner(rc)
	sc.Buffer(make([]byte, 0, 1<<16), 16<<20)
	line := 0
	for sc.Scan() {
		line++
		if len(sc.Bytes()) == 0 || (want != nil && !want(sc.Bytes())) {
			continue
		}
		var rec T
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			return fmt.Errorf("%s.jsonl line %d: %w", name, line, err)
		}
		if err := fn(&rec); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("read %s.jsonl: %w", name, err)
	}
	return nil
}
