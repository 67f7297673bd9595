package commands

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/kamobot/kamobot/api"
	"github.com/kamobot/kamobot/config"
	"github.com/urfave/cli/v2"
)

// tenantView is what kamobot knows of the tenants: those the account can
// see, those it watches, and configured ones it cannot see.
type tenantView struct {
	Visible []api.Tenant
	Watched []api.Tenant
	// Missing lists [[tenant]] entries that match no visible tenant.
	Missing []config.Tenant
}

// resolveTenants asks the server which tenants the account can see and
// matches them with the config.
func resolveTenants(ctx context.Context, cfg *config.Config, c interface {
	Tenants(context.Context) ([]api.Tenant, error)
}) (tenantView, error) {
	visible, err := c.Tenants(ctx)
	if err != nil {
		return tenantView{}, fmt.Errorf("list the account's tenants: %w", err)
	}
	if err := cfg.CheckTenantEntries(visible); err != nil {
		return tenantView{}, err
	}
	v := tenantView{Visible: visible}
	for _, t := range visible {
		if cfg.Route(t.ID, t.Name).Watched {
			v.Watched = append(v.Watched, t)
		}
	}
	for _, ct := range cfg.Tenants {
		if !slices.ContainsFunc(visible, func(t api.Tenant) bool { return ct.Matches(t.ID, t.Name) }) {
			v.Missing = append(v.Missing, ct)
		}
	}
	return v, nil
}

// missingError explains configured tenants the account cannot see.
func (v tenantView) missingError() error {
	if len(v.Missing) == 0 {
		return nil
	}
	var names []string
	for _, t := range v.Missing {
		names = append(names, t.Label())
	}
	return fmt.Errorf("configured tenant %s is not visible to this account; visible tenants: %s "+
		"(ask an administrator for access, or fix the [[tenant]] entry)",
		strings.Join(names, ", "), describeTenants(v.Visible))
}

func describeTenants(ts []api.Tenant) string {
	if len(ts) == 0 {
		return "none"
	}
	var parts []string
	for _, t := range ts {
		s := fmt.Sprintf("%s (id %d)", t.Name, t.ID)
		if t.DisplayName != "" && t.DisplayName != t.Name {
			s = fmt.Sprintf("%s %q (id %d)", t.Name, t.DisplayName, t.ID)
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, ", ")
}

// pickTenant finds a visible tenant by id or name.
func pickTenant(visible []api.Tenant, arg string) (api.Tenant, error) {
	id, idErr := strconv.ParseInt(arg, 10, 64)
	for _, t := range visible {
		if t.Name == arg || (idErr == nil && t.ID == id) || (t.DisplayName != "" && t.DisplayName == arg) {
			return t, nil
		}
	}
	return api.Tenant{}, usageErrorf("unknown tenant %q; visible tenants: %s", arg, describeTenants(visible))
}

type tenantRow struct {
	ID          int64  `json:"id"`
	Name        string `json:"name"`
	DisplayName string `json:"display_name"`
	Watched     bool   `json:"watched"`
}

func newTenantsCommand(d *Deps) *cli.Command {
	return &cli.Command{
		Name:      "tenants",
		Usage:     "list the tenants the account can see, and which are watched",
		UsageText: "kamobot tenants [-o table|json]",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Value: formatTable, Usage: "table or json"},
		},
		Action: func(c *cli.Context) error {
			format := c.String("output")
			if err := checkFormat(format); err != nil {
				return err
			}
			cfg, err := d.Config()
			if err != nil {
				return err
			}
			client, err := d.Client(cfg)
			if err != nil {
				return err
			}
			v, err := resolveTenants(c.Context, cfg, client)
			if err != nil {
				return err
			}
			if err := v.missingError(); err != nil {
				d.Log().Warn(err.Error())
			}
			rows := []tenantRow{}
			for _, t := range v.Visible {
				rows = append(rows, tenantRow{t.ID, t.Name, t.DisplayName,
					slices.ContainsFunc(v.Watched, func(w api.Tenant) bool { return w.ID == t.ID })})
			}
			if format == formatJSON {
				return writeJSON(d.Stdout, rows)
			}
			var table [][]string
			for _, r := range rows {
				w := "no"
				if r.Watched {
					w = "yes"
				}
				table = append(table, []string{strconv.FormatInt(r.ID, 10), r.Name, dash(r.DisplayName), w})
			}
			return writeTable(d.Stdout, []string{"ID", "NAME", "DISPLAY NAME", "WATCHED"}, table)
		},
	}
}
