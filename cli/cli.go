// Package cli is the terminal face of milady-cloud: `milady-cloud status`,
// `login`, `chat`, `doctor` and friends. Every command except doctor talks
// to the running instance over its REST API only, so the terminal works the
// same against a desktop app, a headless server under systemd, or a test
// instance, and does not depend on the app's internals.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
)

// Exit codes. They are part of the command's contract (scripts test them),
// so they are listed in --help and never renumbered.
const (
	ExitOK          = 0   // success; doctor: every check passed (warnings allowed)
	ExitFailure     = 1   // the command failed, no instance answers, or a doctor check failed
	ExitUsage       = 2   // bad arguments or flags
	ExitNotLoggedIn = 3   // the instance is not logged in to Eliza Cloud
	ExitInterrupted = 130 // cancelled with Ctrl+C
)

// Env is what a command may touch of the outside world; tests pass their own.
type Env struct {
	Getenv  func(string) string
	Stdin   io.Reader
	Stdout  io.Writer
	Stderr  io.Writer
	Version string
	// Open opens a URL in the browser; nil uses internal/opener, which keeps
	// the app's Eliza Cloud variables out of the browser's environment.
	Open func(url string) error
}

// command is one subcommand.
type command struct {
	name, args, summary string
	run                 func(ctx context.Context, e *Env, args []string) int
}

var commands = map[string]command{}

func register(c command) { commands[c.name] = c }

// IsCommand reports whether name is a subcommand: main runs the CLI for
// these and the app for anything else.
func IsCommand(name string) bool {
	_, ok := commands[name]
	return ok || name == "help"
}

// Run runs the subcommand args[0] with the rest of args; ctx ends on Ctrl+C.
func Run(ctx context.Context, e *Env, args []string) int {
	if e.Getenv == nil {
		e.Getenv = os.Getenv
	}
	if len(args) == 0 || args[0] == "help" {
		if len(args) > 1 {
			if c, ok := commands[args[1]]; ok {
				return c.run(ctx, e, []string{"--help"})
			}
		}
		fmt.Fprintln(e.Stdout, "Usage: milady-cloud <command> [flags]")
		fmt.Fprintln(e.Stdout)
		WriteCommands(e.Stdout)
		return ExitOK
	}
	c, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(e.Stderr, "milady-cloud: unknown command %q (see milady-cloud --help)\n", args[0])
		return ExitUsage
	}
	return c.run(ctx, e, args[1:])
}

// WriteCommands lists the subcommands and the exit codes, for main's --help.
func WriteCommands(w io.Writer) {
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	fmt.Fprintln(w, "Commands (talk to the running instance; see milady-cloud <command> --help):")
	for _, n := range names {
		c := commands[n]
		fmt.Fprintf(w, "  %-28s %s\n", strings.TrimSpace(n+" "+c.args), c.summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Exit codes: 0 ok; 1 failure, no instance answering, or a doctor check failed;")
	fmt.Fprintln(w, "2 usage error; 3 not logged in to Eliza Cloud; 130 cancelled with Ctrl+C.")
}

// flagSet is a subcommand's flag set. Help goes to stdout (it was asked
// for); a usage error is one line on stderr and exit 2.
type flagSet struct {
	*flag.FlagSet
	e    *Env
	name string
	port int
}

func newFlags(e *Env, name string) *flagSet {
	fs := &flagSet{FlagSet: flag.NewFlagSet(name, flag.ContinueOnError), e: e, name: name}
	fs.SetOutput(io.Discard)
	return fs
}

// withPort adds --port (default MILADY_PORT, else 2138).
func (fs *flagSet) withPort() *flagSet {
	fs.port = -1
	fs.Var((*portFlag)(&fs.port), "port", "REST API port `N` of the running instance (default: MILADY_PORT, else 2138)")
	return fs
}

// portFlag is --port; unset (-1) prints no default, since the default
// comes from MILADY_PORT.
type portFlag int

func (p *portFlag) String() string {
	if p == nil || *p <= 0 {
		return ""
	}
	return strconv.Itoa(int(*p))
}

func (p *portFlag) Set(s string) error {
	n, err := strconv.Atoi(s)
	if err != nil || n <= 0 || n > 65535 {
		return fmt.Errorf("%q is not a port number", s)
	}
	*p = portFlag(n)
	return nil
}

// parse parses args; ok false means return code.
func (fs *flagSet) parse(args []string, minArgs, maxArgs int) (code int, ok bool) {
	c := commands[fs.name]
	err := fs.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		w := fs.e.Stdout
		fmt.Fprintf(w, "Usage: milady-cloud %s\n\n%s\n", strings.TrimSpace(fs.name+" [flags] "+c.args), c.summary)
		if n := countFlags(fs.FlagSet); n > 0 {
			fmt.Fprintln(w, "\nFlags:")
			fs.SetOutput(w)
			fs.PrintDefaults()
		}
		return ExitOK, false
	}
	if err == nil && (fs.NArg() < minArgs || maxArgs >= 0 && fs.NArg() > maxArgs) {
		err = fmt.Errorf("wrong number of arguments; usage: milady-cloud %s", strings.TrimSpace(fs.name+" "+c.args))
	}
	if err != nil {
		fmt.Fprintf(fs.e.Stderr, "milady-cloud %s: %v\n", fs.name, err)
		return ExitUsage, false
	}
	return 0, true
}

// client is parse followed by the client for the running instance (--port,
// else MILADY_PORT; MILADY_API_BIND; MILADY_API_TOKEN), the opening of every
// command that talks to it. ok false means return code: help was shown, or
// the arguments or MILADY_PORT are unusable.
func (fs *flagSet) client(args []string, minArgs, maxArgs int) (c *client, code int, ok bool) {
	if code, ok := fs.parse(args, minArgs, maxArgs); !ok {
		return nil, code, false
	}
	c, err := newClient(fs.e, fs.port)
	if err != nil {
		return nil, usageErr(fs.e, fs.name, err), false
	}
	return c, 0, true
}

// onInstance makes the run of a command that takes no arguments and only
// --port: it parses them, then runs do with a client of the running
// instance.
func onInstance(name string, do func(ctx context.Context, e *Env, c *client) int) func(context.Context, *Env, []string) int {
	return func(ctx context.Context, e *Env, args []string) int {
		c, code, ok := newFlags(e, name).withPort().client(args, 0, 0)
		if !ok {
			return code
		}
		return do(ctx, e, c)
	}
}

func countFlags(fs *flag.FlagSet) int {
	n := 0
	fs.VisitAll(func(*flag.Flag) { n++ })
	return n
}
