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
	// Days is the span of the history, ending now (default 30).
	Days int `json:"days,omitempty"`
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

// Seed adds a large history of jobs, deterministic for a seed (times are
// relative to now).
func (s *Server) Seed(o SeedOptions) (SeedSummary, error) {
	switch {
	case o.Tenants < 0 || o.JobsPerTenant < 0 || o.OpenPerTenant < 0:
		return SeedSummary{}, errors.New("seed: counts must not be negative")
	case o.Tenants*o.JobsPerTenant > maxSeedJobs:
		return SeedSummary{}, fmt.Errorf("seed: at most %d jobs at once", maxSeedJobs)
	case o.OpenPerTenant > o.JobsPerTenant:
		return SeedSummary{}, errors.New("seed: more open jobs than jobs")
	}
	o.Seed, o.Days = cmp.Or(o.Seed, 1), cmp.Or(max(o.Days, 0), 30)
	s.mu.Lock()
	defer s.mu.Unlock()

	accts, err := s.seedAccounts(o.Accounts)
	if err != nil {
		return SeedSummary{}, err
	}
	rng := rand.New(rand.NewPCG(o.Seed, o.Seed*31+7))
	now := s.now().Truncate(time.Second)
	span := time.Duration(o.Days) * 24 * time.Hour
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
