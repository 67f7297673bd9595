//go:build race

package testkit

// RaceEnabled reports whether this test binary was built with -race.
const RaceEnabled = true
