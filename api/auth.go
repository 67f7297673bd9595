package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// token is a bearer token and what the server said about it. Its value is
// a secret: it never goes into an error or a log line.
type token struct {
	value    string
	tenantID int64     // the tenant the token is bound to
	expires  time.Time // when to stop using it; zero when unknown
}

func (t token) usable(now time.Time) bool {
	return t.value != "" && (t.expires.IsZero() || now.Before(t.expires))
}

// maxSeen bounds the tokens remembered for redaction.
const maxSeen = 256

// token returns the cached token of scope, or fetches one when there is
// none, it has expired, or its value is stale (the server refused it).
// Concurrent fetches of the same scope are shared.
func (c *Client) token(ctx context.Context, scope int64, stale string) (token, error) {
	c.readCache()
	c.mu.Lock()
	c.loadCache()
	if t, ok := c.tokens[scope]; ok && t.usable(time.Now()) && (stale == "" || t.value != stale) {
		c.mu.Unlock()
		return t, nil
	}
	// Joined under c.mu, which fetch holds to forget the flight and keep
	// its token: a caller finds either the token or the flight. The fetch
	// outlives a caller that gives up, so the others waiting for it still
	// get a token; the request timeout bounds it.
	ch := c.flights.DoChan(scopeName(scope), func() (any, error) {
		return c.fetch(context.WithoutCancel(ctx), scope, stale)
	})
	c.mu.Unlock()
	select {
	case r := <-ch:
		return r.Val.(token), r.Err
	case <-ctx.Done():
		return token{}, context.Cause(ctx)
	}
}

func (c *Client) fetch(ctx context.Context, scope int64, stale string) (token, error) {
	var t token
	var err error
	if scope == loginScope {
		t, err = c.login(ctx)
	} else {
		t, err = c.tenantToken(ctx, scope, stale)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.flights.Forget(scopeName(scope))
	if err == nil {
		c.tokens[scope] = t
		c.cache.dirty = true
	}
	return t, err
}

// login posts the credentials and returns the token, bound to the
// account's default tenant.
func (c *Client) login(ctx context.Context) (token, error) {
	if c.user == "" {
		return token{}, fmt.Errorf("log in on %s: %w: no user name configured", c.host, ErrUnauthorized)
	}
	const path = "/api/v2/account/login"
	t, err := c.exchange(ctx, request{path: path, route: path, body: LoginInput{UserName: c.user, Password: c.password}, scope: noAuth}, "")
	if he, ok := errors.AsType[*HTTPError](err); ok {
		switch he.StatusCode {
		case http.StatusBadRequest, http.StatusUnauthorized, http.StatusForbidden:
			he.badLogin = true
			return token{}, fmt.Errorf("log in as %q on %s: user name or password rejected: %w", c.user, c.host, he)
		}
	}
	if err != nil {
		return token{}, fmt.Errorf("log in as %q: %w", c.user, err)
	}
	c.log.DebugContext(ctx, "logged in to kamonohashi", "host", c.host, "user", c.user, "tenant", t.tenantID)
	return t, nil
}

// tenantToken gets a token bound to tenantID. The login token serves for
// its own tenant; for the others it is exchanged. stale is the token the
// server just refused, if any: when it is the login token, log in again.
func (c *Client) tenantToken(ctx context.Context, tenantID int64, stale string) (token, error) {
	c.mu.Lock()
	loginStale := ""
	if stale != "" && c.tokens[loginScope].value == stale {
		loginStale = stale
	}
	c.mu.Unlock()
	lt, err := c.token(ctx, loginScope, loginStale)
	if err != nil {
		return token{}, err
	}
	if lt.tenantID == tenantID && lt.value != stale {
		return lt, nil
	}
	t, err := c.switchTenant(ctx, lt, tenantID)
	if he, ok := errors.AsType[*HTTPError](err); ok && he.StatusCode == http.StatusUnauthorized {
		// The login token itself has expired: log in again, once.
		if lt, err = c.token(ctx, loginScope, lt.value); err != nil {
			return token{}, err
		}
		if lt.tenantID == tenantID {
			return lt, nil
		}
		t, err = c.switchTenant(ctx, lt, tenantID)
	}
	return t, err
}

// switchTenant exchanges the login token for one bound to tenantID.
func (c *Client) switchTenant(ctx context.Context, lt token, tenantID int64) (token, error) {
	t, err := c.exchange(ctx, request{path: fmt.Sprintf("/api/v2/account/tenants/%d/token", tenantID),
		route: "/api/v2/account/tenants/{tenantId}/token", body: SwitchTenantInput{}, scope: tenantID}, lt.value)
	if err == nil && t.tenantID != tenantID {
		err = fmt.Errorf("%w: the server bound it to tenant %d", ErrMalformed, t.tenantID)
	}
	if err != nil {
		return token{}, fmt.Errorf("get a token for tenant %d: %w", tenantID, err)
	}
	c.log.DebugContext(ctx, "got a kamonohashi token", "tenant", tenantID)
	return t, nil
}

// exchange posts r, whose answer is a LoginOutput (a login, a tenant
// token), and keeps its token. The answer is never quoted in an error.
func (c *Client) exchange(ctx context.Context, r request, bearer string) (token, error) {
	var out LoginOutput
	r.method, r.out, r.secret = http.MethodPost, &out, true
	if _, err := c.send(ctx, r, bearer); err != nil {
		return token{}, err
	}
	return c.keep(out, r.path)
}

// keep turns a login answer into a token and remembers its value for
// redaction. The token is dropped a little before it expires (a tenth of
// its life, at most a minute), so a request rarely meets a 401. Its life
// is expiresIn, counted from now (immune to a server clock that differs
// from ours), else the JWT's exp claim.
func (c *Client) keep(out LoginOutput, path string) (token, error) {
	if out.Token == "" {
		return token{}, &MalformedError{Method: http.MethodPost, Path: path, Err: errors.New("no token in the answer")}
	}
	t := token{value: out.Token, tenantID: out.TenantID}
	now := time.Now()
	var life time.Duration
	if out.ExpiresIn > 0 {
		life = time.Duration(out.ExpiresIn) * time.Second
	} else if exp, ok := jwtExpiry(out.Token); ok && exp.After(now) {
		life = exp.Sub(now)
	}
	if life > 0 {
		t.expires = now.Add(life - min(time.Minute, life/10))
	}
	c.mu.Lock()
	c.remember(out.Token)
	c.mu.Unlock()
	return t, nil
}

// remember keeps a token's value for redaction. c.mu must be held.
func (c *Client) remember(tok string) {
	c.seen = append(c.seen, tok)
	if len(c.seen) > maxSeen {
		c.seen = c.seen[len(c.seen)-maxSeen:]
	}
}
