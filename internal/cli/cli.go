// Package cli implements faqbot's subcommands, one file per command. Each file
// registers its command in init; Main dispatches on the first argument.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"github.com/flsps/faqbot/internal/config"
	"io"
	"os"
	"os/signal"
	"sort"
	"syscall"

	"github.com/flsps/faqbot/internal/store"
)

// Env is what a command may touch of the outside world, so tests can run
// commands in-process.
type Env struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	Getenv func(string) string
}

// OSEnv is the process's real environment.
func OSEnv() *Env {
	return &Env{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv}
}

type command struct {
	name    string
	summary string
	run     func(ctx context.Context, env *Env, args []string) int
}

var commands = map[string]command{}

func register(name, summary string, run func(ctx context.Context, env *Env, args []string) int) {
	if _, dup := commands[name]; dup {
		panic("cli: command registered twice: " + name)
	}
	commands[name] = command{name: name, summary: summary, run: run}
}

// Main runs the subcommand named by args[0] and returns the exit code.
func Main(args []string, env *Env) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return Run(ctx, args, env)
}

// Run is Main with a caller-provided context (tests use it).
func Run(ctx context.Context, args []string, env *Env) int {
	if len(args) == 0 {
		usage(env.Stderr)
		return 2
	}
	if isHelp(args[0]) || args[0] == "help" {
		usage(env.Stdout) // asked for: stdout, so `faqbot --help | less` works
		return 0
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(env.Stderr, "faqbot: unknown command %q\n\n", args[0])
		usage(env.Stderr)
		return 2
	}
	return cmd.run(ctx, env, args[1:])
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "faqbot answers patients' text messages from a curated FAQ and hands the rest to staff.")
	fmt.Fprintln(w, "\nUsage: faqbot <command> [flags] [args]\n\nCommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-12s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w, "\nRun 'faqbot <command> --help' for a command's flags.")
}

// newFlags is a command's FlagSet. Its mistakes (a bad flag) go to stderr;
// parseArgs prints the usage asked for with --help to stdout. A custom
// fs.Usage must write to fs.Output().
func newFlags(env *Env, name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	return fs
}

func isHelp(a string) bool { return a == "-h" || a == "-help" || a == "--help" }

// parseArgs parses flags that may come before or after positional
// arguments ("ask --json TEXT" and "ask TEXT --json" alike). A lone "--"
// ends the flags. When ok is false, code is the exit code: 0 after --help
// (the usage went to stdout), 2 after a bad flag (the error and usage went
// to stderr).
func parseArgs(env *Env, fs *flag.FlagSet, args []string) (pos []string, code int, ok bool) {
	for _, a := range args {
		if a == "--" {
			break
		}
		if isHelp(a) {
			fs.SetOutput(env.Stdout)
			fs.Usage()
			return nil, 0, false
		}
	}
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, 0, false
			}
			return nil, 2, false
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, 0, true
		}
		if args[0] == "--" {
			return append(pos, args[1:]...), 0, true
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// noArgs parses flags for a command that takes no positional arguments.
func noArgs(env *Env, fs *flag.FlagSet, args []string) (code int, ok bool) {
	pos, code, ok := parseArgs(env, fs, args)
	if ok && len(pos) > 0 {
		fmt.Fprintf(env.Stderr, "faqbot %s: unexpected argument %q\n", fs.Name(), pos[0])
		return 2, false
	}
	return code, ok
}

// openStore opens the store the server uses: PostgreSQL when
// FAQBOT_DATABASE_URL is set, otherwise SQLite in the data directory. Only
// commands that set up a first account (create) may create an SQLite file;
// the others say there is no database instead.
func openStore(ctx context.Context, cfg *config.Config, create bool) (*store.SQL, error) {
	switch {
	case cfg.DatabaseURL != "":
		return store.OpenPostgres(ctx, cfg.DatabaseURL)
	case create:
		return store.OpenDataDir(ctx, cfg.DataDir)
	}
	return store.OpenExistingDataDir(ctx, cfg.DataDir)
}
