package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/llmc/llmc/codegen"
	"github.com/llmc/llmc/frontend/onnx"
	"github.com/llmc/llmc/ir"
	"github.com/llmc/llmc/passes"
)

func init() {
	register(command{name: "compile", summary: "compile a model into a Go package", run: runCompile})
}

func runCompile(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("compile", "MODEL -o DIR [--package NAME] [-O2] [--weights embed|external] [--precision int8x6|bf16x6|fp32|bf16x3]", "Compiles the model into a Go package (generated code calling llmc's CPU kernels, weights\npre-packed in weights.bin) that an app imports and builds with plain go build.\nWith --test-data (default: MODEL's test_data_set_0 when present) a generated test checks\nthe recorded outputs.", stderr)
	out := fs.String("o", "", "output `dir` (the package directory)")
	pkg := fs.String("package", "", "Go package `name` (default: from the directory name)")
	level := fs.Int("O", 2, "optimization `level`")
	weights := fs.String("weights", "embed", "embed weights.bin with go:embed, or load it at run time (external: next to the binary, mmap)")
	testData := fs.String("test-data", "", "test_data_set `dir` to record into the generated test (default: beside the model)")
	precision := precisionFlag(fs, "the package's default ")
	showSchedule := fs.Bool("schedule", false, "print the schedule (the kernel steps the package runs)")
	pos, err := parse(fs, optLevelArgs(args), 1)
	if err != nil {
		return err
	}
	if *out == "" {
		return usagef("-o DIR is required")
	}
	if *weights != "embed" && *weights != "external" {
		return usagef("--weights must be embed or external")
	}
	start := time.Now()
	m, err := onnx.Load(pos[0])
	if err != nil {
		return err
	}
	before := m.Graph.NumNodes()
	if _, err := passes.Optimize(m, *level, passes.Options{}); err != nil {
		return err
	}
	opts := codegen.Options{Package: *pkg, ExternalWeights: *weights == "external", Source: filepath.Base(pos[0]), Precision: *precision}
	td := *testData
	if td == "" {
		td = findTestData(filepath.Dir(pos[0]))
	}
	if td != "" {
		ds, err := onnx.ReadTestDataSet(td, m.Graph)
		if err != nil {
			return err
		}
		opts.TestInputs = map[string]*ir.Tensor{}
		for k, d := range ds.Inputs {
			t, ok := d.(*ir.Tensor)
			if !ok {
				return fmt.Errorf("test input %q is not a tensor", k)
			}
			opts.TestInputs[k] = t
		}
		for _, d := range ds.Outputs {
			t, _ := d.(*ir.Tensor)
			opts.TestOutputs = append(opts.TestOutputs, t)
		}
	}
	res, err := codegen.Generate(m.Graph, *out, opts)
	if err != nil {
		return err
	}
	if *showSchedule {
		fmt.Fprint(stdout, res.Schedule)
	}
	pkgName := opts.Package
	if pkgName == "" {
		pkgName = filepath.Base(*out)
	}
	fmt.Fprintf(stdout, "compiled %s (%d → %d nodes) into %s: %d kernel calls, %d buffers, %s of weights, in %v\n",
		pos[0], before, m.Graph.NumNodes(), *out, res.Steps, res.Buffers, humanBytes(int64(res.WeightBytes)), time.Since(start).Round(time.Millisecond))
	if n := len(res.RefSteps); n > 0 {
		fmt.Fprintf(stdout, "note: %d steps run on the reference implementation (no fast kernel yet; slower, and they allocate on every Run): %s\n", n, summarizeOps(res.RefSteps))
	}
	if n := len(res.BindRefSteps); n > 0 {
		fmt.Fprintf(stdout, "note: %d steps of shape arithmetic run on the reference implementation once per input shape: %s\n", n, summarizeOps(res.BindRefSteps))
	}
	if td != "" {
		fmt.Fprintf(stdout, "test: model_test.go checks the outputs recorded from %s at every precision (go test %s)\n", td, goPkgArg(*out))
	} else {
		fmt.Fprintf(stdout, "test: none written: no test data beside %s (looked for test_data_set_*/); pass --test-data DIR (ONNX input_N.pb/output_N.pb files) to record one\n", pos[0])
	}
	printPackageUsage(stdout, *out, res)
	return nil
}

// findTestData returns the lowest-numbered test_data_set_N directory in dir (ONNX's layout), or
// "".
func findTestData(dir string) string {
	best, bestN := "", -1
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		var n int
		if !e.IsDir() || !strings.HasPrefix(e.Name(), "test_data_set_") {
			continue
		}
		if _, err := fmt.Sscanf(strings.TrimPrefix(e.Name(), "test_data_set_"), "%d", &n); err != nil {
			continue
		}
		if bestN < 0 || n < bestN {
			best, bestN = filepath.Join(dir, e.Name()), n
		}
	}
	return best
}

// summarizeOps counts ops: "Equal, CumSum x2".
func summarizeOps(ops []string) string {
	count := map[string]int{}
	var order []string
	for _, o := range ops {
		if count[o] == 0 {
			order = append(order, o)
		}
		count[o]++
	}
	parts := make([]string, len(order))
	for i, o := range order {
		parts[i] = o
		if count[o] > 1 {
			parts[i] += fmt.Sprintf(" x%d", count[o])
		}
	}
	return strings.Join(parts, ", ")
}

func goPkgArg(dir string) string {
	if filepath.IsAbs(dir) || strings.HasPrefix(dir, ".") {
		return dir
	}
	return "./" + dir
}

// printPackageUsage says how to use the package: its import path in the enclosing module (and what
// that module still needs), and the calls.
func printPackageUsage(w io.Writer, dir string, res *codegen.Result) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return
	}
	s := res.Schedule
	pkg := filepath.Base(abs)
	if src, err := os.ReadFile(filepath.Join(abs, "model.go")); err == nil {
		for _, line := range strings.Split(string(src), "\n") {
			if strings.HasPrefix(line, "package ") {
				pkg = strings.TrimPrefix(line, "package ")
				break
			}
		}
	}
	importPath := ""
	for d := filepath.Dir(abs); ; d = filepath.Dir(d) {
		if mod, err := os.ReadFile(filepath.Join(d, "go.mod")); err == nil {
			modPath := ""
			for _, line := range strings.Split(string(mod), "\n") {
				if f := strings.Fields(line); len(f) == 2 && f[0] == "module" {
					modPath = strings.Trim(f[1], `"`)
				}
			}
			rel, _ := filepath.Rel(d, abs)
			importPath = modPath + "/" + filepath.ToSlash(rel)
			if modPath != codegen.ModulePath && !strings.Contains(string(mod), codegen.ModulePath) {
				fmt.Fprintf(w, "module: %s does not require %s yet: run `go get %s@latest` (or `go mod tidy`) there\n", filepath.Join(d, "go.mod"), codegen.ModulePath, codegen.ModulePath)
			}
			break
		}
		if filepath.Dir(d) == d {
			break
		}
	}
	if importPath == "" {
		fmt.Fprintf(w, "module: %s is not inside a Go module: put it in your application's module (go mod init), then `go get %s@latest`\n", dir, codegen.ModulePath)
		importPath = "your/module/" + pkg
	}
	var fields []string
	for _, d := range s.Dims {
		fields = append(fields, codegen.GoName(d)+": ...")
	}
	for _, v := range s.Inputs {
		fields = append(fields, codegen.GoName(v.Name)+": ...")
	}
	fmt.Fprintf(w, "use:  import %q\n      m, err := %s.New()  // once; safe for concurrent use\n      out, err := m.Run(ctx, %s.Inputs{%s})\n      defer out.Release()\n",
		importPath, pkg, pkg, strings.Join(fields, ", "))
}
