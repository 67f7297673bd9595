package config

import _ "embed"

// starterTOML is the commented starter config.
//
//go:embed starter.toml
var starterTOML string

// StarterConfig returns a fully commented config file, in English, for
// `kamobot config init` to write: every key is explained, optional ones are
// shown commented out with an example value. Load accepts it once the
// server, the user and the password file are filled in.
func StarterConfig() []byte { return []byte(starterTOML) }
