package config

// ReadSecretFile reads a secret from a file the way Load reads *_file keys:
// one line, trailing newline trimmed, refused when group or others may read
// or write it (the error then wraps ErrInsecurePermissions).
func ReadSecretFile(path string) (Secret, error) { return readSecretFile(path, true) }
