package kqifake

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// idFilter is a parsed Id comparison: "Id=>=120" and so on.
type idFilter struct {
	op  string // "", ">=", ">", "<", "<=", "="; "" matches every id
	val int64
}

// parseIDFilter reads a comparison as the server does: an operator (half-
// or full-width) followed by a number; a bare number means "=".
func parseIDFilter(s string) (idFilter, error) {
	s = strings.NewReplacer("＞", ">", "＜", "<", "＝", "=").Replace(strings.TrimSpace(s))
	if s == "" {
		return idFilter{}, nil
	}
	op := "="
	for _, o := range []string{">=", "<=", "==", ">", "<", "="} {
		if rest, ok := strings.CutPrefix(s, o); ok {
			op, s = o, rest
			break
		}
	}
	if op == "==" {
		op = "="
	}
	v, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil {
		return idFilter{}, fmt.Errorf("the Id filter %q is not a comparison such as >=120", s)
	}
	return idFilter{op: op, val: v}, nil
}

// bounds returns the index range [lo, hi) of ids matching f in ids sorted
// ascending.
func (f idFilter) bounds(n int, id func(i int) int64) (lo, hi int) {
	first := func(pred func(int64) bool) int { // first index whose id satisfies pred
		i, j := 0, n
		for i < j {
			m := int(uint(i+j) >> 1)
			if !pred(id(m)) {
				i = m + 1
			} else {
				j = m
			}
		}
		return i
	}
	ge := first(func(x int64) bool { return x >= f.val })
	gt := first(func(x int64) bool { return x > f.val })
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

// listQuery is the query of a list request.
type listQuery struct {
	id        idFilter
	status    string
	name      string
	page      int
	perPage   int // 0: all
	withTotal bool
}

// parseListQuery reads the filters and paging of a list request.
// defaultPerPage applies when perPage is absent (0 means all).
func parseListQuery(v url.Values, defaultPerPage int) (listQuery, []string) {
	q := listQuery{page: 1, perPage: defaultPerPage, status: v.Get("Status"), name: v.Get("Name")}
	var errs []string
	var err error
	if q.id, err = parseIDFilter(v.Get("Id")); err != nil {
		errs = append(errs, err.Error())
	}
	if s := v.Get("page"); s != "" {
		if q.page, err = strconv.Atoi(s); err != nil || q.page < 1 {
			errs = append(errs, fmt.Sprintf("page: %q is not a page number (from 1)", s))
		}
	}
	if s := v.Get("perPage"); s != "" {
		if q.perPage, err = strconv.Atoi(s); err != nil || q.perPage < 1 {
			errs = append(errs, fmt.Sprintf("perPage: %q is not a positive number", s))
		}
		q.perPage = min(q.perPage, 1000)
	}
	if s := v.Get("withTotal"); s != "" {
		if q.withTotal, err = strconv.ParseBool(s); err != nil {
			errs = append(errs, fmt.Sprintf("withTotal: %q is not true or false", s))
		}
	}
	return q, errs
}

// page applies the filters of q to items sorted by ascending id and
// returns the requested page, newest (highest id) first, and the number of
// matches.
func page[T any](items []T, id func(T) int64, keep func(T) bool, q listQuery) ([]T, int) {
	lo, hi := q.id.bounds(len(items), func(i int) int64 { return id(items[i]) })
	skip := 0
	if q.perPage > 0 {
		skip = (q.page - 1) * q.perPage
	}
	out := []T{}
	if keep == nil { // no other filter: slice the range directly
		total := hi - lo
		for i := hi - 1 - skip; i >= lo && (q.perPage == 0 || len(out) < q.perPage); i-- {
			out = append(out, items[i])
		}
		return out, total
	}
	total := 0
	for i := hi - 1; i >= lo; i-- {
		if !keep(items[i]) {
			continue
		}
		total++
		if total > skip && (q.perPage == 0 || len(out) < q.perPage) {
			out = append(out, items[i])
		}
	}
	return out, total
}

// contains reports whether s holds sub; an empty sub matches everything.
func contains(s, sub string) bool { return sub == "" || strings.Contains(s, sub) }
