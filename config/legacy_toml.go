package config

import (
	_ "embed"
	"fmt"
	"slices"
	"strings"
	"text/template"
)

// legacyTemplateText is the config file the import writes, as a
// text/template that a legacyConfig fills in.
//
//go:embed legacy.toml.tmpl
var legacyTemplateText string

var legacyTemplate = template.Must(template.New("").Funcs(template.FuncMap{"quote": quoteTOML}).Parse(legacyTemplateText))

// toml writes the translated configuration as a commented config file.
func (c legacyConfig) toml() []byte {
	var b strings.Builder
	if err := legacyTemplate.Execute(&b, c); err != nil {
		panic(err) // the template and its data are kamobot's own
	}
	return []byte(strings.TrimRight(b.String(), "\n") + "\n")
}

// HoursTable is schedule.hours's inline table, default first.
func (c legacyConfig) HoursTable() string {
	var hours []string
	for _, k := range hoursKeys() {
		if h, ok := c.Hours[k]; ok {
			hours = append(hours, k+" = "+quoteTOML(h))
		}
	}
	return strings.Join(hours, ", ")
}

// MessageSets are the translated sets in the order of MessageKeys.
func (c legacyConfig) MessageSets() []legacyMessages {
	var sets []legacyMessages
	for _, k := range MessageKeys() {
		if set, ok := c.Messages[k]; ok {
			sets = append(sets, set)
		}
	}
	return sets
}

// Entry is the tenant's [[tenant]] entry, line by line.
func (t legacyTenant) Entry() []string {
	lines := []string{"[[tenant]]", fmt.Sprintf("id = %d", t.ID)}
	if len(t.Mention) > 0 {
		var ms []string
		for _, m := range t.Mention {
			ms = append(ms, quoteTOML(string(m)))
		}
		lines = append(lines, "mention = ["+strings.Join(ms, ", ")+"]")
	}
	return lines
}

// NamesMention reports whether one of the tenant's mentions is an @name.
func (t legacyTenant) NamesMention() bool { return slices.ContainsFunc(t.Mention, Mention.IsName) }
