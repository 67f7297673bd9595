package state

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// migrateV1 reads a schema 1 document: its messages' payloads were base64
// strings, and webhooks were named "default" or "tenant:<id>" (in the
// messages and as the keys of dead_hooks). Everything else reads as it is.
func migrateV1(b []byte) (*State, error) {
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("%w: %s", ErrCorrupt, jsonErr(b, err))
	}
	for _, key := range []string{"outbox", "dead_letters"} {
		if doc[key] == nil {
			continue
		}
		var msgs []map[string]json.RawMessage
		if err := json.Unmarshal(doc[key], &msgs); err != nil {
			return nil, fmt.Errorf("%w: schema 1 %s: %w", ErrCorrupt, key, err)
		}
		for i, m := range msgs {
			if err := migrateMessageV1(m); err != nil {
				return nil, fmt.Errorf("%w: schema 1 %s[%d]: %w", ErrCorrupt, key, i, err)
			}
		}
		doc[key] = mustMarshal(msgs)
	}
	if doc["dead_hooks"] != nil {
		var old map[string]json.RawMessage
		if err := json.Unmarshal(doc["dead_hooks"], &old); err != nil {
			return nil, fmt.Errorf("%w: schema 1 dead_hooks: %w", ErrCorrupt, err)
		}
		hooks := map[Hook]json.RawMessage{}
		for name, v := range old {
			h, err := hookV1(name)
			if err != nil {
				return nil, fmt.Errorf("%w: schema 1 dead_hooks: %w", ErrCorrupt, err)
			}
			hooks[h] = v
		}
		doc["dead_hooks"] = mustMarshal(hooks)
	}
	doc["version"] = mustMarshal(Version) // schema 2 to 3 adds optional fields only
	st := New()
	if err := json.Unmarshal(mustMarshal(doc), st); err != nil {
		return nil, fmt.Errorf("%w: schema 1: %w", ErrCorrupt, err)
	}
	if st.Tenants == nil {
		st.Tenants = map[string]*TenantState{}
	}
	return st, nil
}

// migrateMessageV1 turns a schema 1 message into a schema 2 one, in place.
func migrateMessageV1(m map[string]json.RawMessage) error {
	var name string
	if err := json.Unmarshal(m["hook"], &name); err != nil {
		return fmt.Errorf("hook: %w", err)
	}
	h, err := hookV1(name)
	if err != nil {
		return err
	}
	m["hook"] = mustMarshal(h)
	var payload []byte // base64 in the file
	if err := json.Unmarshal(m["payload"], &payload); err != nil {
		return fmt.Errorf("payload: %w", err)
	}
	if !json.Valid(payload) {
		return fmt.Errorf("payload is not JSON")
	}
	m["payload"] = payload
	return nil
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

func mustMarshal(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("state migration: %v", err)) // plain JSON values: cannot fail
	}
	return b
}
