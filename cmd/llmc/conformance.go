package main

import (
	"fmt"
	"io"
	"regexp"
	"time"

	"github.com/llmc/llmc/conformance"
	"github.com/llmc/llmc/ir"
	"github.com/llmc/llmc/passes"
)

func init() {
	register(command{name: "conformance", summary: "run the ONNX backend conformance suite", run: runConformance})
}

func runConformance(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("conformance", "[flags]", "Runs the ONNX backend test suite (Debian's libonnx-testdata) through the importer and the\nreference interpreter, and prints per-suite counts and 'N passed, N failed, N skipped'.", stderr)
	data := fs.String("data", conformance.DefaultDataDir, "suite `dir` (holding node/, pytorch-converted/, ...)")
	filter := fs.String("run", "", "run only tests whose name matches this `regexp`")
	verbose := fs.Bool("v", false, "print every test with its status and the reason for failures and skips")
	timeout := fs.Duration("timeout", 2*time.Minute, "per-test time limit")
	backend := fs.String("backend", "ref", "`backend`: ref (reference interpreter) or cpu (execution plan with CPU kernels)")
	level := fs.Int("O", 0, "optimize every model at this `level` (0-2) before running it")
	writeExpected := fs.String("write-expected", "", "write the passing tests to `file` (the expectations list go test enforces)")
	if _, err := parse(fs, optLevelArgs(args), 0); err != nil {
		return err
	}
	opts := conformance.Options{DataDir: *data, Timeout: *timeout}
	switch *backend {
	case "ref":
	case "cpu":
		opts.Run = conformance.CPUBackend
	default:
		return usagef("unknown backend %q (ref, cpu)", *backend)
	}
	if *level > 0 {
		lv := *level
		opts.Prepare = func(m *ir.Model) error {
			_, err := passes.Optimize(m, lv, passes.Options{VerifyEach: true})
			return err
		}
	}
	if *filter != "" {
		re, err := regexp.Compile(*filter)
		if err != nil {
			return usagef("bad -run pattern: %v", err)
		}
		opts.Filter = re
	}
	results, err := conformance.Run(opts)
	if err != nil {
		return err
	}
	if *verbose {
		for _, r := range results {
			line := fmt.Sprintf("%-4s %s/%s (%.2fs)", r.Status, r.Suite, r.Name, r.Duration.Seconds())
			if r.Reason != "" {
				line += ": " + oneLine(r.Reason, 400)
			}
			fmt.Fprintln(stdout, line)
		}
	}
	sums := conformance.Summarize(results)
	for _, s := range conformance.Suites {
		if x := sums[s]; x != nil {
			fmt.Fprintf(stdout, "%-18s %4d passed, %4d failed, %4d skipped\n", s+":", x.Passed, x.Failed, x.Skipped)
		}
	}
	if *writeExpected != "" {
		if err := conformance.WriteExpected(*writeExpected, results); err != nil {
			return err
		}
	}
	t := sums[""]
	fmt.Fprintf(stdout, "%d passed, %d failed, %d skipped\n", t.Passed, t.Failed, t.Skipped)
	return nil
}

func oneLine(s string, max int) string {
	out := make([]rune, 0, len(s))
	for _, r := range s {
		if r == '\n' || r == '\t' {
			r = ' '
		}
		out = append(out, r)
		if len(out) >= max {
			out = append(out, '…')
			break
		}
	}
	return string(out)
}
