package kqifake

import (
	"net/url"
	"slices"
	"testing"
)

// TestParseIDFilter holds the Id filter to Infrastructure/Util.cs
// SearchLong (lines 94-143): a value that does not parse matches id 0,
// that is no row, rather than failing.
func TestParseIDFilter(t *testing.T) {
	ids := []int64{2, 4, 6, 8, 10}
	tests := []struct {
		in   string
		want []int64
	}{
		{in: "", want: ids},
		{in: ">=6", want: []int64{6, 8, 10}},
		{in: ">6", want: []int64{8, 10}},
		{in: "<6", want: []int64{2, 4}},
		{in: "<=6", want: []int64{2, 4, 6}},
		{in: "=6", want: []int64{6}},
		{in: "6", want: []int64{6}},
		{in: " 6 ", want: []int64{6}},
		{in: "7", want: []int64{}},
		{in: ">=0", want: ids},
		{in: ">100", want: []int64{}},
		// Util.cs line 142: no parse, no row.
		{in: "==6", want: []int64{}},
		{in: "＞＝8", want: []int64{}},
		{in: "abc", want: []int64{}},
		{in: ">=", want: []int64{}},
		{in: "=>5", want: []int64{}},
	}
	for _, tt := range tests {
		f := parseIDFilter(tt.in)
		lo, hi := f.bounds(len(ids), func(i int) int64 { return ids[i] })
		if got := ids[lo:hi]; !slices.Equal(got, tt.want) {
			t.Errorf("%q matches %v, want %v", tt.in, got, tt.want)
		}
	}
}

// TestPageOf holds paging to Util.cs Paging (lines 61-65) with the page
// size of TrainingController.cs line 133.
func TestPageOf(t *testing.T) {
	items := []int64{7, 6, 5, 4, 3, 2, 1}
	tests := []struct {
		query string
		want  []int64
	}{
		{query: "", want: items},
		{query: "perPage=3", want: []int64{7, 6, 5}},
		{query: "perPage=3&page=3", want: []int64{1}},
		{query: "perPage=3&page=4", want: []int64{}},
		{query: "perPage=3&page=0", want: []int64{7, 6, 5}},  // a negative skip skips nothing
		{query: "perPage=3&page=-5", want: []int64{7, 6, 5}}, // likewise
		{query: "perPage=0", want: []int64{}},                // Take(0)
		{query: "perPage=-1", want: []int64{}},
		{query: "perPage=5000", want: items}, // capped at 1000
	}
	for _, tt := range tests {
		v, _ := url.ParseQuery(tt.query)
		q, bad := parseListQuery(v)
		if bad != nil {
			t.Fatalf("%q: %v", tt.query, bad)
		}
		if got := pageOf(items, q.page, q.perPage); !slices.Equal(got, tt.want) {
			t.Errorf("%q: %v, want %v", tt.query, got, tt.want)
		}
	}
}

func TestParseListQuery(t *testing.T) {
	q, bad := parseListQuery(url.Values{})
	if bad != nil || q.page != 1 || q.perPage != 1000 || q.withTotal {
		t.Errorf("defaults = %+v, %v", q, bad)
	}
	// Model binding fails on values of the wrong type only.
	_, bad = parseListQuery(url.Values{"page": {"x"}, "perPage": {"1.5"}, "Id": {"x"}, "withTotal": {"maybe"}})
	if len(bad) != 3 || bad["page"] == nil || bad["perPage"] == nil || bad["withTotal"] == nil {
		t.Errorf("errors = %v, want page, perPage and withTotal", bad)
	}
}

// TestSearchString holds the Status and Name filters to Util.cs
// SearchString (lines 74-85): case-sensitive substring, "!" negates.
func TestSearchString(t *testing.T) {
	tests := []struct {
		value, query string
		want         bool
	}{
		{"Running", "", true},
		{"Running", "Run", true},
		{"Running", "run", false},
		{"Running", "!Run", false},
		{"Completed", "!Run", true},
		{"", "!Run", true},
		{"", "Run", false},
		{"UserCanceled", "Cancel", true},
	}
	for _, tt := range tests {
		if got := searchString(tt.value, tt.query); got != tt.want {
			t.Errorf("searchString(%q, %q) = %v, want %v", tt.value, tt.query, got, tt.want)
		}
	}
}
