package api_test

import (
	"bytes"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kamobot/kamobot/api"
	"github.com/kamobot/kamobot/api/kqifake"
)

func TestFaultClasses(t *testing.T) {
	tests := []struct {
		name          string
		faults        kqifake.Faults
		timeout       time.Duration
		wantIs        error
		wantTemporary bool
		wantText      []string
	}{
		{
			name:          "500",
			faults:        kqifake.Faults{Status: 500},
			wantTemporary: true,
			wantText:      []string{"GET /api/v2/training: 500 Internal Server Error"},
		},
		{
			name:          "503",
			faults:        kqifake.Faults{Status: 503},
			wantTemporary: true,
			wantText:      []string{"503 Service Unavailable"},
		},
		{
			name:     "404",
			faults:   kqifake.Faults{Status: 404},
			wantIs:   api.ErrNotFound,
			wantText: []string{"404 Not Found"},
		},
		{
			name:     "403",
			faults:   kqifake.Faults{Status: 403},
			wantIs:   api.ErrForbidden,
			wantText: []string{"403 Forbidden"},
		},
		{
			name:     "malformed",
			faults:   kqifake.Faults{Malformed: true},
			wantIs:   api.ErrMalformed,
			wantText: []string{"GET /api/v2/training: malformed answer", "body starts \"[ {"},
		},
		{
			name:          "truncated",
			faults:        kqifake.Faults{Truncate: true},
			wantTemporary: true,
			wantText:      []string{"connection to 127.0.0.1:", "lost: answer cut short: unexpected EOF"},
		},
		{
			name:          "latency past the timeout",
			faults:        kqifake.Faults{Latency: 3 * time.Second},
			timeout:       200 * time.Millisecond,
			wantIs:        api.ErrUnreachable,
			wantTemporary: true,
			wantText:      []string{"cannot reach 127.0.0.1:", "timed out after 200ms"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			for range 30 { // a body big enough to cut
				f.add(t, kqifake.NewJob{Tenant: "vision", Kind: api.KindTraining, Name: "padding"})
			}
			c := f.client(t, func(c *api.Config) {
				if tt.timeout > 0 {
					c.Timeout = tt.timeout
				}
			})
			if err := c.Login(t.Context()); err != nil {
				t.Fatal(err)
			}
			tt.faults.Paths = "GET /api/v2/training"
			f.srv.SetFaults(tt.faults)
			start := time.Now()
			_, err := c.List(t.Context(), f.vision, api.KindTraining, api.ListQuery{ID: ">=1"})
			if err == nil {
				t.Fatal("List = nil error")
			}
			if took := time.Since(start); took > 2*time.Second {
				t.Errorf("List took %v", took)
			}
			if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Errorf("errors.Is(%v, %v) = false", err, tt.wantIs)
			}
			if got := api.IsTemporary(err); got != tt.wantTemporary {
				t.Errorf("IsTemporary(%v) = %v, want %v", err, got, tt.wantTemporary)
			}
			for _, w := range tt.wantText {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "Id=") || strings.Contains(err.Error(), "http://") {
				t.Errorf("error shows the URL or query: %v", err)
			}
			var me *api.MalformedError
			if errors.As(err, &me) && len(me.Snippet) > 120 {
				t.Errorf("snippet is %d bytes", len(me.Snippet))
			}
			assertNoSecret(t, err, canaryPassword)
		})
	}
}

func TestFaultRateAndCount(t *testing.T) {
	f := newFixture(t)
	c := f.client(t)
	f.srv.SetFaults(kqifake.Faults{Status: 503, Count: 1, Paths: "/api/v2/training"})
	_, err1 := c.List(t.Context(), f.vision, api.KindTraining, api.ListQuery{})
	_, err2 := c.List(t.Context(), f.vision, api.KindTraining, api.ListQuery{})
	if err1 == nil || err2 != nil {
		t.Errorf("count 1: errors %v, %v; want only the first to fail", err1, err2)
	}
	f.srv.SetFaults(kqifake.Faults{Status: 500, Rate: 0.5, Paths: "/api/v2/training"})
	failed := 0
	for range 40 {
		if _, err := c.List(t.Context(), f.vision, api.KindTraining, api.ListQuery{}); err != nil {
			failed++
		}
	}
	if failed < 5 || failed > 35 {
		t.Errorf("rate 0.5: %d of 40 failed", failed)
	}
	f.srv.ClearFaults()
	if _, err := c.List(t.Context(), f.vision, api.KindTraining, api.ListQuery{}); err != nil {
		t.Errorf("after ClearFaults: %v", err)
	}
}

func TestConnectionRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	c, err := api.New(api.Config{BaseURL: "http://" + addr, User: canaryUser, Password: canaryPassword})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.List(t.Context(), 3, api.KindTraining, api.ListQuery{})
	if !errors.Is(err, api.ErrUnreachable) || !api.IsTemporary(err) {
		t.Fatalf("List = %v, want ErrUnreachable and temporary", err)
	}
	want := fmt.Sprintf("list training jobs of tenant 3: log in as %q: cannot reach %s: connection refused", canaryUser, addr)
	if err.Error() != want {
		t.Errorf("error\n got %v\nwant %s", err, want)
	}
	assertNoSecret(t, err, canaryPassword)
}

func TestResponseTooLarge(t *testing.T) {
	f := newFixture(t)
	for range 20 {
		f.add(t, kqifake.NewJob{Tenant: "vision", Kind: api.KindTraining})
	}
	c := f.client(t, func(c *api.Config) { c.MaxBodyBytes = 1024 })
	_, err := c.List(t.Context(), f.vision, api.KindTraining, api.ListQuery{})
	if !errors.Is(err, api.ErrTooLarge) || !strings.Contains(err.Error(), "response too large") {
		t.Fatalf("List = %v, want ErrTooLarge", err)
	}
}

// TestNoSecretInErrors runs a server that echoes the bearer token and the
// password into its error bodies and broken answers: the client must mask
// them wherever they would show.
func TestNoSecretInErrors(t *testing.T) {
	const tokenCanary = "CANARY-TOKEN-0b5e1d2f"
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		echo := r.Header.Get("Authorization") + " " + string(body)
		switch r.URL.Path {
		case "/api/v2/account/login":
			w.Header().Set("Content-Type", "application/json")
			if strings.Contains(string(body), "refuse-me") {
				w.WriteHeader(http.StatusBadRequest)
				_ = json.NewEncoder(w).Encode(api.ErrorBody{Title: "bad login " + echo, Errors: []string{echo}})
				return
			}
			_ = json.NewEncoder(w).Encode(api.LoginOutput{Token: tokenCanary, TenantID: 1, ExpiresIn: 3600})
		case "/api/v2/training":
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusInternalServerError)
			_ = json.NewEncoder(w).Encode(api.ErrorBody{Title: "boom " + echo, Detail: echo, Errors: []string{echo}})
		case "/api/v2/training/1":
			_, _ = fmt.Fprintf(w, "<html>%s</html>", echo)
		default:
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = fmt.Fprintf(w, `{"title":%q}`, echo)
		}
	}))
	t.Cleanup(ts.Close)
	var logs bytes.Buffer
	c, err := api.New(api.Config{
		BaseURL: ts.URL, User: canaryUser, Password: canaryPassword,
		Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	if err != nil {
		t.Fatal(err)
	}
	var errs []error
	_, err = c.List(t.Context(), 1, api.KindTraining, api.ListQuery{})
	errs = append(errs, err)
	_, err = c.Detail(t.Context(), 1, api.KindTraining, 0, 1)
	errs = append(errs, err)
	_, err = c.Detail(t.Context(), 1, api.KindInference, 0, 1)
	errs = append(errs, err)
	_, err = c.List(t.Context(), 2, api.KindTraining, api.ListQuery{}) // token exchange refused
	errs = append(errs, err)
	refused, err := api.New(api.Config{BaseURL: ts.URL, User: "refuse-me", Password: canaryPassword})
	if err != nil {
		t.Fatal(err)
	}
	errs = append(errs, refused.Login(t.Context()))
	for _, err := range errs {
		if err == nil {
			t.Fatal("want an error")
		}
		t.Log(err)
		assertNoSecret(t, err, canaryPassword, tokenCanary)
	}
	if !strings.Contains(errs[0].Error(), "boom Bearer <redacted>") {
		t.Errorf("title not kept with the token masked: %v", errs[0])
	}
	if strings.Contains(logs.String(), canaryPassword) || strings.Contains(logs.String(), tokenCanary) {
		t.Errorf("logs leak a secret:\n%s", logs.String())
	}
}

func TestCAFile(t *testing.T) {
	srv := kqifake.Demo(kqifake.Options{})
	ts := httptest.NewUnstartedServer(srv.Handler())
	ts.Config.ErrorLog = log.New(io.Discard, "", 0) // the expected handshake failure
	ts.StartTLS()
	t.Cleanup(ts.Close)
	dir := t.TempDir()
	caFile := filepath.Join(dir, "ca.pem")
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ts.Certificate().Raw})
	if err := os.WriteFile(caFile, pemBytes, 0o600); err != nil {
		t.Fatal(err)
	}

	t.Run("trusted", func(t *testing.T) {
		c, err := api.New(api.Config{BaseURL: ts.URL + "/#/", User: "demo", Password: "demo", CAFile: caFile})
		if err != nil {
			t.Fatal(err)
		}
		tenants, err := c.Tenants(t.Context())
		if err != nil || len(tenants) != 3 {
			t.Fatalf("Tenants = %v, %v", tenants, err)
		}
	})
	t.Run("unknown authority", func(t *testing.T) {
		c, err := api.New(api.Config{BaseURL: ts.URL, User: "demo", Password: "demo"})
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.Version(t.Context())
		host := strings.TrimPrefix(ts.URL, "https://")
		for _, want := range []string{"unknown authority", host, "kamonohashi.ca_file", "SSL_CERT_FILE"} {
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Fatalf("Version = %v, want an unknown-authority error with %q", err, want)
			}
		}
		if api.IsTemporary(err) {
			t.Errorf("a certificate error counts as temporary: %v", err)
		}
		if !errors.Is(err, api.ErrTLS) || !errors.Is(err, api.ErrUnreachable) {
			t.Errorf("a certificate error is not ErrTLS and ErrUnreachable: %v", err)
		}
	})
	t.Run("host name mismatch", func(t *testing.T) {
		// The test certificate is for 127.0.0.1 and example.com, not localhost.
		u := strings.Replace(ts.URL, "127.0.0.1", "localhost", 1)
		c, err := api.New(api.Config{BaseURL: u, User: "demo", Password: "demo", CAFile: caFile})
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.Version(t.Context())
		if err == nil || !strings.Contains(err.Error(), "not valid for this host name") || !errors.Is(err, api.ErrTLS) || api.IsTemporary(err) {
			t.Fatalf("Version = %v, want a permanent host-name error", err)
		}
	})
	t.Run("plain http behind https", func(t *testing.T) {
		plain := httptest.NewServer(srv.Handler())
		t.Cleanup(plain.Close)
		c, err := api.New(api.Config{BaseURL: strings.Replace(plain.URL, "http://", "https://", 1), User: "demo", Password: "demo"})
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.Version(t.Context())
		if err == nil || !strings.Contains(err.Error(), "plain HTTP") || !errors.Is(err, api.ErrTLS) || api.IsTemporary(err) {
			t.Fatalf("Version = %v, want a permanent TLS error about plain HTTP", err)
		}
	})
	t.Run("insecure", func(t *testing.T) {
		var logs bytes.Buffer
		c, err := api.New(api.Config{BaseURL: ts.URL, InsecureSkipVerify: true, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Version(t.Context()); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(logs.String(), "level=WARN") {
			t.Errorf("no warning logged for InsecureSkipVerify: %q", logs.String())
		}
	})
	t.Run("no certificate in the file", func(t *testing.T) {
		bad := filepath.Join(dir, "bad.pem")
		if err := os.WriteFile(bad, []byte("not a certificate\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := api.New(api.Config{BaseURL: ts.URL, CAFile: bad})
		if err == nil || !strings.Contains(err.Error(), "holds no PEM certificate") {
			t.Fatalf("New = %v", err)
		}
		_, err = api.New(api.Config{BaseURL: ts.URL, CAFile: filepath.Join(dir, "missing.pem")})
		if err == nil || !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("New with a missing file = %v", err)
		}
	})
}

// TestConcurrentRenewal expires every token while many goroutines list:
// everyone recovers with one login between them.
func TestConcurrentRenewal(t *testing.T) {
	f := newFixture(t)
	c := f.client(t)
	tenants := []int64{f.vision, f.nlp}
	for _, tid := range tenants {
		if _, err := c.List(t.Context(), tid, api.KindTraining, api.ListQuery{}); err != nil {
			t.Fatal(err)
		}
	}
	f.srv.ExpireTokens()
	f.srv.ResetStats()
	var wg sync.WaitGroup
	errs := make(chan error, 32)
	for i := range 32 {
		wg.Go(func() {
			if _, err := c.List(t.Context(), tenants[i%2], api.KindNotebook, api.ListQuery{}); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := f.srv.Stats().ByPath["POST /api/v2/account/login"]; n != 1 {
		t.Errorf("%d logins after expiry, want 1", n)
	}
}
