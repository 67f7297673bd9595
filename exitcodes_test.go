package main

import (
	"os"
	"testing"
	"time"

	"github.com/kamobot/kamobot/api/kqifake"
	"github.com/rogpeppe/go-internal/testscript"
)

// TestExitCodeTable drives every row of README.md's exit-code table
// (commands.ExitCode) through the real binary, against the fakes:
// testdata/exitcodes/exit_codes.txtar has one section per code.
func TestExitCodeTable(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/exitcodes",
		RequireExplicitExec: true,
		UpdateScripts:       os.Getenv("KAMOBOT_UPDATE_SCRIPTS") != "",
		Setup:               setupFakes,
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"kqi":      cmdKQI,
			"slack":    cmdSlack,
			"exitcode": cmdExitCode,
			"kqifault": cmdKQIFault,
		},
	})
}

// kqifault sets faults of the fake KAMONOHASHI the kqi command has no
// words for:
//
//	kqifault malformed PATH      2xx answers to PATH cut in the middle of the JSON
//	kqifault latency D PATH      answers to PATH come after D
func cmdKQIFault(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: kqifault malformed PATH | kqifault latency D PATH")
	}
	f := fakesOf(ts)
	switch args[0] {
	case "malformed":
		f.kqi.SetFaults(kqifake.Faults{Malformed: true, Paths: args[1]})
	case "latency":
		if len(args) != 3 {
			ts.Fatalf("usage: kqifault latency D PATH")
		}
		d, err := time.ParseDuration(args[1])
		ts.Check(err)
		f.kqi.SetFaults(kqifake.Faults{Latency: d, Paths: args[2]})
	default:
		ts.Fatalf("unknown kqifault %q", args[0])
	}
}
