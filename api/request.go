package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Token scopes besides tenant ids.
const (
	noAuth     int64 = -2 // an anonymous request
	loginScope int64 = -1 // the token the login returned
)

// request is one API call.
type request struct {
	method string
	path   string // the actual path, e.g. /api/v2/training/12
	route  string // its template, e.g. /api/v2/training/{id}, for Observe
	query  url.Values
	body   any // encoded as JSON when not nil
	scope  int64
	out    any // decoded from a 2xx JSON answer when not nil
	// secret says the answer holds a token (the login, a tenant token):
	// a malformed one is never quoted in the error.
	secret bool
}

// do sends r with the token of its scope. On a 401 it renews that token
// once and tries again once; a second 401 is returned as an *HTTPError.
func (c *Client) do(ctx context.Context, r request) (http.Header, error) {
	if r.scope == noAuth {
		return c.send(ctx, r, "")
	}
	tok, err := c.token(ctx, r.scope, "")
	if err != nil {
		return nil, err
	}
	h, err := c.send(ctx, r, tok.value)
	he, ok := errors.AsType[*HTTPError](err)
	if !ok || he.StatusCode != http.StatusUnauthorized {
		return h, err
	}
	c.dropOn401(tok.value)
	if he.lostRole && r.scope != loginScope {
		// The account left the tenant: a new token would be refused too.
		// (The login token's tenant is the account's default: a new login
		// picks one the account still has.)
		return h, err
	}
	c.log.DebugContext(ctx, "kamonohashi token refused, renewing it", "scope", scopeName(r.scope), "path", r.route)
	tok, err = c.token(ctx, r.scope, tok.value)
	if err != nil {
		return nil, err
	}
	return c.send(ctx, r, tok.value)
}

// get is a GET of path (whose template is route) into out.
func (c *Client) get(ctx context.Context, path, route string, scope int64, query url.Values, out any) (http.Header, error) {
	return c.do(ctx, request{method: http.MethodGet, path: path, route: route, query: query, scope: scope, out: out})
}

// send makes one HTTP exchange, bounded by the request timeout, and decodes
// a 2xx answer into r.out.
func (c *Client) send(ctx context.Context, r request, bearer string) (http.Header, error) {
	if err := ctx.Err(); err != nil {
		return nil, context.Cause(ctx)
	}
	// One of Config.MaxInFlight slots, held until the answer is read; the
	// wait for it is not part of the request's timeout.
	select {
	case c.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, context.Cause(ctx)
	}
	defer func() { <-c.slots }()
	reqCtx, cancel := context.WithTimeoutCause(ctx, c.timeout, errRequestTimeout)
	defer cancel()

	u := *c.base
	u.Path = c.base.Path + r.path
	u.RawQuery = r.query.Encode()
	var body io.Reader
	if r.body != nil {
		b, _ := json.Marshal(r.body) // LoginInput or SwitchTenantInput: never fails
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(reqCtx, r.method, u.String(), body)
	if err != nil {
		return nil, fmt.Errorf("%s %s: build request: %w", r.method, r.path, unwrapURLError(err))
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.ua)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}

	start := time.Now()
	resp, err := c.hc.Do(req)
	if err != nil {
		err = c.transportError(ctx, reqCtx, err)
		c.observed(ctx, r, 0, 0, start, err)
		return nil, err
	}
	defer drain(resp.Body)
	data, err := io.ReadAll(io.LimitReader(resp.Body, c.maxBody+1))
	switch {
	case err != nil:
		data = nil
	case int64(len(data)) > c.maxBody:
		data, err = nil, ErrTooLarge
	}
	c.observed(ctx, r, resp.StatusCode, len(data), start, err)
	switch {
	case errors.Is(err, ErrTooLarge):
		return nil, fmt.Errorf("%s %s: %w (more than %d bytes)", r.method, r.path, ErrTooLarge, c.maxBody)
	case err != nil:
		return nil, c.transportError(ctx, reqCtx, fmt.Errorf("%w: %w", errCutShort, err))
	}

	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp.Header, c.httpError(r, resp.StatusCode, resp.Header, data)
	}
	if r.out != nil {
		if err := json.Unmarshal(data, r.out); err != nil {
			me := &MalformedError{Method: r.method, Path: r.path, Err: err}
			if !r.secret {
				me.Snippet = c.snippet(data)
			}
			return nil, me
		}
	}
	return resp.Header, nil
}

// observed reports one exchange to Observe and, at debug level, to the
// log: the route template (never the path with its ids, the query or the
// host), the token scope, the status (0 when no answer came), the body size
// and the time taken. err is shown only as the Client's own error text,
// which names the host, never the URL.
func (c *Client) observed(ctx context.Context, r request, status, size int, start time.Time, err error) {
	took := time.Since(start)
	if c.observe != nil {
		c.observe(r.method, r.route, status, took)
	}
	if !c.log.Enabled(ctx, slog.LevelDebug) {
		return
	}
	args := []any{"method", r.method, "route", r.route, "scope", scopeName(r.scope), "status", status, "bytes", size, "took", took}
	if err != nil {
		args = append(args, "err", sanitize(c.redact(err.Error()), 200))
	}
	c.log.DebugContext(ctx, "kamonohashi request", args...)
}

// httpError builds the error for a non-2xx answer, with the title and
// detail of an error body when there is one. The detail is cut to its
// first line (a 500's is a stack trace); "errors" may be an array or an
// object. An empty 403 with X-Permit-MenuCode names the menus it lacks.
func (c *Client) httpError(r request, status int, h http.Header, data []byte) error {
	e := &HTTPError{Method: r.method, Path: r.path, StatusCode: status}
	var pb ErrorBody
	if json.Unmarshal(data, &pb) == nil {
		e.Title = sanitize(c.redact(firstLine(pb.Title)), 200)
		e.Detail = sanitize(c.redact(firstLine(pb.Detail)), 200)
		if e.Detail == "" && len(pb.Errors) > 0 {
			e.Detail = sanitize(c.redact(firstLine(strings.Join(pb.Errors, "; "))), 200)
		}
	}
	e.lostRole = (status == http.StatusUnauthorized && strings.HasPrefix(pb.Title, lostRoleTitle)) ||
		(status == http.StatusBadRequest && strings.Contains(r.route, "/tenants/{tenantId}/token") &&
			strings.Contains(pb.Title, lostTenantTitle))
	if status == http.StatusForbidden {
		e.Menus = menuCodes(h.Get("X-Permit-MenuCode"))
	}
	return e
}

// The titles of a lost tenant: the 401 of Infrastructure/Infos/UserInfo.cs
// and the 400 of Logic/LoginLogic.cs ("Invalid tenant ID. Current user does
// not have a permission to tenant 3.").
const (
	lostRoleTitle   = "You have lost a role"
	lostTenantTitle = "does not have a permission to tenant"
)

// menuCodes splits an X-Permit-MenuCode header ("Training,Inference").
func menuCodes(h string) []string {
	var out []string
	for _, m := range strings.Split(h, ",") {
		if m = sanitize(m, 40); m != "" {
			out = append(out, m)
		}
	}
	return out
}

// snippet is the start of a body, fit to show in an error: at most 120
// bytes, no control characters, no secret.
func (c *Client) snippet(data []byte) string {
	if len(data) > 2048 {
		data = data[:2048]
	}
	return sanitize(c.redact(string(data)), 120)
}

// redact replaces the password and every token the Client has held with
// "<redacted>".
func (c *Client) redact(s string) string {
	c.mu.Lock()
	secrets := append([]string{c.password}, c.seen...)
	c.mu.Unlock()
	if b, err := json.Marshal(c.password); err == nil && string(b[1:len(b)-1]) != c.password {
		secrets = append(secrets, string(b[1:len(b)-1])) // as a body would echo it
	}
	for _, sec := range secrets {
		if len(sec) >= 3 {
			s = strings.ReplaceAll(s, sec, "<redacted>")
		}
	}
	return s
}

func scopeName(scope int64) string {
	switch scope {
	case loginScope:
		return "login"
	case noAuth:
		return "anonymous"
	}
	return fmt.Sprintf("tenant %d", scope)
}
