package commands

import (
	"encoding/csv"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kamobot/kamobot/api"
	"github.com/kamobot/kamobot/report"
	"github.com/kamobot/kamobot/state"
	"github.com/urfave/cli/v2"
)

func newReportCommand(d *Deps) *cli.Command {
	return &cli.Command{
		Name:      "report",
		Usage:     "print the GPU report of the runs that ended lately, per tenant",
		UsageText: "kamobot report [--tenant T] [--since 7d] [-o table|json|csv]",
		Description: `Reads the ended runs kept in the state file (for [report] retention, 35 days
by default; no request to KAMONOHASHI) and prints, per tenant: runs by kind,
endings by status, GPU-hours by user (GPU count × run time of each run), the
longest queue waits, the five costliest runs, and the change from the period
of the same length before. Times are in the schedule's zone, written with it.
The same report is posted to Slack every week ([report] in the config).`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "tenant", Usage: "only this tenant (name, display name or id)"},
			&cli.StringFlag{Name: "since", Value: "7d", Usage: "the period, back from now: 7d, 14d, 48h"},
			&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Value: formatTable, Usage: "table, json or csv"},
		},
		Action: func(c *cli.Context) error {
			return runReport(d, c.String("tenant"), c.String("since"), c.String("output"))
		},
	}
}

func runReport(d *Deps, tenant, since, format string) error {
	if err := checkFormat(format, formatTable, formatJSON, formatCSV); err != nil {
		return err
	}
	period, err := parseSince(since)
	if err != nil {
		return usageErrorf("--since: %v", err)
	}
	s, err := d.Store()
	if err != nil {
		return err
	}
	st, _, err := loadState(s)
	if err != nil {
		return err
	}
	now, loc := d.Now(), d.zone()
	tenants := reportTenants(st)
	if tenant != "" {
		tenants = slices.DeleteFunc(tenants, func(t report.Tenant) bool {
			return t.Name != tenant && t.Label != tenant && api.FormatID(t.ID) != tenant
		})
		if len(tenants) == 0 {
			return usageErrorf("no tenant %q in the state (see `kamobot state show`)", tenant)
		}
	}
	reps := []report.Report{}
	for _, t := range tenants {
		reps = append(reps, report.Build(st.Report.Runs, t, now.Add(-period), now, loc))
	}
	switch format {
	case formatJSON:
		return writeJSON(d.Stdout, reps)
	case formatCSV:
		return writeReportCSV(d, reps)
	}
	return writeReportTables(d, reps)
}

// parseSince reads "7d" or a Go duration.
func parseSince(s string) (time.Duration, error) {
	t := strings.TrimSpace(s)
	if n, ok := strings.CutSuffix(t, "d"); ok {
		if days, err := strconv.Atoi(n); err == nil && days > 0 {
			return time.Duration(days) * 24 * time.Hour, nil
		}
	}
	p, err := time.ParseDuration(t)
	if err != nil || p <= 0 {
		return 0, fmt.Errorf("%q is not a period: write it like 7d or 48h", s)
	}
	return p, nil
}

// reportTenants are the tenants of the state, and those only the kept
// runs name, by id.
func reportTenants(st *state.State) []report.Tenant {
	seen := map[int64]bool{}
	var out []report.Tenant
	for _, t := range st.Tenants {
		seen[t.ID] = true
		out = append(out, report.Tenant{ID: t.ID, Name: t.Name, Label: t.Ref().Label()})
	}
	for _, r := range st.Report.Runs {
		if !seen[r.Tenant] {
			seen[r.Tenant] = true
			out = append(out, report.Tenant{ID: r.Tenant, Name: api.FormatID(r.Tenant), Label: api.FormatID(r.Tenant)})
		}
	}
	slices.SortFunc(out, func(a, b report.Tenant) int { return int(a.ID - b.ID) })
	return out
}

func gpuh(f float64) string { return strconv.FormatFloat(f, 'f', 2, 64) }

func writeReportTables(d *Deps, reps []report.Report) error {
	w := d.Stdout
	for i, r := range reps {
		if i > 0 {
			fmt.Fprintln(w)
		}
		fmt.Fprintf(w, "%s: %s – %s (%s)\n", r.Tenant.Label, r.From.Format("2006-01-02 15:04"), r.To.Format("2006-01-02 15:04"), r.Zone)
		fmt.Fprintf(w, "runs %d (%+d from the period before), GPU-hours %s (%+.2f)\n\n", r.Runs, r.Previous.RunsChange,
			gpuh(r.GPUHours), r.Previous.GPUHoursChange)
		if r.Runs == 0 {
			continue
		}
		var rows [][]string
		for _, c := range r.ByKind {
			rows = append(rows, []string{"kind", c.Name, strconv.Itoa(c.Count)})
		}
		for _, c := range r.ByStatus {
			rows = append(rows, []string{"status", c.Name, strconv.Itoa(c.Count)})
		}
		if err := writeTable(w, []string{"BY", "NAME", "RUNS"}, rows); err != nil {
			return err
		}
		fmt.Fprintln(w)
		rows = nil
		for _, u := range r.ByUser {
			rows = append(rows, []string{dash(u.User), strconv.Itoa(u.Runs), gpuh(u.GPUHours)})
		}
		if err := writeTable(w, []string{"USER", "RUNS", "GPU-HOURS"}, rows); err != nil {
			return err
		}
		for _, list := range []struct {
			title string
			runs  []report.Run
		}{{"costliest runs", r.Costly}, {"longest queue waits", r.Waits}} {
			if len(list.runs) == 0 {
				continue
			}
			fmt.Fprintf(w, "\n%s:\n", list.title)
			rows = nil
			for _, x := range list.runs {
				rows = append(rows, []string{string(x.Kind), jobID(x.Kind, x.Parent, x.ID), x.Name, dash(x.Owner), x.Status, strconv.Itoa(x.GPU),
					humanDuration(x.Wait.Duration()), humanDuration(x.RunTime.Duration()), gpuh(x.GPUHours),
					x.Ended.Format("01-02 15:04")})
			}
			if err := writeTable(w, []string{"KIND", "ID", "NAME", "OWNER", "STATUS", "GPU", "WAIT", "RUN", "GPU-HOURS", "ENDED (" + zoneName(r.To, r.To.Location()) + ")"}, rows); err != nil {
				return err
			}
		}
	}
	return nil
}

// writeReportCSV writes one row per figure: tenant, section, item, user,
// runs, gpu_hours, seconds.
func writeReportCSV(d *Deps, reps []report.Report) error {
	cw := csv.NewWriter(d.Stdout)
	rows := [][]string{{"tenant", "section", "item", "user", "runs", "gpu_hours", "seconds"}}
	for _, r := range reps {
		t := r.Tenant.Name
		rows = append(rows, []string{t, "total", "", "", strconv.Itoa(r.Runs), gpuh(r.GPUHours), ""},
			[]string{t, "previous", "", "", strconv.Itoa(r.Previous.Runs), gpuh(r.Previous.GPUHours), ""})
		for _, c := range r.ByKind {
			rows = append(rows, []string{t, "kind", c.Name, "", strconv.Itoa(c.Count), "", ""})
		}
		for _, c := range r.ByStatus {
			rows = append(rows, []string{t, "status", c.Name, "", strconv.Itoa(c.Count), "", ""})
		}
		for _, u := range r.ByUser {
			rows = append(rows, []string{t, "user", "", u.User, strconv.Itoa(u.Runs), gpuh(u.GPUHours), ""})
		}
		for _, x := range r.Costly {
			rows = append(rows, []string{t, "costly", string(x.Kind) + "/" + jobID(x.Kind, x.Parent, x.ID) + " " + x.Name, x.Owner, "1",
				gpuh(x.GPUHours), strconv.FormatInt(int64(x.RunTime), 10)})
		}
		for _, x := range r.Waits {
			rows = append(rows, []string{t, "wait", string(x.Kind) + "/" + jobID(x.Kind, x.Parent, x.ID) + " " + x.Name, x.Owner, "1",
				gpuh(x.GPUHours), strconv.FormatInt(int64(x.Wait), 10)})
		}
	}
	if err := cw.WriteAll(rows); err != nil {
		return fmt.Errorf("csv: %w", err)
	}
	return nil
}
