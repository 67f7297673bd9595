package api_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/kamobot/kamobot/api"
	"github.com/kamobot/kamobot/api/kqifake"
)

// Canary secrets: tests assert they never appear in an error.
const (
	canaryPassword = "CANARY-PASSWORD-7f3a9c"
	canaryUser     = "watcher"
)

// fixture is a fake server with three tenants and an account that sees
// two of them.
type fixture struct {
	srv                *kqifake.Server
	vision, nlp, other int64 // tenant ids; the account sees vision and nlp
	visionJob, nlpJob  api.Job
	otherJob           api.Job
	tokyo              *time.Location
	user, password     string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	tokyo, err := time.LoadLocation("Asia/Tokyo")
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{srv: kqifake.NewTest(t, kqifake.Options{Location: tokyo}), tokyo: tokyo, user: canaryUser, password: canaryPassword}
	f.vision = f.srv.AddTenant("vision", "Vision")
	f.nlp = f.srv.AddTenant("nlp-ja", "自然言語処理チーム")
	f.other = f.srv.AddTenant("secret-lab", "Secret Lab")
	f.srv.AddAccount(f.user, f.password, f.vision, f.nlp)
	f.srv.AddAccount("outsider", "outsider", f.other)
	f.visionJob = f.add(t, kqifake.NewJob{Tenant: "vision", Kind: api.KindTraining, Name: "resnet50", Status: "Running"})
	f.nlpJob = f.add(t, kqifake.NewJob{Tenant: "nlp-ja", Kind: api.KindTraining, Name: "BERT日本語", Status: "Pending"})
	f.otherJob = f.add(t, kqifake.NewJob{Tenant: "secret-lab", Kind: api.KindTraining, Name: "hidden", Status: "Running"})
	return f
}

func (f *fixture) add(t *testing.T, n kqifake.NewJob) api.Job {
	t.Helper()
	j, err := f.srv.AddJob(n)
	if err != nil {
		t.Fatal(err)
	}
	return j
}

// client returns a client of the fixture's account; edit may change the
// config first.
func (f *fixture) client(t *testing.T, edit ...func(*api.Config)) *api.Client {
	t.Helper()
	cfg := api.Config{
		BaseURL: f.srv.URL() + "/#/", User: f.user, Password: f.password,
		ServerLocation: f.tokyo, UserAgent: "kamobot/test", Timeout: 5 * time.Second,
	}
	for _, e := range edit {
		e(&cfg)
	}
	c, err := api.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func httpClient() *http.Client { return &http.Client{} }
