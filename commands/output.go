package commands

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/kamobot/kamobot/notify"
	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"
	"github.com/urfave/cli/v2"
)

// Output formats for listing commands.
const (
	formatTable = "table" // aligned, for people
	formatTSV   = "tsv"   // tab-separated, for cut and awk
	formatJSON  = "json"
	formatCSV   = "csv" // report's: one row per figure
)

// outputFlags are -o and --no-headers of the listing commands.
func outputFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Usage: "table, tsv or json",
			DefaultText: "table on a terminal, tsv otherwise"},
		&cli.BoolFlag{Name: "no-headers", Usage: "print no header line (table and tsv)"},
	}
}

// listFormat reads -o: given, or chosen by whether stdout is a terminal
// (as gh does: tab-separated rows without borders when piped).
func (d *Deps) listFormat(c *cli.Context) (string, error) {
	if f := c.String("output"); f != "" {
		return f, checkFormat(f, formatTable, formatTSV, formatJSON)
	}
	if d.StdoutTTY {
		return formatTable, nil
	}
	return formatTSV, nil
}

// checkFormat accepts f when it is one of a command's formats.
func checkFormat(f string, formats ...string) error {
	if slices.Contains(formats, f) {
		return nil
	}
	last := len(formats) - 1
	return usageErrorf("unknown output format %q: use %s or %s", f, strings.Join(formats[:last], ", "), formats[last])
}

// writeList writes rows as a table or tsv, with the header unless noHeaders.
func writeList(w io.Writer, format string, noHeaders bool, header []string, rows [][]string) error {
	if noHeaders {
		header = nil
	}
	if format == formatTSV {
		var b strings.Builder // one write: the redactor masks what it sees whole
		clean := strings.NewReplacer("\t", " ", "\n", " ")
		for _, r := range slices.Concat([][]string{header}, rows) {
			if r == nil {
				continue
			}
			cells := slices.Clone(r)
			for i := range cells {
				cells[i] = clean.Replace(cells[i])
			}
			fmt.Fprintln(&b, strings.Join(cells, "\t"))
		}
		_, err := io.WriteString(w, b.String())
		return err
	}
	return writeTable(w, header, rows)
}

// writeTable renders an aligned table. East Asian ambiguous width is pinned (off) so that
// Japanese names align the same on every machine, whatever the locale.
func writeTable(w io.Writer, header []string, rows [][]string) error {
	t := tablewriter.NewTable(w,
		tablewriter.WithEastAsian(tw.Off),
		tablewriter.WithRenderer(renderer.NewBlueprint(tw.Rendition{
			Borders: tw.BorderNone,
			Symbols: tw.NewSymbols(tw.StyleASCII),
		})),
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithHeaderAlignment(tw.AlignLeft),
	)
	if header != nil {
		t.Header(header)
	}
	if err := t.Bulk(rows); err != nil {
		return fmt.Errorf("table: %w", err)
	}
	if err := t.Render(); err != nil {
		return fmt.Errorf("table: %w", err)
	}
	return nil
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// humanDuration writes d the way people say it: "45s", "12m", "2h 13m",
// "3d 4h". Zero or negative is "-".
func humanDuration(d time.Duration) string {
	if d <= 0 {
		return "-"
	}
	return notify.Duration(d.Round(time.Second), "en")
}

// zoneName is the abbreviation of loc's zone at now ("JST", "UTC"), or its
// offset ("+0530") where the zone has no abbreviation: table headers and
// cells say which zone their times are in.
func zoneName(now time.Time, loc *time.Location) string {
	name, _ := now.In(loc).Zone()
	if name == "" {
		return now.In(loc).Format("-0700")
	}
	return name
}

// clockTime formats t in loc for tables: "11-25 14:03" this year, with the
// year otherwise; "-" when zero.
func clockTime(t, now time.Time, loc *time.Location) string {
	if t.IsZero() {
		return "-"
	}
	t = t.In(loc)
	if t.Year() == now.In(loc).Year() {
		return t.Format("01-02 15:04")
	}
	return t.Format("2006-01-02 15:04")
}

func dash(s string) string {
	if strings.TrimSpace(s) == "" {
		return "-"
	}
	return s
}

// statusLine says on stderr what a command waits for, once it has waited a
// second, and only on a terminal: piped, nothing is written.
type statusLine struct {
	d     *Deps
	mu    sync.Mutex
	msg   string
	shown bool
	timer *time.Timer
}

func (d *Deps) statusLine() *statusLine {
	s := &statusLine{d: d}
	if d.StderrTTY {
		s.timer = time.AfterFunc(time.Second, func() {
			s.mu.Lock()
			defer s.mu.Unlock()
			if s.timer != nil { // not done yet
				s.shown = true
				fmt.Fprintf(s.d.Stderr, "%s…", s.msg)
			}
		})
	}
	return s
}

func (s *statusLine) set(msg string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.msg = msg
	if s.shown {
		fmt.Fprintf(s.d.Stderr, "\r\033[K%s…", msg)
	}
}

// done clears the line; later calls do nothing.
func (s *statusLine) done() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.timer != nil {
		s.timer.Stop()
		s.timer = nil
	}
	if s.shown {
		fmt.Fprint(s.d.Stderr, "\r\033[K")
		s.shown = false
	}
}
