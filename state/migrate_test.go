package state

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// testdata/state-v1.json was written by kamobot's schema 1 (a check
// against the fakes): two tenants with open jobs, an outbox with a message
// to the default webhook (refused by Slack as a whole) and one to a
// tenant's own webhook, a dead letter.
const stateV1 = "testdata/state-v1.json"

// TestMigrateV1 reads a schema 1 file: nothing is lost, payloads become
// the JSON Slack gets, webhooks are named by tenant id, and the file saved
// again is schema 2 and reads back the same.
func TestMigrateV1(t *testing.T) {
	raw, err := os.ReadFile(stateV1)
	if err != nil {
		t.Fatal(err)
	}
	var old struct {
		Tenants map[string]json.RawMessage
		Outbox  []struct {
			Seq     int64
			Hook    string
			Payload []byte
			Summary string
		}
		DeadLetters []struct {
			Seq     int64
			Hook    string
			Payload []byte
		} `json:"dead_letters"`
		DeadHooks map[string]struct{ Fingerprint string } `json:"dead_hooks"`
		NextSeq   int64                                   `json:"next_seq"`
	}
	if err := json.Unmarshal(raw, &old); err != nil {
		t.Fatal(err)
	}
	st, err := Decode(raw)
	if err != nil {
		t.Fatalf("Decode of a schema 1 file: %v", err)
	}
	if st.Version != Version || st.NextSeq != old.NextSeq || len(st.Tenants) != len(old.Tenants) {
		t.Fatalf("version %d, next_seq %d, %d tenants; want %d, %d, %d", st.Version, st.NextSeq, len(st.Tenants),
			Version, old.NextSeq, len(old.Tenants))
	}
	if st.OpenJobs() == 0 {
		t.Fatal("no open job migrated")
	}
	if len(st.Outbox) != len(old.Outbox) || len(st.DeadLetters) != len(old.DeadLetters) || len(old.Outbox) < 2 ||
		len(old.DeadLetters) < 1 {
		t.Fatalf("outbox %d (file %d), dead letters %d (file %d)", len(st.Outbox), len(old.Outbox),
			len(st.DeadLetters), len(old.DeadLetters))
	}
	hooks := map[string]bool{}
	for i, m := range st.Outbox {
		o := old.Outbox[i]
		hooks[m.Hook.String()] = true
		if m.Seq != o.Seq || m.Hook.String() != o.Hook || !bytes.Equal(m.Payload, o.Payload) || m.Summary != o.Summary {
			t.Errorf("outbox[%d] = seq %d hook %s payload %.40s; file: seq %d hook %s payload %.40s", i, m.Seq, m.Hook,
				m.Payload, o.Seq, o.Hook, o.Payload)
		}
	}
	if !hooks["default"] || !hooks["tenant:2"] {
		t.Errorf("hooks %v, want default and tenant:2", hooks)
	}
	for i, m := range st.DeadLetters {
		if o := old.DeadLetters[i]; m.Seq != o.Seq || m.Hook.String() != o.Hook || !bytes.Equal(m.Payload, o.Payload) {
			t.Errorf("dead letter %d differs from the file", i)
		}
	}
	if len(st.DeadHooks) != len(old.DeadHooks) || st.DeadHooks[DefaultHook] == nil ||
		st.DeadHooks[DefaultHook].Fingerprint != old.DeadHooks["default"].Fingerprint {
		t.Errorf("dead hooks %v, file %v", st.DeadHooks, old.DeadHooks)
	}

	s, err := Open(filepath.Join(t.TempDir(), "state.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Save(st); err != nil {
		t.Fatal(err)
	}
	saved, err := os.ReadFile(s.Path())
	if err != nil {
		t.Fatal(err)
	}
	// Payloads are readable in the file: JSON, not base64.
	if b64 := base64.StdEncoding.EncodeToString(old.Outbox[0].Payload); bytes.Contains(saved, []byte(b64[:32])) ||
		!bytes.Contains(saved, old.Outbox[0].Payload) {
		t.Error("the saved file does not hold the payload as JSON")
	}
	again, _, err := s.Load()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(st, again); diff != "" {
		t.Errorf("schema 2 round trip (-migrated +reloaded):\n%s", diff)
	}
}
