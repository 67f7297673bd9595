package api

import (
	"context"
	"fmt"
)

// Tenants lists the tenants the account may see (GET /api/v2/account), in
// the server's order (by display name).
//
// The list kept in the token file is reused once, by the next process,
// for TokenFileTenantsTTL (so a `check` from cron reads the account every
// few minutes, not every run); any 401 drops it.
func (c *Client) Tenants(ctx context.Context) ([]Tenant, error) {
	if ts, ok := c.cachedTenants(); ok {
		return ts, nil
	}
	var out struct {
		Tenants []Tenant `json:"tenants"` // TenantInfo, read without its roles
	}
	if _, err := c.get(ctx, "/api/v2/account", "/api/v2/account", loginScope, nil, &out); err != nil {
		return nil, fmt.Errorf("read account: %w", err)
	}
	ts := append([]Tenant{}, out.Tenants...)
	c.keepTenants(ts)
	return ts, nil
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
