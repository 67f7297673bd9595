package api_test

// The contract test checks both sides against testdata/swagger.json, the
// real server's published API: every request the client sends and every
// answer the fake returns, for every operation the client uses, goes
// through kin-openapi's validators (a RoundTripper wraps the client's
// transport). If a field name or type drifts in the wire types, the client
// or the fake, a validation fails.
//
// swagger.json lists no "required" properties for output models, so on its
// own a renamed field would pass: the old name is simply absent and the
// new one is an extra property, which JSON Schema allows by default. The
// test therefore sets additionalProperties: false on every object
// definition after loading. Then an unknown (renamed or misspelt) property
// fails, and a wrong type fails as it always does. TestContractCatchesDrift
// proves both.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi2"
	"github.com/getkin/kin-openapi/openapi2conv"
	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/kamobot/kamobot/api"
	"github.com/kamobot/kamobot/api/kqifake"
)

const defPrefix = "Nssol.Platypus.ApiModels."

// contract is swagger.json, converted to OpenAPI 3 and made strict.
type contract struct {
	doc    *openapi3.T
	router routers.Router
}

func loadContract(t *testing.T) *contract {
	t.Helper()
	data, err := os.ReadFile("testdata/swagger.json")
	if err != nil {
		t.Fatal(err)
	}
	if data, err = safeNames(data); err != nil {
		t.Fatal(err)
	}
	var doc2 openapi2.T
	if err := json.Unmarshal(data, &doc2); err != nil {
		t.Fatalf("parse swagger.json: %v", err)
	}
	doc, err := openapi2conv.ToV3(&doc2)
	if err != nil {
		t.Fatalf("convert swagger.json to OpenAPI 3: %v", err)
	}
	if err := openapi3.NewLoader().ResolveRefsIn(doc, nil); err != nil {
		t.Fatalf("resolve refs: %v", err)
	}
	no := false
	for _, s := range doc.Components.Schemas {
		if s.Value != nil && s.Value.Type.Is(openapi3.TypeObject) && len(s.Value.Properties) > 0 {
			s.Value.AdditionalProperties = openapi3.AdditionalProperties{Has: &no}
		}
	}
	// The server writes an unset string, list or object as an explicit
	// null (Newtonsoft's default NullValueHandling.Include,
	// Controllers/Util/CustomJsonResult.cs), which Swagger 2.0 cannot
	// say: allow null there, never for numbers and booleans.
	for _, s := range doc.Components.Schemas {
		if s.Value == nil {
			continue
		}
		if s.Value.Type.Is(openapi3.TypeObject) {
			s.Value.Nullable = true
		}
		for _, p := range s.Value.Properties {
			if p.Value != nil && p.Ref == "" && (p.Value.Type.Is(openapi3.TypeString) || p.Value.Type.Is(openapi3.TypeArray)) {
				p.Value.Nullable = true
			}
		}
	}
	router, err := legacy.NewRouter(doc)
	if err != nil {
		t.Fatalf("router: %v", err)
	}
	return &contract{doc: doc, router: router}
}

// safeNames renames the definitions whose names OpenAPI 3 refuses (.NET
// writes "Outer+Inner" and "KeyValuePair`2[[System.String, ...]]"), and
// every $ref to them, so the converted document validates. The names
// kamobot uses are plain and keep their spelling.
func safeNames(swagger []byte) ([]byte, error) {
	var doc map[string]any
	if err := json.Unmarshal(swagger, &doc); err != nil {
		return nil, fmt.Errorf("parse swagger.json: %w", err)
	}
	defs, _ := doc["definitions"].(map[string]any)
	renamed := map[string]string{}
	for name, def := range defs {
		if safe := openapi3.InvalidIdentifierCharRegExp.ReplaceAllString(name, "_"); safe != name {
			delete(defs, name)
			defs[safe] = def
			renamed["#/definitions/"+name] = "#/definitions/" + safe
		}
	}
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				if ref, ok := x.(string); ok && k == "$ref" && renamed[ref] != "" {
					v[k] = renamed[ref]
				}
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	walk(doc)
	// The real document has paths OpenAPI 3 calls conflicting (such as
	// /api/v2/data/{id}/files/{name} and .../{fileId}); keep only those
	// kamobot uses, so a request to any other path fails the test too.
	paths, _ := doc["paths"].(map[string]any)
	for p := range paths {
		if !slices.Contains(usedPaths, p) {
			delete(paths, p)
		}
	}
	return json.Marshal(doc)
}

// usedPaths are the paths kamobot calls.
var usedPaths = []string{
	"/api/v2/account/login",
	"/api/v2/account",
	"/api/v2/account/tenants/{tenantId}/token",
	"/api/v2/version",
	"/api/v2/training", "/api/v2/training/{id}",
	"/api/v2/inferences", "/api/v2/inferences/{id}",
	"/api/v2/notebook", "/api/v2/notebook/{id}",
	"/api/v2/preprocessings",
	"/api/v2/preprocessings/{id}/histories",
	"/api/v2/preprocessings/{id}/histories/{dataId}",
}

// options are the validation options: the bearer token must be present
// where swagger.json asks for api_key.
func (c *contract) options() *openapi3filter.Options {
	return &openapi3filter.Options{
		MultiError: true,
		AuthenticationFunc: func(_ context.Context, in *openapi3filter.AuthenticationInput) error {
			if in.SecuritySchemeName != "api_key" {
				return fmt.Errorf("unknown security scheme %q", in.SecuritySchemeName)
			}
			if !strings.HasPrefix(in.RequestValidationInput.Request.Header.Get("Authorization"), "Bearer ") {
				return errors.New("no bearer token")
			}
			return nil
		},
	}
}

// exchange is one validated request and answer.
type exchange struct {
	op     string // "GET /api/v2/training/{id}"
	status int
}

// validator is a RoundTripper that validates every request and answer
// against the contract. It records; the test asserts afterwards.
type validator struct {
	c    *contract
	next http.RoundTripper

	mu     sync.Mutex
	seen   []exchange
	errors []string
	// mutate, when set, rewrites an answer body before it is validated
	// and handed to the client.
	mutate func(op string, body []byte) []byte
}

func (v *validator) fail(format string, args ...any) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.errors = append(v.errors, fmt.Sprintf(format, args...))
}

func (v *validator) RoundTrip(req *http.Request) (*http.Response, error) {
	var reqBody []byte
	if req.Body != nil {
		var err error
		if reqBody, err = io.ReadAll(req.Body); err != nil {
			return nil, err
		}
		req.Body.Close()
		req.Body = io.NopCloser(bytes.NewReader(reqBody))
	}
	route, params, err := v.c.router.FindRoute(req)
	if err != nil {
		v.fail("%s %s: not in swagger.json: %v", req.Method, req.URL.Path, err)
		return v.next.RoundTrip(req)
	}
	op := req.Method + " " + route.Path
	in := &openapi3filter.RequestValidationInput{Request: req.Clone(req.Context()), PathParams: params, Route: route, Options: v.c.options()}
	in.Request.Body = io.NopCloser(bytes.NewReader(reqBody))
	if err := openapi3filter.ValidateRequest(req.Context(), in); err != nil {
		v.fail("request %s: %v", op, err)
	}

	resp, err := v.next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	if v.mutate != nil {
		body = v.mutate(op, body)
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	resp.ContentLength = int64(len(body))
	resp.Header.Del("Content-Length")
	if err := v.validateResponse(in, resp.StatusCode, resp.Header, body); err != nil {
		v.fail("answer %s %d: %v", op, resp.StatusCode, err)
	}
	v.mu.Lock()
	v.seen = append(v.seen, exchange{op: op, status: resp.StatusCode})
	v.mu.Unlock()
	return resp, nil
}

// validateResponse checks a documented answer against its schema, and an
// undocumented error status (swagger.json documents only successes) for a
// problem-details JSON body.
func (v *validator) validateResponse(in *openapi3filter.RequestValidationInput, status int, h http.Header, body []byte) error {
	if in.Route.Operation.Responses.Status(status) == nil {
		return checkProblem(status, h, body)
	}
	return openapi3filter.ValidateResponse(context.Background(), &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in,
		Status:                 status,
		Header:                 h,
		Body:                   io.NopCloser(bytes.NewReader(body)),
		Options:                &openapi3filter.Options{MultiError: true, IncludeResponseStatus: true},
	})
}

// checkProblem checks an error answer: KAMONOHASHI's JSON error body
// (type, title, instance), or ASP.NET's ValidationProblemDetails for a
// model-binding 400 (application/problem+json, errors an object), or the
// empty 403 of a missing menu permission with its X-Permit-MenuCode
// header (Filters/PermissionFilterAttribute.cs); no field but those.
func checkProblem(status int, h http.Header, body []byte) error {
	if status < 400 {
		return fmt.Errorf("undocumented status %d", status)
	}
	if status == http.StatusForbidden && len(body) == 0 {
		if h.Get("X-Permit-MenuCode") == "" {
			return errors.New("an empty 403 without X-Permit-MenuCode")
		}
		return nil
	}
	if status == http.StatusBadRequest && strings.HasPrefix(h.Get("Content-Type"), "application/problem+json") {
		var vp struct {
			Type    string              `json:"type"`
			Title   string              `json:"title"`
			Status  int                 `json:"status"`
			TraceID string              `json:"traceId"`
			Errors  map[string][]string `json:"errors"`
		}
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&vp); err != nil || vp.Title == "" || len(vp.Errors) == 0 {
			return fmt.Errorf("not a ValidationProblemDetails: %v: %s", err, body)
		}
		return nil
	}
	if !strings.HasPrefix(h.Get("Content-Type"), "application/json") {
		return fmt.Errorf("error answer of type %q, want application/json", h.Get("Content-Type"))
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	var pb api.ErrorBody
	if err := dec.Decode(&pb); err != nil {
		return fmt.Errorf("error body is not problem details: %w", err)
	}
	if pb.Title == "" || pb.Type == "" || pb.Instance == "" {
		return fmt.Errorf("problem details lack type, title or instance: %s", body)
	}
	return nil
}

func (v *validator) check(t *testing.T) {
	t.Helper()
	v.mu.Lock()
	defer v.mu.Unlock()
	for _, e := range v.errors {
		t.Error(e)
	}
}

// clientUnder returns a demo client whose transport validates.
func clientUnder(t *testing.T, srv *kqifake.Server, v *validator) *api.Client {
	t.Helper()
	c, err := api.New(api.Config{
		BaseURL: srv.URL(), User: "demo", Password: "demo",
		HTTPClient: &http.Client{Transport: v}, ServerLocation: srv.Location(),
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestContract drives every operation the client uses against the demo
// fake, through the validator.
func TestContract(t *testing.T) {
	c := loadContract(t)
	srv := kqifake.NewTest(t)
	srv.LoadDemo()
	v := &validator{c: c, next: http.DefaultTransport}
	cl := clientUnder(t, srv, v)
	ctx := t.Context()

	if _, err := cl.Version(ctx); err != nil {
		t.Fatal(err)
	}
	if err := cl.Login(ctx); err != nil {
		t.Fatal(err)
	}
	tenants, err := cl.Tenants(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, ten := range tenants {
		for _, k := range []api.Kind{api.KindTraining, api.KindInference, api.KindNotebook} {
			res, err := cl.List(ctx, ten.ID, k, api.ListQuery{PerPage: 5, Page: 1, WithTotal: true, Status: "n"})
			if err != nil {
				t.Fatal(err)
			}
			all, err := cl.List(ctx, ten.ID, k, api.ListQuery{ID: ">=1"})
			if err != nil {
				t.Fatal(err)
			}
			if res.Total < 0 {
				t.Errorf("tenant %d %s: no X-Total-Count", ten.ID, k)
			}
			for _, j := range all.Jobs {
				if _, err := cl.Detail(ctx, ten.ID, k, 0, j.ID); err != nil {
					t.Fatal(err)
				}
			}
		}
		defs, err := cl.ListPreprocessings(ctx, ten.ID, api.ListQuery{ID: ">0", PerPage: 10, Page: 1, WithTotal: true})
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range defs {
			runs, err := cl.Histories(ctx, ten.ID, d.ID)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range runs {
				if _, err := cl.Detail(ctx, ten.ID, api.KindPreprocessing, r.ParentID, r.ID); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	// Error answers: an unknown job, an expired token (renewed by the
	// client), a server fault.
	if _, err := cl.Detail(ctx, tenants[0].ID, api.KindTraining, 0, 999_999); !errors.Is(err, api.ErrNotFound) {
		t.Errorf("Detail of an unknown job = %v", err)
	}
	srv.ExpireTokens()
	if _, err := cl.List(ctx, tenants[1].ID, api.KindNotebook, api.ListQuery{}); err != nil {
		t.Fatal(err)
	}
	srv.SetFaults(kqifake.Faults{Status: 503, Paths: "/api/v2/version"})
	if _, err := cl.Version(ctx); err == nil {
		t.Error("Version with a 503 fault = nil error")
	}
	v.check(t)

	// Every operation the client uses was seen with a success.
	want := []string{
		"POST /api/v2/account/login",
		"GET /api/v2/account",
		"POST /api/v2/account/tenants/{tenantId}/token",
		"GET /api/v2/version",
		"GET /api/v2/training", "GET /api/v2/training/{id}",
		"GET /api/v2/inferences", "GET /api/v2/inferences/{id}",
		"GET /api/v2/notebook", "GET /api/v2/notebook/{id}",
		"GET /api/v2/preprocessings",
		"GET /api/v2/preprocessings/{id}/histories",
		"GET /api/v2/preprocessings/{id}/histories/{dataId}",
	}
	ok := map[string]bool{}
	statuses := map[int]bool{}
	for _, e := range v.seen {
		statuses[e.status] = true
		if e.status/100 == 2 {
			ok[e.op] = true
		}
	}
	for _, op := range want {
		if !ok[op] {
			t.Errorf("operation %s never succeeded under validation", op)
		}
	}
	for _, s := range []int{401, 404, 503} {
		if !statuses[s] {
			t.Errorf("no %d answer was validated", s)
		}
	}
}

// TestContractCatchesDrift proves the contract test would fail on a drift:
// the validator must reject answers with a renamed or retyped field, and
// requests with a misspelt one.
func TestContractCatchesDrift(t *testing.T) {
	c := loadContract(t)
	tests := []struct {
		name   string
		op     string // which answers to rewrite
		mutate func([]byte) []byte
		call   func(ctx context.Context, cl *api.Client, tenant int64) error
		want   string
	}{
		{
			name:   "renamed status in a list",
			op:     "GET /api/v2/training",
			mutate: func(b []byte) []byte { return bytes.ReplaceAll(b, []byte(`"status":`), []byte(`"statuz":`)) },
			call: func(ctx context.Context, cl *api.Client, tenant int64) error {
				_, err := cl.List(ctx, tenant, api.KindTraining, api.ListQuery{})
				return err
			},
			want: `"statuz"`,
		},
		{
			name: "id as a string in a detail",
			op:   "GET /api/v2/notebook/{id}",
			mutate: func(b []byte) []byte {
				var m map[string]any
				if err := json.Unmarshal(b, &m); err != nil {
					return b
				}
				m["id"] = fmt.Sprint(m["id"])
				out, _ := json.Marshal(m)
				return out
			},
			call: func(ctx context.Context, cl *api.Client, tenant int64) error {
				res, err := cl.List(ctx, tenant, api.KindNotebook, api.ListQuery{})
				if err != nil || len(res.Jobs) == 0 {
					return fmt.Errorf("no notebook to read: %v", err)
				}
				_, err = cl.Detail(ctx, tenant, api.KindNotebook, 0, res.Jobs[0].ID)
				return err
			},
			want: `"/id": value must be an integer`,
		},
		{
			name:   "gpu as a string in a detail",
			op:     "GET /api/v2/training/{id}",
			mutate: func(b []byte) []byte { return bytes.Replace(b, []byte(`"gpu": 8`), []byte(`"gpu": "8"`), 1) }, // the server indents
			call: func(ctx context.Context, cl *api.Client, tenant int64) error {
				res, err := cl.List(ctx, tenant, api.KindTraining, api.ListQuery{Status: "Running"})
				if err != nil || len(res.Jobs) == 0 {
					return fmt.Errorf("no training to read: %v", err)
				}
				_, err = cl.Detail(ctx, tenant, api.KindTraining, 0, res.Jobs[len(res.Jobs)-1].ID)
				return err
			},
			want: `"/gpu": value must be an integer`,
		},
		{
			name:   "renamed tenants in the account",
			op:     "GET /api/v2/account",
			mutate: func(b []byte) []byte { return bytes.Replace(b, []byte(`"tenants":`), []byte(`"tenantList":`), 1) },
			call: func(ctx context.Context, cl *api.Client, _ int64) error {
				_, err := cl.Tenants(ctx)
				return err
			},
			want: `"tenantList"`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := kqifake.NewTest(t)
			srv.LoadDemo()
			v := &validator{c: c, next: http.DefaultTransport, mutate: func(op string, b []byte) []byte {
				if op == tt.op {
					return tt.mutate(b)
				}
				return b
			}}
			cl := clientUnder(t, srv, v)
			_ = tt.call(t.Context(), cl, 1) // the client may or may not cope: the validator must object
			v.mu.Lock()
			defer v.mu.Unlock()
			if len(v.errors) == 0 {
				t.Fatalf("the drift went unnoticed (seen %v)", v.seen)
			}
			joined := strings.Join(v.errors, "\n")
			if !strings.Contains(joined, tt.want) {
				t.Errorf("validation errors do not name %s:\n%s", tt.want, joined)
			}
		})
	}

	t.Run("misspelt login field", func(t *testing.T) {
		req, err := http.NewRequest(http.MethodPost, "http://kqi.test/api/v2/account/login",
			strings.NewReader(`{"username":"demo","password":"demo"}`))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		route, params, err := c.router.FindRoute(req)
		if err != nil {
			t.Fatal(err)
		}
		err = openapi3filter.ValidateRequest(t.Context(), &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route, Options: c.options()})
		if err == nil || !strings.Contains(err.Error(), "username") {
			t.Errorf("ValidateRequest = %v, want an error naming username", err)
		}
	})
	t.Run("missing bearer token", func(t *testing.T) {
		req, err := http.NewRequest(http.MethodGet, "http://kqi.test/api/v2/training", nil)
		if err != nil {
			t.Fatal(err)
		}
		route, params, err := c.router.FindRoute(req)
		if err != nil {
			t.Fatal(err)
		}
		err = openapi3filter.ValidateRequest(t.Context(), &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route, Options: c.options()})
		if err == nil {
			t.Error("a request without a token passed validation")
		}
	})
}

// TestWireTypesMatchSwagger fills every field of each wire type (so
// omitempty hides none), encodes it and validates it against its
// definition: a field the definition lacks, or of the wrong type, fails.
// The fake only exercises the fields it fills; this covers the rest.
func TestWireTypesMatchSwagger(t *testing.T) {
	c := loadContract(t)
	types := map[string]any{
		"AccountApiModels.LoginInputModel":                 api.LoginInput{},
		"AccountApiModels.LoginOutputModel":                api.LoginOutput{},
		"AccountApiModels.SwitchTenantInputModel":          api.SwitchTenantInput{},
		"AccountApiModels.AccountOutputModel":              api.AccountOutput{},
		"VersionApiModels.VersionOutputModel":              api.VersionOutput{},
		"DataSetApiModels.IndexOutputModel":                api.DataSetIndex{},
		"Components.ContainerImageOutputModel":             api.ContainerImage{},
		"Components.GitCommitOutputModel":                  api.GitCommit{},
		"TrainingApiModels.IndexOutputModel":               api.TrainingIndex{},
		"TrainingApiModels.DetailsOutputModel":             api.TrainingDetails{},
		"InferenceApiModels.InferenceIndexOutputModel":     api.InferenceIndex{},
		"InferenceApiModels.InferenceDetailsOutputModel":   api.InferenceDetails{},
		"NotebookApiModels.IndexOutputModel":               api.NotebookIndex{},
		"NotebookApiModels.DetailsOutputModel":             api.NotebookDetails{},
		"PreprocessingApiModels.IndexOutputModel":          api.PreprocessingIndex{},
		"PreprocessingApiModels.HistoriesOutputModel":      api.PreprocessingHistory{},
		"PreprocessingApiModels.HistoryDetailsOutputModel": api.PreprocessingHistoryDetails{},
		"../Infrastructure.Infos.TenantInfo":               api.TenantInfo{},
		"../Infrastructure.Infos.RoleInfo":                 api.RoleInfo{},
	}
	names := make([]string, 0, len(types))
	for n := range types {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			full := defPrefix + name
			if rest, ok := strings.CutPrefix(name, "../"); ok {
				full = "Nssol.Platypus." + rest
			}
			ref := c.doc.Components.Schemas[full]
			if ref == nil || ref.Value == nil {
				t.Fatalf("swagger.json has no definition %s", full)
			}
			v := reflect.New(reflect.TypeOf(types[name])).Elem()
			fill(v, 0)
			b, err := json.Marshal(v.Interface())
			if err != nil {
				t.Fatal(err)
			}
			var doc any
			if err := json.Unmarshal(b, &doc); err != nil {
				t.Fatal(err)
			}
			if err := ref.Value.VisitJSON(doc, openapi3.MultiErrors()); err != nil {
				t.Errorf("%s does not match %s:\n%v\n%s", reflect.TypeOf(types[name]), full, err, b)
			}
		})
	}
}

// TestWireTypesCheckIsStrict is the negative control of
// TestWireTypesMatchSwagger: an extra or retyped field must fail.
func TestWireTypesCheckIsStrict(t *testing.T) {
	c := loadContract(t)
	schema := c.doc.Components.Schemas[defPrefix+"VersionApiModels.VersionOutputModel"].Value
	for _, doc := range []string{
		`{"version":"x","messages":[],"build":"y"}`,
		`{"version":1,"messages":[]}`,
		`{"version":"x","messages":"none"}`,
	} {
		var v any
		if err := json.Unmarshal([]byte(doc), &v); err != nil {
			t.Fatal(err)
		}
		if err := schema.VisitJSON(v); err == nil {
			t.Errorf("%s passed validation", doc)
		}
	}
}

// fill sets every field of v to a non-zero value.
func fill(v reflect.Value, depth int) {
	switch v.Kind() {
	case reflect.String:
		v.SetString("x")
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(7)
	case reflect.Pointer:
		if depth < 4 {
			v.Set(reflect.New(v.Type().Elem()))
			fill(v.Elem(), depth+1)
		}
	case reflect.Slice:
		if depth < 4 {
			s := reflect.MakeSlice(v.Type(), 1, 1)
			fill(s.Index(0), depth+1)
			v.Set(s)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			fill(v.Field(i), depth)
		}
	}
}
