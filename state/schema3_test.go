package state

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// testdata/state-v3-every-field.json was written by the schema 3 code as it
// stood before the code was slimmed (commit 455db6b): every field of State,
// at every depth, set to a value of its own (a reflection filler, one map
// entry and one slice element each). The code of today must read it and
// write it back with nothing lost or changed: the slimming kept the format.
func TestSchema3FileFromBeforeKeepsEveryField(t *testing.T) {
	raw, err := os.ReadFile("testdata/state-v3-every-field.json")
	if err != nil {
		t.Fatal(err)
	}
	st, err := Decode(raw)
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	store, err := Open(filepath.Join(t.TempDir(), "state.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := store.Save(st); err != nil {
		t.Fatalf("Save: %v", err)
	}
	saved, err := os.ReadFile(store.Path())
	if err != nil {
		t.Fatal(err)
	}
	var want, got map[string]any
	if err := json.Unmarshal(raw, &want); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(saved, &got); err != nil {
		t.Fatal(err)
	}
	// Save stamps the writer and the time; everything else must be as read.
	for _, m := range []map[string]any{want, got} {
		delete(m, "written_by")
		delete(m, "updated_at")
	}
	if len(want) < 15 {
		t.Fatalf("the fixture has %d top-level fields: not the every-field file it should be", len(want))
	}
	for k := range want {
		if !reflect.DeepEqual(want[k], got[k]) {
			w, _ := json.MarshalIndent(want[k], "", "  ")
			g, _ := json.MarshalIndent(got[k], "", "  ")
			t.Errorf("%q changed on a load and save:\nfile:  %s\nsaved: %s", k, w, g)
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("%q appeared on a load and save", k)
		}
	}
}
