package kqifake

import (
	"net/url"
	"slices"
	"testing"
)

func TestParseIDFilter(t *testing.T) {
	ids := []int64{2, 4, 6, 8, 10}
	tests := []struct {
		in      string
		want    []int64
		wantErr bool
	}{
		{in: "", want: ids},
		{in: ">=6", want: []int64{6, 8, 10}},
		{in: ">6", want: []int64{8, 10}},
		{in: "<6", want: []int64{2, 4}},
		{in: "<=6", want: []int64{2, 4, 6}},
		{in: "=6", want: []int64{6}},
		{in: "==6", want: []int64{6}},
		{in: "6", want: []int64{6}},
		{in: "7", want: []int64{}},
		{in: "＞＝8", want: []int64{8, 10}},
		{in: ">=0", want: ids},
		{in: ">100", want: []int64{}},
		{in: "abc", wantErr: true},
		{in: ">=", wantErr: true},
		{in: "=>5", wantErr: true},
	}
	for _, tt := range tests {
		f, err := parseIDFilter(tt.in)
		if tt.wantErr {
			if err == nil {
				t.Errorf("parseIDFilter(%q) = %+v, want an error", tt.in, f)
			}
			continue
		}
		if err != nil {
			t.Errorf("parseIDFilter(%q): %v", tt.in, err)
			continue
		}
		lo, hi := f.bounds(len(ids), func(i int) int64 { return ids[i] })
		if got := ids[lo:hi]; !slices.Equal(got, tt.want) {
			t.Errorf("%q matches %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestPage(t *testing.T) {
	items := []int64{1, 2, 3, 4, 5, 6, 7}
	id := func(x int64) int64 { return x }
	odd := func(x int64) bool { return x%2 == 1 }
	tests := []struct {
		query     string
		keep      func(int64) bool
		want      []int64
		wantTotal int
	}{
		{query: "", want: []int64{7, 6, 5, 4, 3, 2, 1}, wantTotal: 7},
		{query: "perPage=3", want: []int64{7, 6, 5}, wantTotal: 7},
		{query: "perPage=3&page=3", want: []int64{1}, wantTotal: 7},
		{query: "perPage=3&page=4", want: []int64{}, wantTotal: 7},
		{query: "Id=>3&perPage=2&page=2", want: []int64{5, 4}, wantTotal: 4},
		{query: "", keep: odd, want: []int64{7, 5, 3, 1}, wantTotal: 4},
		{query: "perPage=2&page=2", keep: odd, want: []int64{3, 1}, wantTotal: 4},
		{query: "Id=<=5&perPage=1&page=2", keep: odd, want: []int64{3}, wantTotal: 3},
	}
	for _, tt := range tests {
		v, _ := url.ParseQuery(tt.query)
		q, errs := parseListQuery(v, 0)
		if len(errs) > 0 {
			t.Fatalf("%q: %v", tt.query, errs)
		}
		got, total := page(items, id, tt.keep, q)
		if !slices.Equal(got, tt.want) || total != tt.wantTotal {
			t.Errorf("%q: %v (total %d), want %v (total %d)", tt.query, got, total, tt.want, tt.wantTotal)
		}
	}
}

func TestParseListQueryDefaults(t *testing.T) {
	q, errs := parseListQuery(url.Values{}, 1000)
	if len(errs) > 0 || q.page != 1 || q.perPage != 1000 || q.withTotal {
		t.Errorf("defaults = %+v, %v", q, errs)
	}
	q, _ = parseListQuery(url.Values{"perPage": {"5000"}}, 1000)
	if q.perPage != 1000 {
		t.Errorf("perPage 5000 gives %d, want the cap 1000", q.perPage)
	}
	_, errs = parseListQuery(url.Values{"page": {"0"}, "perPage": {"-1"}, "Id": {"x"}, "withTotal": {"maybe"}}, 1000)
	if len(errs) != 4 {
		t.Errorf("errors = %v, want 4", errs)
	}
}
