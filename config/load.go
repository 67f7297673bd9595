package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"unicode/utf8"
)

// Environment variables Load reads. They win over the config file.
const (
	EnvServer            = "KAMOBOT_SERVER"
	EnvUser              = "KAMOBOT_USER"
	EnvPassword          = "KAMOBOT_PASSWORD"
	EnvPasswordFile      = "KAMOBOT_PASSWORD_FILE"
	EnvSlackWebhook      = "KAMOBOT_SLACK_WEBHOOK"
	EnvSlackWebhookFile  = "KAMOBOT_SLACK_WEBHOOK_FILE"
	EnvSlackBotToken     = "KAMOBOT_SLACK_BOT_TOKEN"
	EnvSlackBotTokenFile = "KAMOBOT_SLACK_BOT_TOKEN_FILE"
	EnvSlackAppToken     = "KAMOBOT_SLACK_APP_TOKEN"
	EnvSlackAppTokenFile = "KAMOBOT_SLACK_APP_TOKEN_FILE"
	// EnvCredentialsDirectory is set by systemd for a unit with
	// LoadCredential=; kamobot reads "kamonohashi-password" and
	// "slack-webhook" there first.
	EnvCredentialsDirectory = "CREDENTIALS_DIRECTORY"
)

// Names of the systemd credentials Load reads from $CREDENTIALS_DIRECTORY.
const (
	CredentialPassword = "kamonohashi-password"
	CredentialWebhook  = "slack-webhook"
	CredentialBotToken = "slack-bot-token"
	CredentialAppToken = "slack-app-token"
)

// maxConfigSize bounds what is read from a config file.
const maxConfigSize = 1 << 20

// Load reads the config file at path (DefaultPath() when path is ""),
// applies the environment (env is usually os.Getenv; nil means os.Getenv),
// reads the secrets and checks everything.
//
// A missing file is not an error by itself: the environment may configure
// kamobot alone (KAMOBOT_SERVER, KAMOBOT_USER and a password), as in a
// container. When neither gives the server, user and password, the error
// wraps ErrNotConfigured and says what is missing.
//
// Secrets are taken from the first of: $CREDENTIALS_DIRECTORY/<credential>
// (systemd), the *_FILE variable, the variable itself, the config's *_file
// key, the config's inline value (with a warning). A secret file, and the
// config file if it holds a secret, must not be readable or writable by
// group or others (files under $CREDENTIALS_DIRECTORY excepted): the error
// then wraps ErrInsecurePermissions and says "chmod 600 <path>".
//
// Every problem found is reported, joined with errors.Join; each is an
// *Error naming the file, line and key. Content errors wrap ErrInvalid.
// When errors.Is(err, ErrInsecurePermissions) holds, that should decide the
// exit code, even if other problems were found too. On error the Config is
// nil; warnings are returned in any case.
func Load(path string, env func(string) string) (*Config, []Warning, error) {
	if path == "" {
		path = DefaultPath()
	}
	if env == nil {
		env = os.Getenv
	}
	src, mode, err := readFile(path, maxConfigSize, "a config file")
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, nil, &Error{File: path, Msg: fmt.Sprintf("cannot read the config file: %v", err), Err: err}
	}
	return load(path, src, err == nil, mode, env)
}

// readFile reads a regular file of at most limit bytes, what it should be
// (such as "a secret file") naming it in the error when it is larger. The
// mode returned is the opened file's, so that the file checked is the file
// read; a FIFO is refused before opening, which would block.
func readFile(path string, limit int, what string) ([]byte, fs.FileMode, error) {
	if fi, err := os.Stat(path); err != nil {
		return nil, 0, err
	} else if !fi.Mode().IsRegular() {
		return nil, 0, fmt.Errorf("%s is not a regular file", path)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, 0, err
	}
	if !fi.Mode().IsRegular() {
		return nil, 0, fmt.Errorf("%s is not a regular file", path)
	}
	data, err := io.ReadAll(io.LimitReader(f, int64(limit)+1))
	if err != nil {
		return nil, 0, err
	}
	if len(data) > limit {
		size := fmt.Sprintf("%d KiB", limit>>10)
		if limit >= 1<<20 {
			size = fmt.Sprintf("%d MiB", limit>>20)
		}
		return nil, 0, fmt.Errorf("%s is larger than %s: it does not look like %s", path, size, what)
	}
	return data, fi.Mode(), nil
}

// load does Load's work on the file's content: present says whether the
// file exists, mode is its mode.
func load(path string, src []byte, present bool, mode fs.FileMode, env func(string) string) (*Config, []Warning, error) {
	c := &checker{file: path, credDir: env(EnvCredentialsDirectory), env: env}
	doc := &fileDoc{}
	if present {
		if off := invalidUTF8(src); off >= 0 {
			pos := positionAt(src, off)
			return nil, nil, &Error{File: path, Line: pos.Line, Col: pos.Col, Err: ErrInvalid,
				Msg: "the file is not UTF-8 text: save it as UTF-8"}
		}
		if doc, c.pl, c.errs = parseFile(path, src); doc == nil {
			return nil, nil, errors.Join(sortErrors(c.errs)...)
		}
		c.base = filepath.Dir(path)
	}
	c.check(doc)
	cfg := &c.cfg
	if present {
		cfg.File = path
		if key := c.firstInlineSecret(); key != "" && !under(path, c.credDir) {
			if err := checkMode(path, mode); err != nil {
				c.fail(key, err, fmt.Sprintf("the config file holds a secret, so it must be private: %v (or move the secret to a file of its own)", err))
			}
		}
	}

	c.applyEnv()
	cfg.Kamonohashi.Password, cfg.Kamonohashi.PasswordSource = c.resolveSecret(CredentialPassword, EnvPasswordFile, EnvPassword, c.password)
	cfg.Slack.Webhook, cfg.Slack.WebhookSource = c.resolveSecret(CredentialWebhook, EnvSlackWebhookFile, EnvSlackWebhook, c.webhook)
	for i, ref := range c.tenantHooks {
		cfg.Tenants[i].Webhook, cfg.Tenants[i].WebhookSource = c.resolveSecret("", "", "", ref)
	}
	c.resolveAppTokens()
	c.checkRequired(present)

	warns, err := c.result()
	if err != nil {
		return nil, warns, err
	}
	return cfg, warns, nil
}

// invalidUTF8 returns the offset of the first byte of src that is not
// UTF-8, or -1.
func invalidUTF8(src []byte) int {
	for off, r := range string(src) {
		if r == utf8.RuneError && !bytes.HasPrefix(src[off:], []byte("\uFFFD")) {
			return off
		}
	}
	return -1
}

// positionAt returns the line and column (in characters) of offset off.
func positionAt(src []byte, off int) position {
	off = min(max(off, 0), len(src))
	before := src[:off]
	start := bytes.LastIndexByte(before, '\n') + 1
	return position{Line: bytes.Count(before, []byte("\n")) + 1, Col: utf8.RuneCount(before[start:]) + 1}
}

// holdsSecret reports whether s (a key or a line) is about a password or
// a webhook.
func holdsSecret(s string) bool {
	s = strings.ToLower(s)
	return strings.Contains(s, "password") || strings.Contains(s, "webhook") || strings.Contains(s, "token")
}

// firstInlineSecret returns the key of the first secret written in the
// config file itself, or "".
func (c *checker) firstInlineSecret() string {
	for _, ref := range append([]secretRef{c.password, c.webhook, c.botToken, c.appToken}, c.tenantHooks...) {
		if !ref.value.IsZero() {
			return ref.valueKey
		}
	}
	return ""
}

// applyEnv applies KAMOBOT_SERVER and KAMOBOT_USER.
func (c *checker) applyEnv() {
	k := &c.cfg.Kamonohashi
	if s := strings.TrimSpace(c.env(EnvServer)); s != "" {
		server, warn, err := normalizeServer(s)
		switch {
		case err != nil:
			c.errs = append(c.errs, &Error{Key: EnvServer, Msg: err.Error(), Err: ErrInvalid})
		case warn != "":
			c.warns = append(c.warns, Warning{Key: EnvServer, Msg: warn})
		}
		k.Server = server
	}
	if s := strings.TrimSpace(c.env(EnvUser)); s != "" {
		k.User = s
	}
}

// resolveSecret finds a secret in the first source that gives it: the
// systemd credential, the environment variable naming a file, the variable
// holding the value (per-tenant webhooks have none of these three: ""),
// then the config file. It reads the secret, checks it with ref.check, and
// returns it with a description of where it came from.
func (c *checker) resolveSecret(credential, envFile, envValue string, ref secretRef) (Secret, string) {
	var (
		s      Secret
		source string
		err    error
		at     Error // where a problem with the chosen source is reported
	)
	credPath := ""
	if c.credDir != "" && credential != "" {
		credPath = filepath.Join(c.credDir, credential)
		if _, statErr := os.Stat(credPath); statErr != nil {
			credPath = ""
		}
	}
	switch {
	case credPath != "":
		source = "$" + EnvCredentialsDirectory + "/" + credential
		at = Error{File: credPath, Key: source}
		s, err = readSecretFile(credPath, false)
	case envFile != "" && c.env(envFile) != "":
		path := c.env(envFile)
		if c.env(envValue) != "" {
			c.warns = append(c.warns, Warning{Key: envValue, Msg: fmt.Sprintf("ignored: %s is set too, and wins", envFile)})
		}
		source = fmt.Sprintf("%s (%s)", envFile, path)
		at = Error{Key: envFile}
		s, err = readSecretFile(path, !under(path, c.credDir))
	case envValue != "" && c.env(envValue) != "":
		source = envValue
		at = Error{Key: envValue}
		s = Secret(strings.TrimRight(c.env(envValue), " \t\r\n"))
	case ref.file != "":
		source = fmt.Sprintf("%s (%s)", ref.fileKey, ref.file)
		pos := c.where(ref.fileKey)
		at = Error{File: c.file, Line: pos.Line, Col: pos.Col, Key: ref.fileKey}
		s, err = readSecretFile(ref.file, !under(ref.file, c.credDir))
	case !ref.value.IsZero():
		// Checked (and warned about) while decoding the file.
		return ref.value, fmt.Sprintf("%s in %s", ref.valueKey, c.file)
	default:
		return "", ""
	}
	if err != nil {
		at.Err, at.Msg = err, fmt.Sprintf("cannot read the secret: %v", err)
		c.errs = append(c.errs, &at)
		return "", source
	}
	if ref.check != nil {
		if err := ref.check(s); err != nil {
			at.Err, at.Msg = ErrInvalid, err.Error()
			c.errs = append(c.errs, &at)
		}
	}
	return s, source
}

// checkRequired reports what is missing to reach KAMONOHASHI at all, unless
// a problem with that setting was already reported.
func (c *checker) checkRequired(present bool) {
	cfg := &c.cfg
	reported := func(keys ...string) bool {
		return slices.ContainsFunc(c.errs, func(e *Error) bool { return slices.Contains(keys, e.Key) })
	}
	var missing []string
	if cfg.Kamonohashi.Server == "" && !reported("kamonohashi.server", EnvServer) {
		missing = append(missing, "the KAMONOHASHI server (kamonohashi.server or "+EnvServer+")")
	}
	if cfg.Kamonohashi.User == "" && !reported("kamonohashi.user") {
		missing = append(missing, "the user to log in as (kamonohashi.user or "+EnvUser+")")
	}
	if cfg.Kamonohashi.Password.IsZero() && cfg.Kamonohashi.PasswordSource == "" {
		missing = append(missing, "the password (kamonohashi.password_file, "+EnvPasswordFile+" or "+EnvPassword+")")
	}
	if len(missing) == 0 {
		return
	}
	e := &Error{File: c.file, Err: ErrNotConfigured,
		Msg: fmt.Sprintf("%v: missing %s; fill them in, or set the environment variables", ErrNotConfigured, joinAnd(missing))}
	if !present {
		e.File = ""
		e.Msg = fmt.Sprintf("%v: missing %s; there is no config file at %s: run `kamobot config init` to write a commented starter file, or set the environment variables",
			ErrNotConfigured, joinAnd(missing), c.file)
	}
	c.errs = append(c.errs, e)
}
