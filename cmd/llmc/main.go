// Command llmc compiles, inspects, draws, converts and runs ONNX models.
//
// Usage: llmc <command> [flags] MODEL
//
// Exit codes follow Go tools: 0 success, 1 failure (bad model, mismatch, error), 2 bad usage.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
)

type command struct {
	name    string
	summary string
	run     func(args []string, stdout, stderr io.Writer) error
}

var commands []command

func register(c command) { commands = append(commands, c) }

// usageError makes main exit with status 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	sort.Slice(commands, func(i, j int) bool { return commands[i].name < commands[j].name })
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		if len(args) > 1 {
			return run([]string{args[1], "--help"}, stdout, stderr)
		}
		printUsage(stdout)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	for _, c := range commands {
		if c.name == args[0] {
			err := c.run(args[1:], stdout, stderr)
			switch {
			case err == nil:
				return 0
			case errors.Is(err, flag.ErrHelp):
				return 0
			}
			var ue usageError
			if errors.As(err, &ue) {
				fmt.Fprintf(stderr, "llmc %s: %v\nRun 'llmc %s --help' for usage.\n", c.name, err, c.name)
				return 2
			}
			if errors.Is(err, errSilentFailure) {
				return 1
			}
			fmt.Fprintf(stderr, "llmc %s: %v\n", c.name, err)
			return 1
		}
	}
	fmt.Fprintf(stderr, "llmc: unknown command %q\n", args[0])
	printUsage(stderr)
	return 2
}

// errSilentFailure exits 1 after the command already reported why.
var errSilentFailure = errors.New("failed")

func printUsage(w io.Writer) {
	fmt.Fprintln(w, "llmc compiles ONNX models (BERT first) into fast, cgo-free Go.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Usage: llmc <command> [flags] [MODEL]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Commands:")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-12s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Run 'llmc <command> --help' for a command's flags.")
}

// newFlags makes a FlagSet whose errors become usage errors and whose usage text names the
// command.
func newFlags(name, argsUsage, desc string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: llmc %s %s\n\n%s\n\nFlags:\n", name, argsUsage, desc)
		fs.PrintDefaults()
	}
	return fs
}

// parse parses flags (allowing flags after positional arguments) and checks the positional count.
func parse(fs *flag.FlagSet, args []string, nargs int) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, usageError{err.Error()}
		}
		if fs.NArg() == 0 {
			break
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if nargs >= 0 && len(pos) != nargs {
		if nargs == 1 {
			return nil, usagef("expected one MODEL argument, got %d", len(pos))
		}
		return nil, usagef("expected %d arguments, got %d", nargs, len(pos))
	}
	return pos, nil
}
