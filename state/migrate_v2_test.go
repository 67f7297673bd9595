package state

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// testdata/state-v2.json was written by schema 2's Store.Save (the schema
// 1 file of migrate_test.go, read and saved again): open jobs, an outbox
// to two webhooks, a refused webhook, a dead letter.
const stateV2 = "testdata/state-v2.json"

// TestMigrateV2 reads a schema 2 file: every message and job is kept as
// it was, no message is an app call, no thread is known, and the file
// saved again is schema 3 and reads back the same.
func TestMigrateV2(t *testing.T) {
	raw, err := os.ReadFile(stateV2)
	if err != nil {
		t.Fatal(err)
	}
	var old struct {
		Version     int
		Outbox      []json.RawMessage
		DeadLetters []json.RawMessage          `json:"dead_letters"`
		DeadHooks   map[string]json.RawMessage `json:"dead_hooks"`
		NextSeq     int64                      `json:"next_seq"`
	}
	if err := json.Unmarshal(raw, &old); err != nil {
		t.Fatal(err)
	}
	if old.Version != 2 || len(old.Outbox) < 2 || len(old.DeadHooks) < 1 {
		t.Fatalf("the fixture is not the schema 2 file it should be: version %d, %d messages, %d dead hooks",
			old.Version, len(old.Outbox), len(old.DeadHooks))
	}
	st, err := Decode(raw)
	if err != nil {
		t.Fatalf("Decode of a schema 2 file: %v", err)
	}
	if st.Version != Version || Version != 3 {
		t.Fatalf("version %d after reading, Version %d; want 3", st.Version, Version)
	}
	if st.NextSeq != old.NextSeq || len(st.Outbox) != len(old.Outbox) || len(st.DeadLetters) != len(old.DeadLetters) ||
		len(st.DeadHooks) != len(old.DeadHooks) || st.OpenJobs() == 0 {
		t.Fatalf("lost something: next_seq %d, outbox %d, dead letters %d, dead hooks %d, open jobs %d",
			st.NextSeq, len(st.Outbox), len(st.DeadLetters), len(st.DeadHooks), st.OpenJobs())
	}
	for i, m := range st.Outbox {
		var o struct{ Payload json.RawMessage }
		if err := json.Unmarshal(old.Outbox[i], &o); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(m.Payload, o.Payload) {
			t.Errorf("message %d: payload changed", m.Seq)
		}
		if m.Op != "" || m.Channel != "" || m.Thread != "" {
			t.Errorf("message %d became an app call: %+v", m.Seq, m)
		}
	}
	if len(st.Threads) != 0 {
		t.Errorf("threads out of nowhere: %v", st.Threads)
	}

	s, err := Open(filepath.Join(t.TempDir(), "state.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Save(st); err != nil {
		t.Fatal(err)
	}
	again, _, err := s.Load()
	if err != nil {
		t.Fatal(err)
	}
	if again.Version != 3 || len(again.Outbox) != len(st.Outbox) || again.NextSeq != st.NextSeq {
		t.Fatalf("saved again: version %d, outbox %d, next_seq %d", again.Version, len(again.Outbox), again.NextSeq)
	}
}
