package kqifake

import (
	"cmp"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/kamobot/kamobot/api"
)

type tokenInfo struct {
	user    string
	tenant  int64
	expires time.Time
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

func (s *Server) login(w http.ResponseWriter, r *http.Request, _ caller) {
	var in api.LoginInput
	if !readJSON(w, r, &in) {
		return
	}
	// ApiModels/AccountApiModels/LoginInputModel.cs: [Required] UserName
	// and Password, checked by model binding.
	errs := map[string][]string{}
	if strings.TrimSpace(in.UserName) == "" {
		errs["UserName"] = []string{"The UserName field is required."}
	}
	if in.Password == "" {
		errs["Password"] = []string{"The Password field is required."}
	}
	if len(errs) > 0 {
		writeValidation(w, errs)
		return
	}
	a := s.accounts[strings.TrimSpace(in.UserName)]
	if a == nil || a.password != in.Password {
		// Logic/LoginLogic.cs line 80, through AccountController.cs line 217.
		writeProblem(w, r, http.StatusBadRequest, "User name or password is incorrect.", "")
		return
	}
	var t *tenant
	if in.TenantID != nil {
		if t = s.tenants[*in.TenantID]; t == nil || !a.member(t.id) {
			// Logic/LoginLogic.cs line 146.
			writeProblem(w, r, http.StatusBadRequest,
				fmt.Sprintf("Invalid tenant ID. Current user does not have a permission to tenant %d.", *in.TenantID), "")
			return
		}
	} else if t = s.defaultTenant(a); t == nil {
		writeProblem(w, r, http.StatusBadRequest, "You belong no tenant. Please contact the administrator.", "") // LoginLogic.cs line 137
		return
	}
	s.writeToken(w, a, t, in.ExpiresIn)
}

// writeToken answers a login or a token request with a new JWT-looking
// token bound to tenant t. Its signature part is random, so a token
// cannot be guessed or forged.
func (s *Server) writeToken(w http.ResponseWriter, a *account, t *tenant, expiresIn *int32) {
	life := s.lifetime
	if expiresIn != nil && *expiresIn > 0 {
		life = time.Duration(*expiresIn) * time.Second
	}
	exp := s.now().Add(life)
	header := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`))
	claims, _ := json.Marshal(map[string]any{"unique_name": a.user, "groupsid": t.id, "exp": exp.Unix(), "iss": "kqifake"})
	sig := make([]byte, 32)
	_, _ = rand.Read(sig) // never fails (crypto/rand documents it)
	tok := header + "." + base64.RawURLEncoding.EncodeToString(claims) + "." + s.canary + base64.RawURLEncoding.EncodeToString(sig)
	s.tokens[tok] = &tokenInfo{user: a.user, tenant: t.id, expires: exp}
	writeReal(w, http.StatusOK, api.LoginOutput{
		Token: tok, UserName: a.user, TenantID: t.id, TenantName: t.displayName,
		ExpiresIn: int64(life.Seconds()),
	})
}

func (s *Server) defaultTenant(a *account) *tenant {
	for _, id := range a.tenants {
		if t := s.tenants[id]; t != nil {
			return t
		}
	}
	return nil
}

func (s *Server) switchTenant(w http.ResponseWriter, r *http.Request, c caller) {
	id, ok := pathID(w, r, "tenantId")
	if !ok {
		return
	}
	var in api.SwitchTenantInput
	if !readJSON(w, r, &in) {
		return
	}
	t := s.tenants[id]
	switch {
	case t == nil:
		writeProblem(w, r, http.StatusNotFound, fmt.Sprintf("Tenant ID %d is not found.", id), "")
		return
	case !c.acct.member(id):
		// Logic/LoginLogic.cs line 146, through AccountController.cs line 264.
		writeProblem(w, r, http.StatusBadRequest, fmt.Sprintf("Invalid tenant ID. Current user does not have a permission to tenant %d.", id), "")
		return
	}
	s.writeToken(w, c.acct, t, in.ExpiresIn)
}

func (s *Server) account(w http.ResponseWriter, r *http.Request, c caller) {
	def := s.defaultTenant(c.acct)
	out := api.AccountOutput{
		UserID: c.acct.id, UserName: c.acct.user, PasswordChangeEnabled: true,
		SelectedTenant: new(tenantInfo(c.tenant, def.id)), DefaultTenant: new(tenantInfo(def, def.id)),
		Tenants: []api.TenantInfo{},
	}
	for _, id := range c.acct.tenants {
		if t := s.tenants[id]; t != nil {
			out.Tenants = append(out.Tenants, tenantInfo(t, def.id))
		}
	}
	slices.SortStableFunc(out.Tenants, func(a, b api.TenantInfo) int { return cmp.Compare(a.DisplayName, b.DisplayName) })
	writeReal(w, http.StatusOK, out)
}
