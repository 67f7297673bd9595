package kqifake

import (
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// idFilter is a parsed Id comparison: "Id=>=120" and so on.
type idFilter struct {
	op  string // "", ">=", ">", "<", "<=", "="; "" matches every id
	val int64
}

// parseIDFilter reads a comparison as the server's SearchLong does
// (Infrastructure/Util.cs lines 94-143): ">=", ">", "<=", "<" or "=",
// then a number (long.TryParse: spaces around and a sign allowed); a bare
// number means "=". A value that does not parse matches id 0, so no row
// (line 142: "パースに失敗した場合は、検索結果0件として返す").
func parseIDFilter(s string) idFilter {
	if s == "" {
		return idFilter{}
	}
	op, rest := "=", s
	for _, o := range []string{">=", ">", "<=", "<", "="} {
		if r, ok := strings.CutPrefix(s, o); ok {
			op, rest = o, r
			break
		}
	}
	v, err := strconv.ParseInt(strings.TrimSpace(rest), 10, 64)
	if err != nil {
		return idFilter{op: "=", val: 0}
	}
	return idFilter{op: op, val: v}
}

// bounds returns the index range [lo, hi) of ids matching f in ids sorted
// ascending.
func (f idFilter) bounds(n int, id func(i int) int64) (lo, hi int) {
	ge := sort.Search(n, func(i int) bool { return id(i) >= f.val })
	gt := sort.Search(n, func(i int) bool { return id(i) > f.val })
	switch f.op {
	case ">=":
		return ge, n
	case ">":
		return gt, n
	case "<":
		return 0, ge
	case "<=":
		return 0, gt
	case "=":
		return ge, gt
	}
	return 0, n
}

// listQuery is the query of a list request, as the actions bind it:
// GetAll([FromQuery] SearchInputModel filter, int? perPage, int page = 1,
// bool withTotal = false) (TrainingController.cs line 121).
type listQuery struct {
	id     idFilter
	status string
	name   string
	page   int
	// perPage is the page size: perPage when under 1000, else 1000, and
	// 1000 when unset (TrainingController.cs line 133,
	// PreprocessingController.cs line 88). Zero or less stays: no row.
	perPage   int
	withTotal bool
}

// parseListQuery binds a list request's query. A page, perPage or
// withTotal that does not parse fails model binding: the caller answers
// a ValidationProblemDetails 400 with these errors.
func parseListQuery(v url.Values) (listQuery, map[string][]string) {
	q := listQuery{status: v.Get("Status"), name: v.Get("Name"), id: parseIDFilter(v.Get("Id"))}
	bad := map[string][]string{}
	num := func(name string, unset int) int {
		s := v.Get(name)
		if s == "" {
			return unset
		}
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil {
			bad[name] = notValid(s)
		}
		return n
	}
	q.page = num("page", 1)
	q.perPage = min(num("perPage", 1000), 1000)
	if s := v.Get("withTotal"); s != "" {
		switch strings.ToLower(strings.TrimSpace(s)) {
		case "true":
			q.withTotal = true
		case "false":
		default:
			bad["withTotal"] = notValid(s)
		}
	}
	if len(bad) == 0 {
		bad = nil
	}
	return q, bad
}

// pageOf is Util.cs Paging (lines 61-65): Skip(perPage*(page-1)), where a
// negative skip skips nothing (so page 0 or less is page 1), then
// Take(perPage), where 0 or less takes nothing.
func pageOf[T any](items []T, page, perPage int) []T {
	if perPage <= 0 {
		return []T{}
	}
	skip := max(0, int64(perPage)*int64(page-1))
	if skip >= int64(len(items)) {
		return []T{}
	}
	items = items[skip:]
	return items[:min(len(items), perPage)]
}

// searchString is Util.cs SearchString (lines 74-85): an empty query keeps
// everything; a case-sensitive substring; a leading "!" negates, and then
// an empty value matches too.
func searchString(value, query string) bool {
	switch {
	case query == "":
		return true
	case strings.HasPrefix(query, "!"):
		return value == "" || !strings.Contains(value, query[1:])
	}
	return strings.Contains(value, query)
}
