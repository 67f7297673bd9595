package state

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kamobot/kamobot/api"
	"github.com/kamobot/kamobot/job"
)

func TestStoreRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "state.json")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	s.WrittenBy = "kamobot test"
	st, fresh, err := s.Load()
	if err != nil || !fresh {
		t.Fatalf("Load of a missing file = fresh %v, %v; want fresh, nil", fresh, err)
	}
	tn := st.Tenant(3, "vision", "画像")
	tn.Cursor("training").MaxID = 42
	st.Enqueue(Message{Hook: DefaultHook, Kind: "events", Payload: []byte(`{"text":"hi"}`)})
	if err := s.Save(st); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("state file mode %v, want 0600", fi.Mode().Perm())
	}
	got, fresh, err := s.Load()
	if err != nil || fresh {
		t.Fatalf("Load = fresh %v, %v", fresh, err)
	}
	if got.Tenants["3"].Kinds["training"].MaxID != 42 || got.Tenants["3"].DisplayName != "画像" ||
		len(got.Outbox) != 1 || got.Outbox[0].Seq != 1 || got.WrittenBy != "kamobot test" {
		t.Errorf("loaded state differs: %+v", got)
	}
	leftovers, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".*"))
	if len(leftovers) != 0 {
		t.Errorf("temporary files left behind: %v", leftovers)
	}
}

func TestStoreRefusesBadFilesAndLeavesThemAlone(t *testing.T) {
	tests := []struct {
		name, body string
		want       error
		says       string
	}{
		{"empty", "", ErrCorrupt, "empty"},
		{"truncated", `{"version":1,"tenants":{"3":{"id":`, ErrCorrupt, "state file is corrupt"},
		{"garbage", "\x00\x01 not json", ErrCorrupt, "line 1"},
		{"no version", `{"tenants":{}}`, ErrCorrupt, "version"},
		{"wrong types", `{"version":1,"tenants":[]}`, ErrCorrupt, "tenants"},
		{"newer", `{"version":99,"written_by":"kamobot v9.0.0"}`, ErrNewer, "kamobot v9.0.0 wrote schema 99"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "state.json")
			if err := os.WriteFile(path, []byte(tt.body), 0o600); err != nil {
				t.Fatal(err)
			}
			s, _ := Open(path)
			_, _, err := s.Load()
			if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.says) || !strings.Contains(err.Error(), path) {
				t.Fatalf("Load error = %v; want %v mentioning %q and the path", err, tt.want, tt.says)
			}
			b, _ := os.ReadFile(path)
			if !bytes.Equal(b, []byte(tt.body)) {
				t.Error("the file was changed")
			}
		})
	}
}

func TestStoreResetMovesAside(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "state.json")
	os.WriteFile(path, []byte("broken"), 0o600)
	s, _ := Open(path)
	s.Now = func() time.Time { return time.Date(2026, 11, 25, 1, 2, 3, 0, time.UTC) }
	aside, err := s.Reset()
	if err != nil {
		t.Fatal(err)
	}
	if want := path + ".corrupt-20261125T010203Z"; aside != want {
		t.Errorf("moved to %s, want %s", aside, want)
	}
	if b, _ := os.ReadFile(aside); string(b) != "broken" {
		t.Error("the old content was not kept")
	}
	if _, fresh, err := s.Load(); !fresh || err != nil {
		t.Errorf("after reset: fresh %v, %v", fresh, err)
	}
}

func TestStoreLockIsExclusiveAndNamesTheHolder(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json")
	a, _ := Open(path)
	b, _ := Open(path)
	unlock, err := a.Lock(t.Context(), time.Second, "watch")
	if err != nil {
		t.Fatal(err)
	}
	_, err = b.Lock(t.Context(), 200*time.Millisecond, "check")
	if !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), "kamobot watch (pid") {
		t.Fatalf("second lock: %v; want ErrLocked naming the holder", err)
	}
	unlock()
	unlock2, err := b.Lock(t.Context(), time.Second, "check")
	if err != nil {
		t.Fatalf("lock after release: %v", err)
	}
	unlock2()
}

// TestStoreLockIsExclusiveInOneProcess: the same Store locked twice (a
// pass, and `/kamobot mute` answered meanwhile) must wait for the first
// holder: a flock already held "locks" again at once, and the second
// unlock would then release the lock under the first holder's feet.
func TestStoreLockIsExclusiveInOneProcess(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json")
	s, _ := Open(path)
	unlock, err := s.Lock(t.Context(), time.Second, "watch")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Lock(t.Context(), 150*time.Millisecond, "slack mute"); !errors.Is(err, ErrLocked) {
		t.Fatalf("second lock of the same store: %v, want ErrLocked", err)
	}
	other, _ := Open(path)
	if _, err := other.Lock(t.Context(), 150*time.Millisecond, "check"); !errors.Is(err, ErrLocked) {
		t.Fatalf("another store while the first holds it: %v, want ErrLocked", err)
	}
	unlock()
	unlock() // twice is harmless
	unlock2, err := s.Lock(t.Context(), time.Second, "slack mute")
	if err != nil {
		t.Fatalf("lock after release: %v", err)
	}
	unlock2()
}

func TestStoreLockHonoursCancel(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json")
	a, _ := Open(path)
	b, _ := Open(path)
	unlock, _ := a.Lock(t.Context(), time.Second, "watch")
	defer unlock()
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := b.Lock(ctx, time.Minute, "check"); !errors.Is(err, context.Canceled) {
		t.Fatalf("lock with a canceled context: %v", err)
	}
}

func TestStoreSaveFailsOnReadOnlyDir(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root ignores directory permissions")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "state.json")
	s, _ := Open(path)
	os.Chmod(dir, 0o500)
	defer os.Chmod(dir, 0o700)
	if err := s.Save(New()); !errors.Is(err, ErrWrite) {
		t.Fatalf("Save into a read-only directory: %v, want ErrWrite", err)
	}
}

func TestOutboxBookkeeping(t *testing.T) {
	st := New()
	a := st.Enqueue(Message{Hook: DefaultHook})
	b := st.Enqueue(Message{Hook: DefaultHook})
	if a.Seq != 1 || b.Seq != 2 {
		t.Fatalf("seqs %d %d", a.Seq, b.Seq)
	}
	st.Bury(a.Seq, "invalid_payload")
	st.MarkSent(b.Seq)
	if len(st.Outbox) != 0 || len(st.DeadLetters) != 1 || st.DeadLetters[0].LastError != "invalid_payload" {
		t.Fatalf("outbox %v dead %v", st.Outbox, st.DeadLetters)
	}
	for range MaxDeadLetters + 5 {
		st.Bury(st.Enqueue(Message{}).Seq, "x")
	}
	if len(st.DeadLetters) != MaxDeadLetters {
		t.Errorf("dead letters %d, want capped at %d", len(st.DeadLetters), MaxDeadLetters)
	}
}

func TestSaveTempFileBesideStateAndStaleOnesRemovedUnderLock(t *testing.T) {
	dir := t.TempDir()
	tmp := t.TempDir() // same file system: renameio would use it if allowed
	t.Setenv("TMPDIR", tmp)
	path := filepath.Join(dir, "state.json")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	stale := []string{".state.json123", ".state.json9876543210"}
	keep := []string{".state.json.bak", ".state.jsonx1", "state.json5", ".other.json42"}
	for _, n := range append(slices.Clone(stale), keep...) {
		if err := os.WriteFile(filepath.Join(dir, n), []byte("{"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	unlock, err := s.Lock(context.Background(), time.Second, "test")
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	for _, n := range stale {
		if _, err := os.Stat(filepath.Join(dir, n)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("stale temporary file %s not removed under the lock (%v)", n, err)
		}
	}
	for _, n := range keep {
		if _, err := os.Stat(filepath.Join(dir, n)); err != nil {
			t.Errorf("%s was removed: %v", n, err)
		}
	}
	var during []string
	s.BeforeRename = func() error {
		during, _ = filepath.Glob(filepath.Join(dir, ".state.json[0-9]*"))
		if inTmp, _ := filepath.Glob(filepath.Join(tmp, ".state.json*")); len(inTmp) != 0 {
			t.Errorf("temporary file in $TMPDIR: %v", inTmp)
		}
		return nil
	}
	if err := s.Save(New()); err != nil {
		t.Fatal(err)
	}
	if len(during) != 1 {
		t.Errorf("temporary files beside the state file while saving = %v, want one", during)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".state.json[0-9]*")); len(left) != 0 {
		t.Errorf("temporary files left after Save: %v", left)
	}
}

// Cursor returns the cursor of kind k, creating it.
func (t *TenantState) Cursor(k api.Kind) *job.KindCursor {
	c := t.Kinds[k]
	if c == nil {
		c = &job.KindCursor{Open: map[string]*job.Tracked{}}
		t.Kinds[k] = c
	}
	if c.Open == nil {
		c.Open = map[string]*job.Tracked{}
	}
	return c
}
