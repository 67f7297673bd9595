package commands

import (
	"slices"

	"github.com/kamobot/kamobot/api"
	"github.com/kamobot/kamobot/engine"
	"github.com/urfave/cli/v2"
)

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
		UsageText: "kamobot tenants [-o table|tsv|json] [--no-headers]",
		Flags:     outputFlags(),
		Action: func(c *cli.Context) error {
			format, err := d.listFormat(c)
			if err != nil {
				return err
			}
			cfg, err := d.Config()
			if err != nil {
				return err
			}
			client, err := d.client(cfg, "")
			if err != nil {
				return err
			}
			v, err := engine.ResolveTenants(c.Context, cfg, client)
			if err != nil {
				return err
			}
			if err := v.MissingError(); err != nil {
				d.log.Warn(err.Error())
			}
			rows, table := []tenantRow{}, [][]string{}
			for _, t := range v.Visible {
				r := tenantRow{t.ID, t.Name, t.DisplayName, slices.ContainsFunc(v.Watched, func(w api.Tenant) bool { return w.ID == t.ID })}
				watched := "no"
				if r.Watched {
					watched = "yes"
				}
				rows = append(rows, r)
				table = append(table, []string{api.FormatID(t.ID), t.Name, dash(t.DisplayName), watched})
			}
			if format == formatJSON {
				return writeJSON(d.Stdout, rows)
			}
			return writeList(d.Stdout, format, c.Bool("no-headers"), []string{"ID", "NAME", "DISPLAY NAME", "WATCHED"}, table)
		},
	}
}
