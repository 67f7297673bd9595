package notify_test

import (
	"testing"

	"github.com/kamobot/kamobot/notify"
)

// BenchmarkRenderBatch renders a batch of 200 events (a busy pass) into
// Slack payloads.
//
//	go test ./notify -run '^$' -bench RenderBatch -benchmem
func BenchmarkRenderBatch(b *testing.B) {
	events := manyEvents(200)
	o := options("ja")
	b.ReportAllocs()
	var n int
	for b.Loop() {
		n = len(notify.RenderEvents(events, o))
	}
	b.ReportMetric(float64(n), "payloads")
}
