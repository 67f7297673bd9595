package api

import (
	"context"
	"fmt"
)

// Account is the logged-in account and the tenants it may see.
type Account struct {
	UserID   int64
	UserName string
	// DefaultTenantID is the tenant a login is bound to.
	DefaultTenantID int64
	Tenants         []Tenant
}

// Account reads the account of the login (GET /api/v2/account).
func (c *Client) Account(ctx context.Context) (Account, error) {
	var out struct {
		UserID        int64    `json:"userId"`
		UserName      string   `json:"userName"`
		DefaultTenant *Tenant  `json:"defaultTenant"`
		Tenants       []Tenant `json:"tenants"` // TenantInfo, read without its roles
	}
	if _, err := c.get(ctx, "/api/v2/account", "/api/v2/account", loginScope, nil, &out); err != nil {
		return Account{}, fmt.Errorf("read account: %w", err)
	}
	a := Account{UserID: out.UserID, UserName: out.UserName, Tenants: append([]Tenant{}, out.Tenants...)}
	if out.DefaultTenant != nil {
		a.DefaultTenantID = out.DefaultTenant.ID
	}
	return a, nil
}

// Tenants lists the tenants the account may see, in the server's order
// (by display name).
//
// The list kept in the token file is reused once, by the next process,
// for TokenFileTenantsTTL (so a `check` from cron reads the account every
// few minutes, not every run); any 401 drops it.
func (c *Client) Tenants(ctx context.Context) ([]Tenant, error) {
	if ts, ok := c.cachedTenants(); ok {
		return ts, nil
	}
	a, err := c.Account(ctx)
	if err != nil {
		return nil, err
	}
	c.keepTenants(a.Tenants)
	return a.Tenants, nil
}

// Version asks the server its version (GET /api/v2/version). It needs no
// login, so it is a cheap health probe.
func (c *Client) Version(ctx context.Context) (string, error) {
	var out VersionOutput
	_, err := c.get(ctx, "/api/v2/version", "/api/v2/version", noAuth, nil, &out)
	if err != nil {
		return "", fmt.Errorf("read server version: %w", err)
	}
	return out.Version, nil
}
