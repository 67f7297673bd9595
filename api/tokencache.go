package api

import (
	"context"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/renameio/v2"
)

// TokenFileTenantsTTL is how long the tenant list kept in the token file
// is reused by the next process (a `check` from cron) before the account
// is read again. Within a process, engine.Pass.TenantsTTL decides.
const TokenFileTenantsTTL = 5 * time.Minute

// The token cache keeps what a `check` from cron would otherwise ask the
// server for on every run: the login token, one token per tenant and the
// tenant list. A steady `check` then sends lists and details only, no
// login, no account read, no token exchange. The file holds bearer tokens,
// so it is written with mode 0600 (atomically: a temp file renamed over
// it), and is never printed: logs name it by path and count its tokens.
// Tokens are kept until shortly before they expire; any 401 drops the
// refused token and the tenant list, and the file with them.
type tokenCache struct {
	path string

	read    sync.Once  // readCache
	file    *tokenFile // the file readCache read and checked, until loadCache
	exposed bool       // readCache found the file readable by others
	loaded  bool
	dirty   bool
	tenants *cachedList
	// reuse: the tenant list was read from the file and not yet served.
	// Only the first Tenants call of a process reuses it; later ones (a
	// `watch`, whose pass keeps the list for its own TenantsTTL) read the
	// account.
	reuse bool
}

// tokenFileVersion is the format of the token file; a file of another
// version is ignored (and replaced).
const tokenFileVersion = 2 // 2: the password fingerprint is PBKDF2

type tokenFile struct {
	Version int    `json:"version"`
	Server  string `json:"server"`
	User    string `json:"user"`
	// Salt and Credential bind the tokens to the password they were got
	// with: a changed (or wrong) password logs in again, and is refused
	// there, rather than riding on old tokens. Credential is a salted
	// SHA-256, never the password.
	Salt       string        `json:"salt"`
	Credential string        `json:"credential"`
	Tokens     []cachedToken `json:"tokens"`
	Tenants    *cachedList   `json:"tenants,omitempty"`
}

type cachedToken struct {
	Scope    int64     `json:"scope"`
	TenantID int64     `json:"tenant_id"`
	Token    string    `json:"token"`
	Expires  time.Time `json:"expires"`
}

// cachedList is the tenant list and when it was read. It is replaced,
// never changed.
type cachedList struct {
	At   time.Time `json:"at"`
	List []Tenant  `json:"list"`
}

// fresh: there is a list, younger than TokenFileTenantsTTL.
func (l *cachedList) fresh(now time.Time) bool {
	return l != nil && l.List != nil && !l.At.After(now) && now.Sub(l.At) < TokenFileTenantsTTL
}

// readCache reads and checks the token file once, the first time a token
// or the tenant list is needed, without holding c.mu: the password
// fingerprint it checks is slow on purpose. A missing, unreadable or
// foreign file (another server or user) is ignored: the tokens are
// fetched anew. Concurrent callers wait for the one read.
func (c *Client) readCache() {
	if c.cache.path == "" {
		return
	}
	c.cache.read.Do(func() {
		if fi, err := os.Stat(c.cache.path); err == nil && fi.Mode().Perm()&0o077 != 0 {
			// Restored from a backup, or changed by hand: others may have
			// read the tokens. Not used; the next save writes it anew, 0600.
			c.log.Warn("the token cache can be read by others; not using it, logging in (it is rewritten 0600)",
				"path", c.cache.path, "mode", fi.Mode().Perm().String())
			c.cache.exposed = true
			return
		}
		data, err := os.ReadFile(c.cache.path)
		if err != nil {
			if !errors.Is(err, fs.ErrNotExist) {
				c.log.Debug("cannot read the token cache; logging in", "path", c.cache.path, "err", err.Error())
			}
			return
		}
		var f tokenFile
		if err := json.Unmarshal(data, &f); err != nil || f.Version != tokenFileVersion ||
			f.Server != c.base.String() || f.User != c.user || f.Credential == "" || f.Credential != c.credential(f.Salt) {
			c.log.Debug("token cache not for this server and user, or unreadable; logging in", "path", c.cache.path)
			return
		}
		c.cache.file = &f
	})
}

// loadCache takes in what readCache read, once. c.mu must be held, and
// readCache called before.
func (c *Client) loadCache() {
	if c.cache.loaded || c.cache.path == "" {
		return
	}
	c.cache.loaded = true
	if c.cache.exposed {
		c.cache.dirty = true
	}
	f := c.cache.file
	if f == nil {
		return
	}
	c.cache.file = nil
	now := time.Now()
	n := 0
	for _, t := range f.Tokens {
		tok := token{value: t.Token, tenantID: t.TenantID, expires: t.Expires}
		if t.Expires.IsZero() || !tok.usable(now) || t.Expires.Sub(now) > maxTokenLife {
			continue // unknown life, expired, or a clock that went back
		}
		if _, ok := c.tokens[t.Scope]; !ok {
			c.tokens[t.Scope] = tok
			c.remember(t.Token)
			n++
		}
	}
	if f.Tenants.fresh(now) {
		c.cache.tenants, c.cache.reuse = f.Tenants, true
	}
	c.log.Debug("kamonohashi tokens reused from the token cache", "path", c.cache.path, "tokens", n,
		"tenant_list", c.cache.tenants != nil)
}

// credential is the salted fingerprint of the account's password: a slow
// one (PBKDF2-HMAC-SHA256, credentialRounds), so that a copy of the token
// file is no fast way to guess the password. It is computed at most twice
// a run (read and save), never under c.mu.
func (c *Client) credential(salt string) string {
	key, err := pbkdf2.Key(sha256.New, c.password, []byte(salt+"\x00"+c.user), credentialRounds, 32)
	if err != nil { // only for lengths out of range, which these are not
		return ""
	}
	return hex.EncodeToString(key)
}

// credentialRounds costs about 30 ms of one core.
const credentialRounds = 100_000

// maxTokenLife bounds how long a cached token is believed to live: a
// token file from a clock far ahead is not trusted.
const maxTokenLife = 30 * 24 * time.Hour

// Tenants lists the tenants the account may see (GET /api/v2/account), in
// the server's order (by display name).
//
// The list kept in the token file is reused once, by the next process,
// for TokenFileTenantsTTL (so a `check` from cron reads the account every
// few minutes, not every run); any 401 drops it.
func (c *Client) Tenants(ctx context.Context) ([]Tenant, error) {
	if ts, ok := c.cachedTenants(); ok {
		return ts, nil
	}
	var out struct {
		Tenants []Tenant `json:"tenants"` // TenantInfo, read without its roles
	}
	if _, err := c.get(ctx, "/api/v2/account", "/api/v2/account", loginScope, nil, &out); err != nil {
		return nil, fmt.Errorf("read account: %w", err)
	}
	ts := append([]Tenant{}, out.Tenants...)
	c.keepTenants(ts)
	return ts, nil
}

// cachedTenants returns the tenant list of the token file, once, while it
// is fresh.
func (c *Client) cachedTenants() ([]Tenant, bool) {
	c.readCache()
	c.mu.Lock()
	defer c.mu.Unlock()
	c.loadCache()
	if !c.cache.reuse || !c.cache.tenants.fresh(time.Now()) {
		return nil, false
	}
	c.cache.reuse = false
	return slices.Clone(c.cache.tenants.List), true
}

func (c *Client) keepTenants(ts []Tenant) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.cache.tenants = &cachedList{At: time.Now(), List: append([]Tenant{}, ts...)}
	c.cache.dirty = true
}

// dropOn401 forgets what a 401 makes doubtful: the token refused, in
// every scope that holds it (the login token also serves the default
// tenant), and the tenant list (the account may have lost a tenant).
func (c *Client) dropOn401(refused string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	maps.DeleteFunc(c.tokens, func(_ int64, t token) bool { return t.value == refused })
	c.cache.tenants, c.cache.reuse = nil, false
	c.cache.dirty = true
}

// SaveTokens writes the tokens and the tenant list to the token file when
// they changed since it was read or last written (a no-op without
// Config.TokenFile). A pass calls it when it is done with the server.
func (c *Client) SaveTokens(ctx context.Context) error {
	c.mu.Lock()
	if c.cache.path == "" || !c.cache.dirty {
		c.mu.Unlock()
		return nil
	}
	f := tokenFile{Version: tokenFileVersion, Server: c.base.String(), User: c.user, Tokens: []cachedToken{},
		Salt: rand.Text()}
	now := time.Now()
	for scope, t := range c.tokens {
		if scope == noAuth || t.expires.IsZero() || !t.usable(now) {
			continue
		}
		f.Tokens = append(f.Tokens, cachedToken{Scope: scope, TenantID: t.tenantID, Token: t.value, Expires: t.expires})
	}
	slices.SortFunc(f.Tokens, func(a, b cachedToken) int { return int(a.Scope - b.Scope) })
	f.Tenants = c.cache.tenants
	c.cache.dirty = false
	path := c.cache.path
	c.mu.Unlock()
	f.Credential = c.credential(f.Salt) // slow on purpose: outside the lock

	data, err := json.Marshal(f)
	if err != nil {
		return fmt.Errorf("encode the token cache: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("write the token cache: %w", err)
	}
	if err := writePrivate(path, data); err != nil {
		c.mu.Lock()
		c.cache.dirty = true
		c.mu.Unlock()
		return fmt.Errorf("write the token cache %s: %w", path, err)
	}
	c.log.DebugContext(ctx, "kamonohashi tokens kept for the next run", "path", path, "tokens", len(f.Tokens))
	return nil
}

// jwtExpiry reads the "exp" claim of a JWT, if it has one.
func jwtExpiry(tok string) (time.Time, bool) {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return time.Time{}, false
	}
	var claims struct {
		Exp json.Number `json:"exp"`
	}
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil || json.Unmarshal(raw, &claims) != nil {
		return time.Time{}, false
	}
	exp, err := claims.Exp.Int64()
	if err != nil || exp <= 0 {
		return time.Time{}, false
	}
	return time.Unix(exp, 0), true
}

// writePrivate replaces path atomically with data, mode 0600 whatever the
// old file's mode (renameio.WriteFile would keep an existing file's).
func writePrivate(path string, data []byte) error {
	t, err := renameio.NewPendingFile(path, renameio.WithTempDir(filepath.Dir(path)), renameio.WithStaticPermissions(0o600))
	if err != nil {
		return err
	}
	defer func() { _ = t.Cleanup() }()
	if _, err := t.Write(data); err != nil {
		return err
	}
	return t.CloseAtomicallyReplace()
}
