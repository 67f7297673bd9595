package engine

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/kamobot/kamobot/api"
	"github.com/kamobot/kamobot/config"
	"github.com/kamobot/kamobot/state"
)

// TenantView is what kamobot knows of the tenants: those the account can
// see, those it watches, and configured ones it cannot see.
type TenantView struct {
	Visible []api.Tenant
	Watched []api.Tenant
	// Missing lists [[tenant]] entries that match no visible tenant.
	Missing []config.Tenant
}

// ResolveTenants asks the server which tenants the account can see and
// matches them with the config.
func ResolveTenants(ctx context.Context, cfg *config.Config, c *api.Client) (TenantView, error) {
	visible, err := c.Tenants(ctx)
	if err != nil {
		return TenantView{}, fmt.Errorf("list the account's tenants: %w", err)
	}
	if err := cfg.CheckTenantEntries(visible); err != nil {
		return TenantView{}, err
	}
	v := TenantView{Visible: visible}
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

// MissingError explains configured tenants the account cannot see.
func (v TenantView) MissingError() error {
	if len(v.Missing) == 0 {
		return nil
	}
	var names []string
	for _, t := range v.Missing {
		names = append(names, t.Label())
	}
	return fmt.Errorf("configured tenant %s is not visible to this account; visible tenants: %s "+
		"(ask an administrator for access, or fix the [[tenant]] entry)",
		strings.Join(names, ", "), DescribeTenants(v.Visible))
}

// DescribeTenants lists tenants for a message: name, display name, id.
func DescribeTenants(ts []api.Tenant) string {
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

// watchedTenants returns the tenants to watch, asking the server at most
// once per TenantsTTL, and computes their routes then. What the list
// lacks is said once per reading of it.
func (p *Pass) watchedTenants(ctx context.Context, st *state.State, now time.Time) (TenantView, error) {
	fresh := p.tenantsAt.IsZero() || now.Sub(p.tenantsAt) >= p.TenantsTTL || now.Before(p.tenantsAt)
	if fresh {
		v, err := ResolveTenants(ctx, p.Cfg, p.API)
		if err != nil {
			return TenantView{}, err
		}
		p.tenants, p.tenantsAt = v, now
		p.routes = make(map[int64]config.Route, len(v.Visible))
		for _, t := range v.Visible {
			p.routes[t.ID] = p.Cfg.Route(t.ID, t.Name)
		}
		if err := v.MissingError(); err != nil {
			p.Log.Warn(err.Error())
		}
	}
	if len(p.tenants.Watched) == 0 {
		return p.tenants, fmt.Errorf("%w: %w", ErrNoTenant,
			cmp.Or(p.tenants.MissingError(), errors.New("the account sees no tenant")))
	}
	if fresh {
		p.warnVanished(st, p.tenants)
	}
	return p.tenants, nil
}

// warnVanished says which tenants kamobot tracks open jobs of but the
// account no longer sees. Their jobs are kept as they were and nothing is
// inferred; they are reported if the tenant comes back.
func (p *Pass) warnVanished(st *state.State, v TenantView) {
	for _, id := range slices.Sorted(maps.Keys(st.Tenants)) {
		ts := st.Tenants[id]
		visible := slices.ContainsFunc(v.Visible, func(t api.Tenant) bool { return t.ID == ts.ID })
		if open := len(openRows(st, ts)); open > 0 && !visible {
			p.Log.Warn("a tenant with open jobs is no longer visible to this account; its jobs are kept, "+
				"and reported if it comes back", "tenant", ts.Name, "tenant_id", ts.ID, "open_jobs", open)
		}
	}
}

// dest is where a message goes: the webhook (or app channel) as the
// outbox names it, and its URL, or its channel and bot token, in the
// config in force.
type dest struct {
	hook state.Hook
	url  config.Secret
	// channel and token are set for an app channel (see app.go).
	channel string
	token   config.Secret
}

// destOf is where tenant id's messages go: its own channel or webhook
// when its [[tenant]] entry has one, else the default channel, else the
// default webhook (config.Route.Channel's order).
func (p *Pass) destOf(id int64) dest {
	app := p.Cfg.Slack.App
	r, ok := p.routes[id]
	own := ok && r.Tenant != nil
	switch {
	case own && r.Tenant.Channel != "" && app.Enabled():
		return dest{hook: state.Hook(id), channel: r.Tenant.Channel, token: app.BotToken}
	case own && !r.Tenant.Webhook.IsZero():
		return dest{hook: state.Hook(id), url: r.Webhook}
	case app.Channel != "" && app.Enabled():
		return dest{hook: state.DefaultHook, channel: app.Channel, token: app.BotToken}
	}
	return dest{hook: state.DefaultHook, url: p.Cfg.Slack.Webhook}
}

// destOfHook is where the messages queued for hook go now: a tenant's
// webhook that is no longer configured (or a tenant no longer visible)
// falls back to the default webhook, as new messages would.
func (p *Pass) destOfHook(h state.Hook) dest {
	d := p.destOf(int64(h))
	d.hook = h
	return d
}
