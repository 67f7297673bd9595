package config

import (
	"errors"
	"fmt"
)

// ErrInvalid is wrapped by every error about the content of a config file:
// a syntax error, an unknown key, a value of the wrong type or out of range.
var ErrInvalid = errors.New("invalid configuration")

// ErrNotConfigured is wrapped by the error Load returns when neither the
// config file nor the environment says which server to watch, as whom, or
// with which password.
var ErrNotConfigured = errors.New("kamobot is not configured")

// ErrInsecurePermissions is wrapped by the error Load returns when a file
// holding a secret can be read or written by the file's group or by others.
var ErrInsecurePermissions = errors.New("insecure file permissions")

// Error is one problem found in a config file. Load joins several of them
// with errors.Join, one per problem, so that a user can fix them all at once.
//
// Error never holds a secret: messages about the password or a webhook name
// the key and the file, never the value.
type Error struct {
	File string // the config file, or the secret file the problem is in
	Line int    // 1-based line in File, or 0 when not known
	Col  int    // 1-based column (in characters), or 0 when not known
	Key  string // the key the problem is about, e.g. "watch.interval" or "tenant[1].mention[0]"
	Msg  string // what is wrong, in lowercase
	Err  error  // the sentinel or cause wrapped: ErrInvalid, ErrInsecurePermissions, ...
}

// Error formats the problem as "file:line:col: key: message".
func (e *Error) Error() string {
	s := e.Msg
	if e.Key != "" {
		s = e.Key + ": " + s
	}
	switch {
	case e.File != "" && e.Line > 0 && e.Col > 0:
		return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Col, s)
	case e.File != "" && e.Line > 0:
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, s)
	case e.File != "":
		return e.File + ": " + s
	case e.Line > 0:
		return fmt.Sprintf("line %d: %s", e.Line, s)
	}
	return s
}

// Unwrap returns the sentinel or cause, for errors.Is and errors.As.
func (e *Error) Unwrap() error { return e.Err }

// Warning is something in the configuration that works but is probably not
// what the user wants, or is unsafe: a Slack @name that no longer mentions
// anyone, a password kept in the config file, an interval that was raised.
type Warning struct {
	File string // the config file, or "" when the warning is about the environment
	Line int    // 1-based line in File, or 0 when not known
	Col  int    // 1-based column (in characters), or 0 when not known
	Key  string // the key the warning is about
	Msg  string // what is wrong and how to fix it
}

// String formats the warning as "file:line:col: key: message".
func (w Warning) String() string {
	return (&Error{File: w.File, Line: w.Line, Col: w.Col, Key: w.Key, Msg: w.Msg}).Error()
}

// position is a place in a file.
type position struct {
	Line int // 1-based
	Col  int // 1-based, in characters
}
