package state

import (
	"errors"
	"strings"
	"testing"
)

// Decode parses once and only looks at the version again when the document
// does not fit: these are the cases where the order matters.
func TestDecodeTellsNewerFromCorrupt(t *testing.T) {
	tests := []struct {
		name, body string
		want       error
		says       string
	}{
		{"newer, other shape", `{"version":4,"written_by":"kamobot v4","tenants":[1,2]}`, ErrNewer, "kamobot v4 wrote schema 4"},
		{"newer, same shape", `{"version":4,"tenants":{}}`, ErrNewer, "a newer kamobot wrote schema 4"},
		{"version null", `{"version":null,"tenants":{}}`, ErrCorrupt, `no valid "version"`},
		{"version zero", `{"version":0,"tenants":{}}`, ErrCorrupt, `no valid "version"`},
		{"version a string", `{"version":"1","tenants":{}}`, ErrCorrupt, "version"},
		{"bad body, old version", `{"version":1,"next_seq":"x"}`, ErrCorrupt, "next_seq"},
		{"bad body", `{"version":2,"next_seq":"x"}`, ErrCorrupt, "next_seq"},
		{"schema 1, unknown hook", `{"version":1,"outbox":[{"hook":"slack","payload":"e30="}]}`, ErrCorrupt, `"slack"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Decode([]byte(tt.body))
			if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.says) {
				t.Fatalf("Decode error = %v; want %v mentioning %q", err, tt.want, tt.says)
			}
		})
	}
	st, err := Decode([]byte(`{"version":1}`))
	if err != nil || st.Version != Version || st.Tenants == nil {
		t.Fatalf("Decode of a minimal state = %+v, %v", st, err)
	}
}
