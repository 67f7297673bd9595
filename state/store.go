package state

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/gofrs/flock"
	"github.com/google/renameio/v2"
)

// Errors a caller maps to exit codes.
var (
	// ErrCorrupt: the state file cannot be read as a kamobot state. It is
	// left untouched; `kamobot state reset --yes` moves it aside.
	ErrCorrupt = errors.New("state file is corrupt")
	// ErrNewer: the state file was written by a newer kamobot.
	ErrNewer = errors.New("state file was written by a newer kamobot")
	// ErrLocked: another kamobot holds the lock.
	ErrLocked = errors.New("another kamobot is running")
	// ErrWrite: the state could not be written (read-only, disk full, ...).
	ErrWrite = errors.New("cannot write the state")
)

// Store is the state file at one path, with its lock file beside it.
type Store struct {
	path string
	lock *flock.Flock
	// held is taken before the file lock: a flock.Flock already locked
	// "locks" again at once, so two holders in one process (a pass and
	// `/kamobot mute`) would both think they hold it, and the first unlock
	// would release it under the other.
	held chan struct{}
	// WrittenBy is recorded in the file ("kamobot v1.2.3").
	WrittenBy string
	// Now is the clock used for timestamps (time.Now when nil).
	Now func() time.Time
	// BeforeRename, when set, runs after the temporary file is written and
	// before it replaces the state file (tests use it to crash there, or to
	// fail the write as a full disk would: an error leaves the old file).
	BeforeRename func() error
}

// Open returns the store for the state file at path. Nothing is read yet;
// the directory is created (0700) when missing.
func Open(path string) (*Store, error) {
	if path == "" {
		return nil, errors.New("no state file path")
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("%w: create state directory %s: %w", ErrWrite, dir, err)
	}
	return &Store{path: path, lock: flock.New(path + ".lock"), held: make(chan struct{}, 1)}, nil
}

// Path is the state file's path.
func (s *Store) Path() string { return s.path }

func (s *Store) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// Lock takes the exclusive lock, waiting up to wait for another holder to
// finish. It records who holds it, so that a waiting process can say so.
// The returned function releases it. The kernel releases a lock whose
// holder dies, so a crash never leaves a stale lock.
func (s *Store) Lock(ctx context.Context, wait time.Duration, who string) (unlock func(), err error) {
	lctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	select {
	case s.held <- struct{}{}:
	case <-lctx.Done():
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("%w: this kamobot's own pass holds %s (waited %s)", ErrLocked, s.lock.Path(), wait)
	}
	ok, err := s.lock.TryLockContext(lctx, 100*time.Millisecond)
	if err != nil && !errors.Is(err, context.DeadlineExceeded) {
		<-s.held
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("lock %s: %w", s.lock.Path(), err)
	}
	if !ok {
		<-s.held
		b, _ := os.ReadFile(s.lock.Path()) // best effort: who wrote it
		holder := strings.TrimSpace(string(b))
		if holder == "" || len(b) > 512 {
			holder = "another process"
		}
		return nil, fmt.Errorf("%w: %s holds %s (waited %s)", ErrLocked, holder, s.lock.Path(), wait)
	}
	s.removeStaleTemps()
	info := fmt.Sprintf("kamobot %s (pid %d) since %s", who, os.Getpid(), s.now().Format(time.RFC3339))
	_ = os.WriteFile(s.lock.Path(), []byte(info+"\n"), 0o600) // best effort: only informs a waiter
	var once sync.Once
	return func() {
		once.Do(func() {
			_ = os.Truncate(s.lock.Path(), 0)
			_ = s.lock.Unlock()
			<-s.held
		})
	}, nil
}

// removeStaleTemps removes the temporary files a Save killed before its
// rename left beside the state file (".state.json" and digits). Only the
// lock holder saves, so none of them is in use.
func (s *Store) removeStaleTemps() {
	dir, base := filepath.Split(s.path)
	entries, err := os.ReadDir(filepath.Clean(dir))
	if err != nil {
		return
	}
	for _, e := range entries {
		digits, ok := strings.CutPrefix(e.Name(), "."+base)
		if ok && digits != "" && strings.Trim(digits, "0123456789") == "" && e.Type().IsRegular() {
			_ = os.Remove(filepath.Join(dir, e.Name())) // best effort
		}
	}
}

// Load reads the state. A missing file gives a new, empty state and
// fresh=true. A file that does not parse, or whose version is unknown, is an
// error wrapping ErrCorrupt or ErrNewer, and the file is left as it is.
func (s *Store) Load() (st *State, fresh bool, err error) {
	b, err := os.ReadFile(s.path)
	if errors.Is(err, fs.ErrNotExist) {
		return New(), true, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("read state %s: %w", s.path, err)
	}
	st, err = Decode(b)
	if err != nil {
		return nil, false, fmt.Errorf("%s: %w", s.path, err)
	}
	return st, false, nil
}

// Decode parses a state document and checks its version.
func Decode(b []byte) (*State, error) {
	if len(bytes.TrimSpace(b)) == 0 {
		return nil, fmt.Errorf("%w: the file is empty", ErrCorrupt)
	}
	// One parse in the common case (a large state takes a while); only a
	// document that does not fit State is parsed again, for its version
	// alone, so that a newer schema is told apart from a corrupt file.
	st := New()
	st.Version = 0 // a document without one must not keep New's
	err := json.Unmarshal(b, st)
	if err != nil || st.Version == 1 {
		// Schema 1 does not fit State (hooks were names, payloads base64).
		var head struct{ Version int }
		if json.Unmarshal(b, &head) == nil && head.Version == 1 {
			return migrateV1(b)
		}
	}
	if err != nil {
		return nil, checkVersion(b, err)
	}
	if st.Version > Version {
		return nil, checkVersion(b, nil)
	}
	if st.Version < 1 { // missing, null or not a positive integer
		return nil, fmt.Errorf("%w: no valid \"version\" field", ErrCorrupt)
	}
	st.makeMaps()
	// Schema 2 to 3 only added optional fields (app mode): a schema 2
	// document reads as it is.
	st.Version = Version
	return st, nil
}

// checkVersion explains why a document is refused: written by a newer
// kamobot (ErrNewer), else corrupt (ErrCorrupt, with the error of the full
// parse, if any).
func checkVersion(b []byte, parseErr error) error {
	var head struct {
		Version   *int   `json:"version"`
		WrittenBy string `json:"written_by"`
	}
	if err := json.Unmarshal(b, &head); err != nil {
		return fmt.Errorf("%w: %s", ErrCorrupt, jsonErr(b, err))
	}
	switch {
	case head.Version == nil || *head.Version < 1:
		return fmt.Errorf("%w: no valid \"version\" field", ErrCorrupt)
	case *head.Version > Version:
		by := head.WrittenBy
		if by == "" {
			by = "a newer kamobot"
		}
		return fmt.Errorf("%w: %s wrote schema %d, this kamobot reads schema %d; upgrade kamobot",
			ErrNewer, by, *head.Version, Version)
	}
	return fmt.Errorf("%w: %s", ErrCorrupt, jsonErr(b, parseErr))
}

// jsonErr adds the line of a syntax error.
func jsonErr(b []byte, err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		line := 1 + bytes.Count(b[:min(int(se.Offset), len(b))], []byte("\n"))
		return fmt.Sprintf("line %d: %v", line, err)
	}
	return err.Error()
}

// Save writes the state atomically and durably: a temporary file in the same
// directory, fsync, rename over the old file, fsync of the directory. A
// reader sees the old or the new state, never a mix.
func (s *Store) Save(st *State) error {
	st.Version = Version
	st.WrittenBy = s.WrittenBy
	st.UpdatedAt = s.now().UTC()
	// The temporary file goes beside the state file, never in $TMPDIR (even
	// on the same file system): what a kill leaves is then found and
	// removed by the next Lock.
	t, err := renameio.NewPendingFile(s.path, renameio.WithTempDir(filepath.Dir(s.path)),
		renameio.WithStaticPermissions(0o600))
	if err != nil {
		return fmt.Errorf("%w: %s: %w", ErrWrite, s.path, err)
	}
	defer func() { _ = t.Cleanup() }()
	fw := &fileWriter{w: t}
	enc := json.NewEncoder(fw)
	enc.SetEscapeHTML(false) // payloads stay as Slack gets them
	if err := enc.Encode(st); err != nil {
		if fw.err != nil {
			return fmt.Errorf("%w: %s: %w", ErrWrite, s.path, fw.err)
		}
		return fmt.Errorf("encode state: %w", err)
	}
	if s.BeforeRename != nil {
		if err := s.BeforeRename(); err != nil {
			return fmt.Errorf("%w: %s: %w", ErrWrite, s.path, err)
		}
	}
	if err := t.CloseAtomicallyReplace(); err != nil {
		return fmt.Errorf("%w: %s: %w", ErrWrite, s.path, err)
	}
	if err := syncDir(filepath.Dir(s.path)); err != nil {
		return fmt.Errorf("%w: sync %s: %w", ErrWrite, filepath.Dir(s.path), err)
	}
	return nil
}

// fileWriter tells the errors of the file from those of the encoder.
type fileWriter struct {
	w   io.Writer
	err error // the first write error
}

func (f *fileWriter) Write(p []byte) (int, error) {
	n, err := f.w.Write(p)
	if err != nil && f.err == nil {
		f.err = err
	}
	return n, err
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// Reset moves the state file aside (to state.json.corrupt-<UTC time>) so the
// next pass starts with a new baseline. It returns the new name, or "" when
// there was no file.
func (s *Store) Reset() (string, error) {
	if _, err := os.Stat(s.path); errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	aside := fmt.Sprintf("%s.corrupt-%s", s.path, s.now().UTC().Format("20060102T150405Z"))
	if err := os.Rename(s.path, aside); err != nil {
		return "", fmt.Errorf("%w: move %s aside: %w", ErrWrite, s.path, err)
	}
	return aside, syncDir(filepath.Dir(s.path))
}
