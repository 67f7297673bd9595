package fuzzy

import "testing"

func TestDistance(t *testing.T) {
	for _, tt := range []struct {
		a, b string
		want int
	}{
		{"watch", "watch", 0}, {"wtach", "watch", 1}, {"wach", "watch", 1}, {"watchx", "watch", 1},
		{"interval", "intervl", 1}, {"check", "state", 5}, {"", "abc", 3}, {"テナント", "テナンド", 1},
	} {
		if got := Distance(tt.a, tt.b); got != tt.want {
			t.Errorf("Distance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}
