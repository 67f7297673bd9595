package kqifake

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"time"
)

type tokenInfo struct {
	user    string
	tenant  int64
	expires time.Time
}

// issue makes a JWT-looking token bound to one tenant. Its signature part
// is random, so a token cannot be guessed or forged. s.mu must be held.
func (s *Server) issue(user string, tenantID int64, life time.Duration) (string, time.Duration) {
	if life <= 0 {
		life = s.lifetime
	}
	exp := s.now().Add(life)
	header := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`))
	claims, _ := json.Marshal(map[string]any{"unique_name": user, "groupsid": tenantID, "exp": exp.Unix(), "iss": "kqifake"})
	sig := make([]byte, 32)
	_, _ = rand.Read(sig) // never fails (crypto/rand documents it)
	tok := header + "." + base64.RawURLEncoding.EncodeToString(claims) + "." + s.canary + base64.RawURLEncoding.EncodeToString(sig)
	s.tokens[tok] = &tokenInfo{user: user, tenant: tenantID, expires: exp}
	return tok, life
}

// ExpireTokens makes every token issued so far expired: the next call
// with any of them answers 401.
func (s *Server) ExpireTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expireTokens()
}

func (s *Server) expireTokens() {
	past := s.now().Add(-time.Second)
	for _, t := range s.tokens {
		t.expires = past
	}
}

// caller is who a request comes from.
type caller struct {
	acct   *account
	tenant *tenant
}

// authenticate checks the bearer token of r. On failure it writes the
// answer and returns false. s.mu must be held.
func (s *Server) authenticate(w http.ResponseWriter, r *http.Request) (caller, bool) {
	raw, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	t := s.tokens[raw]
	var c caller
	if t != nil {
		c = caller{acct: s.accounts[t.user], tenant: s.tenants[t.tenant]}
	}
	// The bodies of Startup.cs's JwtBearer OnChallenge (lines 262-305).
	typ, title, detail, challenge := "Nssol.Platypus.Startup", "The Access code is expired or invalid.", "", ""
	switch {
	case !ok || raw == "":
		title, challenge = "The access code is required.", "Bearer"
	case t == nil:
		challenge = `Bearer error="invalid_token", error_description="The signature is invalid"`
	case !s.now().Before(t.expires):
		challenge = `Bearer error="invalid_token", error_description="The token is expired"`
	case c.acct == nil || c.tenant == nil:
	case !c.acct.member(c.tenant.id):
		// Infrastructure/Infos/UserInfo.cs line 120 throws
		// UnauthorizedAccessException, which
		// Filters/JsonExceptionHandlerAttribute.cs (lines 39-51) answers
		// 401 with the message as title and the stack trace as detail.
		typ, title = "Nssol.Platypus.Filters.JsonExceptionHandlerAttribute", "You have lost a role for the access."
		detail = "   at Nssol.Platypus.Infrastructure.Infos.UserInfo..ctor(User user, IEnumerable`1 claims, IUserRepository userRepository)\n" +
			"   at Nssol.Platypus.Controllers.Util.PlatypusApiControllerBase.get_CurrentUserInfo()"
	default:
		return c, true
	}
	if challenge != "" {
		w.Header().Set("WWW-Authenticate", challenge)
	}
	writeError(w, r, http.StatusUnauthorized, typ, title, detail)
	return caller{}, false
}
