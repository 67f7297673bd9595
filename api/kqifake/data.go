// The fake's data sets: Seed's large history and the demo's few dozen jobs.

package kqifake

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/kamobot/kamobot/api"
)

// SeedOptions asks for a large, realistic history.
type SeedOptions struct {
	// Tenants to create ("tenant-001", ...; existing ones are reused).
	Tenants int `json:"tenants"`
	// JobsPerTenant over all kinds: about 60% training, 20% inference,
	// 12% notebook, 8% preprocessing runs.
	JobsPerTenant int `json:"jobs_per_tenant"`
	// OpenPerTenant jobs are still running (a few recent ones pending).
	// They are spread through the history, and the oldest is among the
	// first tenth, like a week-long training among many short ones.
	OpenPerTenant int `json:"open_per_tenant"`
	// Seed makes the data repeatable (default 1).
	Seed uint64 `json:"seed,omitempty"`
	// Accounts that may see the new tenants; default every account, or a
	// new account "seed" (password "seed") when there is none.
	Accounts []string `json:"accounts,omitempty"`
}

// SeedSummary says what Seed made.
type SeedSummary struct {
	Tenants  []int64  `json:"tenants"`
	Accounts []string `json:"accounts"`
	Jobs     int      `json:"jobs"`
	Open     int      `json:"open"`
	Took     string   `json:"took,omitempty"`
}

// maxSeedJobs bounds one Seed call (memory: roughly 1 KiB a job).
const maxSeedJobs = 2_000_000

var (
	seedUsers    = []string{"alice", "bob", "carol", "dave", "tanaka", "suzuki", "sato", "kim"}
	seedModels   = []string{"resnet50", "vit-b16", "bert-base", "yolov8", "unet", "whisper-small", "llama-lora", "efficientnet-b3"}
	seedData     = []string{"cifar10", "imagenet", "coco", "squad", "librispeech", "wiki-ja", "custom"}
	seedPreNames = []string{"resize-images", "tokenize-corpus", "resample-audio"}
	seedClosed   = []weighted[string]{{"Completed", 75}, {"Failed", 10}, {"Killed", 7}, {"UserCanceled", 8}}
	seedKinds    = []weighted[api.Kind]{{api.KindTraining, 60}, {api.KindInference, 20}, {api.KindNotebook, 12}, {api.KindPreprocessing, 8}}
)

// Seed adds a large history of jobs over the last 30 days, deterministic
// for a seed (times are relative to now).
func (s *Server) Seed(o SeedOptions) (SeedSummary, error) {
	switch {
	case o.Tenants < 0 || o.JobsPerTenant < 0 || o.OpenPerTenant < 0:
		return SeedSummary{}, errors.New("seed: counts must not be negative")
	case o.Tenants*o.JobsPerTenant > maxSeedJobs:
		return SeedSummary{}, fmt.Errorf("seed: at most %d jobs at once", maxSeedJobs)
	case o.OpenPerTenant > o.JobsPerTenant:
		return SeedSummary{}, errors.New("seed: more open jobs than jobs")
	}
	o.Seed = cmp.Or(o.Seed, 1)
	s.mu.Lock()
	defer s.mu.Unlock()

	accts, err := s.seedAccounts(o.Accounts)
	if err != nil {
		return SeedSummary{}, err
	}
	rng := rand.New(rand.NewPCG(o.Seed, o.Seed*31+7))
	now := s.now().Truncate(time.Second)
	span := 30 * 24 * time.Hour
	sum := SeedSummary{Accounts: accts}
	var all []*job
	for i := 1; i <= o.Tenants; i++ {
		tid := s.addTenant(fmt.Sprintf("tenant-%03d", i), fmt.Sprintf("Tenant %03d", i))
		sum.Tenants = append(sum.Tenants, tid)
		for _, u := range accts {
			if a := s.accounts[u]; !a.member(tid) {
				a.tenants = append(a.tenants, tid)
			}
		}
		var defs []*preprocessDef
		for _, name := range seedPreNames {
			defs = append(defs, s.addDef(tid, name, seedUsers[rng.IntN(len(seedUsers))], now.Add(-span-24*time.Hour)))
		}
		jobs := seedTenant(rng, tid, defs, o.JobsPerTenant, o.OpenPerTenant, now, span)
		all = append(all, jobs...)
	}
	// Ids grow with creation time across tenants, as in the real database.
	slices.SortStableFunc(all, func(a, b *job) int { return a.createdAt.Compare(b.createdAt) })
	for _, j := range all {
		s.insert(j)
		if exists(j.status) {
			sum.Open++
		}
	}
	sum.Jobs = len(all)
	s.log.Debug("fake seeded", "tenants", o.Tenants, "jobs", sum.Jobs)
	return sum, nil
}

// seedAccounts resolves who sees the seeded tenants. s.mu must be held.
func (s *Server) seedAccounts(names []string) ([]string, error) {
	if len(names) == 0 {
		names = slices.Sorted(maps.Keys(s.accounts))
	}
	if len(names) == 0 {
		s.addAccount("seed", "seed", nil)
		names = []string{"seed"}
	}
	for _, u := range names {
		if s.accounts[u] == nil {
			return nil, fmt.Errorf("seed: account %q: %w", u, ErrNotFound)
		}
	}
	return names, nil
}

// seedTenant drafts the jobs of one tenant, oldest first, without ids.
func seedTenant(rng *rand.Rand, tid int64, defs []*preprocessDef, n, open int, now time.Time, span time.Duration) []*job {
	offsets := make([]time.Duration, n)
	for i := range offsets {
		offsets[i] = time.Duration(rng.Int64N(int64(span)))
	}
	slices.Sort(offsets)

	isOpen := map[int]bool{}
	tenth := max(1, n/10)
	if open > 0 {
		isOpen[rng.IntN(tenth)] = true
	}
	for len(isOpen) < open {
		lo := tenth
		if n-lo < open {
			lo = 0
		}
		isOpen[lo+rng.IntN(n-lo)] = true
	}

	jobs := make([]*job, 0, n)
	for i := range n {
		j := &job{
			kind:      pick(rng, seedKinds),
			tenant:    tid,
			createdBy: seedUsers[rng.IntN(len(seedUsers))],
			createdAt: now.Add(-span + offsets[i]),
			cpu:       int32(4 << rng.IntN(3)),
			memory:    int32(16 << rng.IntN(3)),
			gpu:       int32([]int{0, 1, 1, 2, 4, 8}[rng.IntN(6)]),
		}
		model := seedModels[rng.IntN(len(seedModels))]
		switch j.kind {
		case api.KindTraining:
			j.name = fmt.Sprintf("%s-%s-lr%.0e-e%d", model, seedData[rng.IntN(len(seedData))], []float64{1e-3, 3e-4, 1e-4, 2e-5}[rng.IntN(4)], 10*(1+rng.IntN(9)))
			j.tags = []string{model}
		case api.KindInference:
			j.name = "predict-" + model
		case api.KindNotebook:
			j.name = "nb-" + j.createdBy
		case api.KindPreprocessing:
			d := defs[rng.IntN(len(defs))]
			j.parent, j.name = d.id, d.name
			j.dataName = fmt.Sprintf("%s-%05d.zip", seedData[rng.IntN(len(seedData))], i)
		}
		seedStatus(rng, j, isOpen[i], i >= n-max(1, n/50), now)
		jobs = append(jobs, j)
	}
	return jobs
}

// weighted is a value and its chance in percent.
type weighted[T any] struct {
	v      T
	weight int
}

// pick draws one of ws, whose weights add up to 100.
func pick[T any](rng *rand.Rand, ws []weighted[T]) T {
	p := rng.IntN(100)
	for _, w := range ws[:len(ws)-1] {
		if p < w.weight {
			return w.v
		}
		p -= w.weight
	}
	return ws[len(ws)-1].v
}

// seedStatus gives j a status and the times that go with it.
func seedStatus(rng *rand.Rand, j *job, open, recent bool, now time.Time) {
	wait := time.Duration(5+rng.IntN(600)) * time.Second
	started, run := true, time.Duration(0)
	switch {
	case open && recent && j.kind != api.KindNotebook && rng.IntN(2) == 0:
		j.status, started = "Pending", false
	case open:
		j.status = "Running"
	default:
		j.status = pick(rng, seedClosed)
		started = !(j.status == "Killed" || j.status == "UserCanceled") || rng.IntN(10) < 7
		// Log-uniform run time from a minute to about eight hours.
		run = time.Duration(float64(time.Minute) * math.Exp2(rng.Float64()*9))
	}
	j.setTimes(wait, run, started, now)
	if j.status == "Failed" {
		j.logSummary = "Traceback (most recent call last):\n  File \"train.py\", line 212, in <module>\nRuntimeError: CUDA error: out of memory"
	}
}

// setTimes gives a job created at j.createdAt, its status set, the times
// that go with them: started wait later when started and, when closed,
// ended run after its start (wait after its creation when it never
// started); none after now.
func (j *job) setTimes(wait, run time.Duration, started bool, now time.Time) {
	end := minTime(j.createdAt.Add(wait), now)
	j.modifiedAt = j.createdAt
	if started {
		j.startedAt, j.modifiedAt = end, end
		end = minTime(end.Add(run), now)
	}
	if closedStatus(j.status) {
		j.completedAt, j.modifiedAt = end, end
	}
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// demoJob is one row of the demo data set. Times are relative to now.
type demoJob struct {
	tenant string
	kind   api.Kind
	name   string // for preprocessing: the preprocessing's name
	data   string // for preprocessing: the input data
	by     string
	status string
	ago    time.Duration // created this long ago
	wait   time.Duration // queued this long before it started
	run    time.Duration // ran this long (closed jobs)
	gpu    int32
	log    string
	// favorite: lists show it first.
	favorite bool
}

const (
	m = time.Minute
	h = time.Hour
	d = 24 * time.Hour
)

var demoTenants = []struct{ name, display string }{
	{"vision", "Vision"},
	{"nlp-ja", "自然言語処理チーム"},
	{"speech", "Speech Lab"},
}

var demoJobs = []demoJob{
	{tenant: "vision", kind: api.KindTraining, name: "resnet50-imagenet-e90", by: "alice", status: "Running", ago: 7 * d, wait: 3 * m, gpu: 8, favorite: true},
	{tenant: "vision", kind: api.KindTraining, name: "yolov8-coco-baseline", by: "bob", status: "Completed", ago: 2 * d, wait: m, run: 5 * h, gpu: 4},
	{tenant: "vision", kind: api.KindTraining, name: "yolov8-coco-lr0.02", by: "bob", status: "Failed", ago: 30 * h, wait: 2 * m, run: 20 * m, gpu: 4,
		log: "Epoch 3/100\nRuntimeError: CUDA error: out of memory\nTried to allocate 2.00 GiB"},
	{tenant: "vision", kind: api.KindTraining, name: "vit-b16-finetune", by: "carol", status: "OOMKilled", ago: 3 * h, wait: 5 * m, gpu: 4},
	{tenant: "vision", kind: api.KindTraining, name: "efficientnet-b3-sweep-03", by: "dave", status: "Killed", ago: 26 * h, wait: m, run: 2 * h, gpu: 2},
	{tenant: "vision", kind: api.KindTraining, name: "efficientnet-b3-sweep-04", by: "dave", status: "UserCanceled", ago: 25 * h, wait: m, run: 40 * m, gpu: 2},
	{tenant: "vision", kind: api.KindTraining, name: "dataaug-test", by: "carol", status: "Pending", ago: 15 * m, gpu: 1},
	{tenant: "vision", kind: api.KindTraining, name: "unet-segmentation", by: "alice", status: "Pending", ago: 20 * m, gpu: 8},
	{tenant: "vision", kind: api.KindInference, name: "yolov8-coco-eval", by: "bob", status: "Completed", ago: 20 * h, wait: m, run: 12 * m, gpu: 1},
	{tenant: "vision", kind: api.KindInference, name: "resnet50-val", by: "alice", status: "Running", ago: 10 * m, wait: m, gpu: 1},
	{tenant: "vision", kind: api.KindNotebook, name: "alice-notebook", by: "alice", status: "Running", ago: 4 * h, wait: m},
	{tenant: "vision", kind: api.KindNotebook, name: "bob-debug", by: "bob", status: "Completed", ago: 3 * d, wait: m, run: 3 * h},
	{tenant: "vision", kind: api.KindPreprocessing, name: "resize-224", data: "images-2024-06.zip", by: "carol", status: "Completed", ago: 5 * d, wait: m, run: 30 * m},
	{tenant: "vision", kind: api.KindPreprocessing, name: "resize-224", data: "images-2024-07.zip", by: "carol", status: "Running", ago: 40 * m, wait: m},

	{tenant: "nlp-ja", kind: api.KindTraining, name: "BERT日本語ファインチューニング", by: "tanaka", status: "Running", ago: 2 * d, wait: 4 * m, gpu: 4},
	{tenant: "nlp-ja", kind: api.KindTraining, name: "GPT-2 小説生成 v3", by: "suzuki", status: "Completed", ago: 28 * h, wait: 2 * m, run: 9 * h, gpu: 8},
	{tenant: "nlp-ja", kind: api.KindTraining, name: "感情分析モデル (lr=3e-5)", by: "sato", status: "Failed", ago: 8 * h, wait: m, run: 15 * m, gpu: 1,
		log: "Traceback (most recent call last):\n  File \"train.py\", line 88, in <module>\nKeyError: 'label'"},
	{tenant: "nlp-ja", kind: api.KindTraining, name: "固有表現抽出 実験12", by: "tanaka", status: "Pending", ago: 5 * m, gpu: 2},
	{tenant: "nlp-ja", kind: api.KindTraining, name: "要約モデル 蒸留", by: "suzuki", status: "OOMKilled", ago: 90 * m, wait: 2 * m, gpu: 2},
	{tenant: "nlp-ja", kind: api.KindTraining, name: "llama-lora-ja", by: "sato", status: "Killed", ago: 3 * d, wait: 10 * m, run: 20 * h, gpu: 8},
	{tenant: "nlp-ja", kind: api.KindTraining, name: "<!channel> & <b>escape</b> test", by: "sato", status: "Completed", ago: 6 * h, wait: m, run: 5 * m},
	{tenant: "nlp-ja", kind: api.KindInference, name: "感情分析 推論バッチ", by: "sato", status: "Completed", ago: 5 * h, wait: m, run: 25 * m, gpu: 1},
	{tenant: "nlp-ja", kind: api.KindInference, name: "NER 評価", by: "tanaka", status: "Failed", ago: 2 * h, wait: m, run: 3 * m, gpu: 1,
		log: "FileNotFoundError: [Errno 2] No such file or directory: '/kqi/input/model.bin'"},
	{tenant: "nlp-ja", kind: api.KindNotebook, name: "形態素解析 検証ノート", by: "suzuki", status: "Running", ago: 6 * h, wait: m},
	{tenant: "nlp-ja", kind: api.KindNotebook, name: "tokenizer-check", by: "tanaka", status: "UserCanceled", ago: 2 * d, wait: m, run: h},
	{tenant: "nlp-ja", kind: api.KindPreprocessing, name: "日本語コーパス正規化", data: "wikipedia-ja-2024.txt", by: "tanaka", status: "Completed", ago: 4 * d, wait: m, run: 2 * h},
	{tenant: "nlp-ja", kind: api.KindPreprocessing, name: "日本語コーパス正規化", data: "aozora-bunko.zip", by: "tanaka", status: "Failed", ago: 3 * d, wait: m, run: 10 * m},

	{tenant: "speech", kind: api.KindTraining, name: "whisper-small-ft", by: "kim", status: "Completed", ago: 4 * d, wait: 2 * m, run: 14 * h, gpu: 4},
	{tenant: "speech", kind: api.KindTraining, name: "wav2vec2-large", by: "kim", status: "Running", ago: 36 * h, wait: 6 * m, gpu: 8},
	{tenant: "speech", kind: api.KindTraining, name: "tts-fastspeech2", by: "lee", status: "Error", ago: 50 * m, wait: m, gpu: 1},
	{tenant: "speech", kind: api.KindTraining, name: "conformer-ctc", by: "lee", status: "Pending", ago: 2 * h, gpu: 8},
	{tenant: "speech", kind: api.KindInference, name: "whisper-eval-librispeech", by: "kim", status: "Running", ago: 30 * m, wait: m, gpu: 1},
	{tenant: "speech", kind: api.KindInference, name: "tts-samples", by: "lee", status: "Completed", ago: 30 * h, wait: m, run: 7 * m, gpu: 1},
	{tenant: "speech", kind: api.KindNotebook, name: "kim-analysis", by: "kim", status: "Killed", ago: 2 * d, wait: m, run: 24 * h},
	{tenant: "speech", kind: api.KindPreprocessing, name: "audio-16khz", data: "librispeech-clean.tar", by: "lee", status: "Running", ago: 25 * m, wait: m},
}

// Demo returns a new Server with the demo data loaded.
func Demo(opts Options) *Server {
	s := New(opts)
	s.LoadDemo()
	return s
}

// LoadDemo adds the demo data set: tenants "vision", "nlp-ja" (自然言語処理
// チーム) and "speech"; the account demo/demo, which sees all three, and
// viewer/viewer, which sees only "speech"; and a few dozen jobs of the four
// kinds in many statuses, some with Japanese names. Loading it twice adds
// the jobs twice.
func (s *Server) LoadDemo() {
	s.mu.Lock()
	defer s.mu.Unlock()
	ids := map[string]int64{}
	var all []int64
	for _, t := range demoTenants {
		ids[t.name] = s.addTenant(t.name, t.display)
		all = append(all, ids[t.name])
	}
	s.addAccount("demo", "demo", all)
	s.addAccount("viewer", "viewer", []int64{ids["speech"]})

	now := s.now().Truncate(time.Second)
	defs := map[string]*preprocessDef{}
	// Oldest first, so ids grow with creation time.
	order := slices.Clone(demoJobs)
	slices.SortStableFunc(order, func(a, b demoJob) int { return cmp.Compare(b.ago, a.ago) })
	for _, dj := range order {
		j := &job{
			kind: dj.kind, tenant: ids[dj.tenant], name: dj.name, createdBy: dj.by,
			status: dj.status, createdAt: now.Add(-dj.ago), gpu: dj.gpu,
			cpu: 8, memory: 32, logSummary: dj.log, favorite: dj.favorite,
		}
		if dj.kind == api.KindPreprocessing {
			key := dj.tenant + "/" + dj.name
			if defs[key] == nil {
				defs[key] = s.addDef(j.tenant, dj.name, dj.by, now.Add(-dj.ago-d))
			}
			j.parent, j.dataName = defs[key].id, dj.data
		}
		j.setTimes(dj.wait, dj.run, dj.wait > 0, now)
		s.insert(j)
	}
}
