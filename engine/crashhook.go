//go:build !testhooks

package engine

import "github.com/kamobot/kamobot/state"

// crashPoint names a point of a pass where the fault-injection tests kill
// the process; they build kamobot with -tags testhooks
// (crashhook_testhooks.go). In a normal build it does nothing.
func crashPoint(string) {}

// installStoreHooks lets the fault-injection tests crash in the middle of a
// state write, or fail it as a full disk would. In a normal build it does
// nothing.
func installStoreHooks(*state.Store) {}
