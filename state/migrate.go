package state

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// migrateV1 reads a schema 1 document: its messages' payloads were base64
// strings, and webhooks were named "default" or "tenant:<id>" (in the
// messages and as the keys of dead_hooks). Everything else reads as it is.
func migrateV1(b []byte) (*State, error) {
	// The fields of schema 1 that differ hide those of State (they are
	// less deep); State reads the rest.
	var v1 struct {
		*State
		Outbox      []messageV1          `json:"outbox"`
		DeadLetters []messageV1          `json:"dead_letters"`
		DeadHooks   map[string]*DeadHook `json:"dead_hooks"`
	}
	v1.State = New()
	if err := json.Unmarshal(b, &v1); err != nil {
		return nil, fmt.Errorf("%w: schema 1: %w", ErrCorrupt, err)
	}
	st := v1.State
	var err error
	if st.Outbox, err = messagesV1("outbox", v1.Outbox); err != nil {
		return nil, err
	}
	if st.DeadLetters, err = messagesV1("dead_letters", v1.DeadLetters); err != nil {
		return nil, err
	}
	if v1.DeadHooks != nil {
		st.DeadHooks = make(map[Hook]*DeadHook, len(v1.DeadHooks))
	}
	for name, dh := range v1.DeadHooks {
		h, err := hookV1(name)
		if err != nil {
			return nil, fmt.Errorf("%w: schema 1 dead_hooks: %w", ErrCorrupt, err)
		}
		st.DeadHooks[h] = dh
	}
	st.Version = Version // schema 2 to 3 adds optional fields only
	st.makeMaps()
	return st, nil
}

// messageV1 is a schema 1 message: its webhook by name, its payload in
// base64.
type messageV1 struct {
	Message
	Hook    string `json:"hook"`
	Payload string `json:"payload"`
}

// messagesV1 turns the schema 1 messages of field into schema 2 ones.
func messagesV1(field string, old []messageV1) ([]Message, error) {
	if old == nil {
		return nil, nil
	}
	msgs := make([]Message, len(old))
	for i, m := range old {
		h, err := hookV1(m.Hook)
		if err != nil {
			return nil, fmt.Errorf("%w: schema 1 %s[%d]: %w", ErrCorrupt, field, i, err)
		}
		payload, err := base64.StdEncoding.DecodeString(m.Payload)
		if err != nil {
			return nil, fmt.Errorf("%w: schema 1 %s[%d]: payload: %w", ErrCorrupt, field, i, err)
		}
		if !json.Valid(payload) {
			return nil, fmt.Errorf("%w: schema 1 %s[%d]: payload is not JSON", ErrCorrupt, field, i)
		}
		msgs[i] = m.Message
		msgs[i].Hook, msgs[i].Payload = h, payload
	}
	return msgs, nil
}

// hookV1 reads a schema 1 webhook name.
func hookV1(name string) (Hook, error) {
	if name == "default" {
		return DefaultHook, nil
	}
	if id, ok := strings.CutPrefix(name, "tenant:"); ok {
		n, err := strconv.ParseInt(id, 10, 64)
		if err == nil && n > 0 {
			return Hook(n), nil
		}
	}
	return 0, fmt.Errorf("unknown webhook name %q", name)
}
