package kqifake

import (
	"cmp"
	"slices"
	"time"

	"github.com/kamobot/kamobot/api"
)

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
