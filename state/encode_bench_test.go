package state

import (
	"encoding/json"
	"testing"
)

// BenchmarkEncode100k encodes a state tracking 100,000 jobs, by Encode
// (what Save writes) and by json.Marshal (the same bytes), without the
// disk: BenchmarkStoreSave adds the write, fsync and rename.
//
//	go test ./state -run '^$' -bench Encode100k -benchmem
func BenchmarkEncode100k(b *testing.B) {
	st := bigState(100_000)
	for _, c := range []struct {
		name string
		enc  func(*State) ([]byte, error)
	}{
		{"Encode", Encode},
		{"json.Marshal", func(st *State) ([]byte, error) { return json.Marshal(st) }},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			var n int
			for b.Loop() {
				out, err := c.enc(st)
				if err != nil {
					b.Fatal(err)
				}
				n = len(out)
			}
			b.SetBytes(int64(n))
		})
	}
}
