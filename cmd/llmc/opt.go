package main

import (
	"fmt"
	"io"
	"time"

	"github.com/llmc/llmc/frontend/onnx"
	"github.com/llmc/llmc/passes"
)

func init() {
	register(command{name: "opt", summary: "optimize a model (folding, simplification, transformer fusions)", run: runOpt})
}

func runOpt(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("opt", "MODEL -o OUT.onnx [-O2] [--stats]", "Optimizes the model and writes it as ONNX: fused ops in domain com.microsoft, and llmc's\nMatMul-into-consumer ops (domain llmc) written with their definitions as model-local functions,\nso ONNX Runtime runs the result (leave fuse-matmul out of --passes for com.microsoft ops only).", stderr)
	out := fs.String("o", "", "output `file` (.onnx)")
	level := fs.Int("O", 2, "optimization `level` 0-2")
	list := fs.String("passes", "", "run this comma-separated `list` of passes instead of a level ("+fmt.Sprint(passes.Names())+")")
	verify := fs.Bool("verify-each", false, "verify the graph after every pass and name the pass that broke it")
	printAfter := fs.String("print-ir-after", "", "print the textual IR after `pass` (or all)")
	stats := fs.Bool("stats", false, "print per-pass time, node counts and rules fired")
	verbose := fs.Bool("v", false, "with --stats: also say why patterns did not match")
	external := fs.Bool("external-data", false, "write weights to OUT.onnx.data")
	pos, err := parse(fs, optLevelArgs(args), 1)
	if err != nil {
		return err
	}
	if *out == "" {
		return usagef("-o OUT.onnx is required")
	}
	start := time.Now()
	m, err := onnx.Load(pos[0])
	if err != nil {
		return err
	}
	loaded := time.Since(start)
	opts := passes.Options{VerifyEach: *verify, PrintIRAfter: *printAfter, Verbose: *verbose}
	if *printAfter != "" {
		opts.PrintTo = stdout
	}
	before := m.Graph.NumNodes()
	var rep *passes.Report
	if *list != "" {
		rep, err = passes.RunNamed(m, passes.ParseList(*list), opts)
	} else {
		rep, err = passes.Optimize(m, *level, opts)
	}
	if err != nil {
		return err
	}
	optimized := time.Since(start) - loaded
	if err := onnx.Save(m, *out, onnx.ExportOptions{ExternalData: *external}); err != nil {
		return err
	}
	if *stats {
		fmt.Fprint(stdout, rep.Format(*verbose))
	}
	fmt.Fprintf(stdout, "%s: %d → %d nodes (load %v, optimize %v)\n", *out, before, m.Graph.NumNodes(), loaded.Round(time.Millisecond), optimized.Round(time.Millisecond))
	return nil
}

// optLevelArgs accepts the compiler-style -O0 … -O2 spelling.
func optLevelArgs(args []string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		if len(a) == 3 && a[:2] == "-O" && a[2] >= '0' && a[2] <= '9' {
			a = "-O=" + a[2:]
		}
		out[i] = a
	}
	return out
}
