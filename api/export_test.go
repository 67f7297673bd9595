package api

import (
	"context"
	"fmt"
	"time"
)

// Login logs in now, replacing any login token held. The Client logs in
// by itself when needed; the tests call Login to check the credentials. A
// refusal of the credentials matches ErrUnauthorized.
func (c *Client) Login(ctx context.Context) error {
	c.mu.Lock()
	stale := c.tokens[loginScope].value
	c.mu.Unlock()
	_, err := c.token(ctx, loginScope, stale)
	return err
}

// Location is the zone the Client reads the server's times in.
func (c *Client) Location() *time.Location { return c.loc }

// Account is the logged-in account and the tenants it may see. kamobot
// reads only the tenants (Client.Tenants); the tests read the whole
// account to check the login.
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
