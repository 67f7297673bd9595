package api_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kamobot/kamobot/api"
	"github.com/kamobot/kamobot/api/kqifake"
)

// However many callers ask at once, at most Config.MaxInFlight requests
// reach the server at once: logins and token exchanges included.
func TestMaxInFlight(t *testing.T) {
	for _, limit := range []int{1, 3, 8} {
		f := newFixture(t)
		f.srv.SetFaults(kqifake.Faults{Latency: 20 * time.Millisecond})
		c := f.client(t, func(cfg *api.Config) { cfg.MaxInFlight = limit })
		var wg sync.WaitGroup
		errs := make(chan error, 40)
		for i := range 40 {
			wg.Go(func() {
				tenant := f.vision
				if i%2 == 1 {
					tenant = f.nlp
				}
				_, err := c.List(t.Context(), tenant, api.KindTraining, api.ListQuery{})
				errs <- err
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		st := f.srv.Stats()
		if st.MaxInFlight > int64(limit) {
			t.Errorf("limit %d: the server saw %d requests in flight", limit, st.MaxInFlight)
		}
		if st.MaxInFlight < int64(min(limit, 2)) {
			t.Errorf("limit %d: the server saw at most %d in flight: the test proves nothing", limit, st.MaxInFlight)
		}
	}
}

// A second client (a second `check`) with the same token file logs in
// not at all, reads no account and asks no tenant token; a 401 drops what
// it kept, and the next client logs in again.
func TestTokenFileAcrossRuns(t *testing.T) {
	f := newFixture(t)
	file := filepath.Join(t.TempDir(), "state", "tokens.json")
	run := func() *api.Client {
		c := f.client(t, func(cfg *api.Config) { cfg.TokenFile = file })
		ts, err := c.Tenants(t.Context())
		if err != nil || len(ts) != 2 {
			t.Fatalf("tenants %v, %v", ts, err)
		}
		for _, id := range []int64{f.vision, f.nlp} {
			if _, err := c.List(t.Context(), id, api.KindTraining, api.ListQuery{}); err != nil {
				t.Fatal(err)
			}
		}
		if err := c.SaveTokens(t.Context()); err != nil {
			t.Fatal(err)
		}
		return c
	}
	run()
	first := f.srv.Stats()
	if first.Logins != 1 || first.AccountRequests != 1 {
		t.Fatalf("first run: %d logins, %d account reads; want 1 and 1", first.Logins, first.AccountRequests)
	}
	fi, err := os.Stat(file)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("token file mode %v, want 0600", fi.Mode().Perm())
	}
	data, _ := os.ReadFile(file)
	if strings.Contains(string(data), f.password) {
		t.Error("the token file holds the password")
	}

	f.srv.ResetStats()
	run()
	steady := f.srv.Stats()
	if steady.Logins+steady.AccountRequests+steady.TokenRequests != 0 {
		t.Errorf("second run: %d logins, %d account reads, %d token requests; want none",
			steady.Logins, steady.AccountRequests, steady.TokenRequests)
	}
	if steady.ListRequests != 2 {
		t.Errorf("second run: %d list requests, want 2", steady.ListRequests)
	}

	// The server forgets every token: the next run meets a 401, logs in
	// again and still reads everything.
	f.srv.SetFaults(kqifake.Faults{ExpireTokens: true})
	f.srv.ClearFaults()
	f.srv.ResetStats()
	run()
	if got := f.srv.Stats(); got.Logins != 1 {
		t.Errorf("after the tokens expired: %d logins; want 1", got.Logins)
	}
	// The 401 dropped the tenant list too: the next run reads the account
	// once, and logs in no more.
	f.srv.ResetStats()
	run()
	if got := f.srv.Stats(); got.Logins != 0 || got.AccountRequests != 1 {
		t.Errorf("after a new login was kept: %d logins, %d account reads; want 0 and 1", got.Logins, got.AccountRequests)
	}
}

// A token file of another user or server is not used, nor one others can
// read; one that cannot be read only costs a login.
func TestTokenFileForeign(t *testing.T) {
	f := newFixture(t)
	file := filepath.Join(t.TempDir(), "tokens.json")
	c := f.client(t, func(cfg *api.Config) { cfg.TokenFile = file })
	if _, err := c.Tenants(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := c.SaveTokens(t.Context()); err != nil {
		t.Fatal(err)
	}
	f.srv.AddAccount("second", "second-pw", f.vision)
	f.srv.ResetStats()
	c2 := f.client(t, func(cfg *api.Config) { cfg.TokenFile = file; cfg.User = "second"; cfg.Password = "second-pw" })
	ts, err := c2.Tenants(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(ts) != 1 || f.srv.Stats().Logins != 1 {
		t.Errorf("another user: %d tenants after %d logins; want 1 after 1", len(ts), f.srv.Stats().Logins)
	}
	// The same user with another password: the tokens are not used, the
	// login is refused.
	if err := c2.SaveTokens(t.Context()); err != nil {
		t.Fatal(err)
	}
	c4 := f.client(t, func(cfg *api.Config) { cfg.TokenFile = file; cfg.User = "second"; cfg.Password = "wrong-pw" })
	if _, err := c4.Tenants(t.Context()); !errors.Is(err, api.ErrUnauthorized) {
		t.Errorf("a wrong password with kept tokens: %v, want ErrUnauthorized", err)
	}
	if data, _ := os.ReadFile(file); strings.Contains(string(data), "second-pw") {
		t.Error("the token file holds the password")
	}
	// A token file others can read (restored from a backup) is not used,
	// and the next save makes it private again.
	if err := os.Chmod(file, 0o644); err != nil {
		t.Fatal(err)
	}
	f.srv.ResetStats()
	c5 := f.client(t, func(cfg *api.Config) { cfg.TokenFile = file; cfg.User = "second"; cfg.Password = "second-pw" })
	if _, err := c5.Tenants(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got := f.srv.Stats().Logins; got != 1 {
		t.Errorf("a token file readable by others: %d logins, want 1 (its tokens not used)", got)
	}
	if err := c5.SaveTokens(t.Context()); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(file); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("token file after a save: %v, %v; want mode 0600", fi.Mode(), err)
	}
	if err := os.WriteFile(file, []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	c3 := f.client(t, func(cfg *api.Config) { cfg.TokenFile = file })
	if _, err := c3.Tenants(t.Context()); err != nil {
		t.Fatal(err)
	}
}

// A tenant the account loses answers 401 "You have lost a role": the
// error says so (ErrTenantLost, not ErrUnauthorized) and the tenant list
// kept in the token file is dropped, so the next run reads the account.
func TestTenantLostDropsTenantList(t *testing.T) {
	f := newFixture(t)
	file := filepath.Join(t.TempDir(), "tokens.json")
	c := f.client(t, func(cfg *api.Config) { cfg.TokenFile = file })
	if _, err := c.Tenants(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, err := c.List(t.Context(), f.nlp, api.KindTraining, api.ListQuery{}); err != nil {
		t.Fatal(err)
	}
	if err := f.srv.RemoveTenant(f.user, "nlp-ja"); err != nil {
		t.Fatal(err)
	}
	_, err := c.List(t.Context(), f.nlp, api.KindTraining, api.ListQuery{})
	if !errors.Is(err, api.ErrTenantLost) || errors.Is(err, api.ErrUnauthorized) {
		t.Fatalf("err = %v; want ErrTenantLost and not ErrUnauthorized", err)
	}
	if _, err := c.List(t.Context(), f.vision, api.KindTraining, api.ListQuery{}); err != nil {
		t.Fatalf("the other tenant: %v", err)
	}
	if err := c.SaveTokens(t.Context()); err != nil {
		t.Fatal(err)
	}
	f.srv.ResetStats()
	c2 := f.client(t, func(cfg *api.Config) { cfg.TokenFile = file })
	ts, err := c2.Tenants(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(ts) != 1 || f.srv.Stats().AccountRequests != 1 {
		t.Errorf("after the loss: %d tenants, %d account reads; want 1 and 1", len(ts), f.srv.Stats().AccountRequests)
	}
}
