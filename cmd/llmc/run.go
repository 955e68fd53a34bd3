package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/llmc/llmc/backend/cpu"
	"github.com/llmc/llmc/backend/cpu/plan"
	"github.com/llmc/llmc/backend/ref"
	"github.com/llmc/llmc/codegen"
	"github.com/llmc/llmc/conformance"
	"github.com/llmc/llmc/frontend/onnx"
	"github.com/llmc/llmc/ir"
	"github.com/llmc/llmc/passes"
)

func init() {
	register(command{name: "run", summary: "run a model on inputs, or check it against a test data set", run: runRun})
}

// parseBytes reads sizes like 512M, 4G, 1073741824.
func parseBytes(s string) (int64, error) {
	mult := int64(1)
	switch {
	case strings.HasSuffix(s, "K"), strings.HasSuffix(s, "KiB"):
		mult = 1 << 10
	case strings.HasSuffix(s, "M"), strings.HasSuffix(s, "MiB"):
		mult = 1 << 20
	case strings.HasSuffix(s, "G"), strings.HasSuffix(s, "GiB"):
		mult = 1 << 30
	}
	v, err := strconv.ParseInt(strings.TrimRight(s, "KMGiB"), 10, 64)
	if err != nil || v <= 0 {
		return 0, fmt.Errorf("bad size %q (want e.g. 512M or 4G)", s)
	}
	return v * mult, nil
}

func runRun(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("run", "MODEL (--inputs DIR [--out DIR] | --test-data DIR)", "Runs the model on a backend: the CPU kernels (cpu, the default), the reference interpreter\n(ref), or a package `llmc compile` makes, built and run with the go tool (compiled: checks\nthe artifact an application links). Inputs are ONNX input_N.pb files bound to the model's\ninputs in order; --test-data also compares every output with output_N.pb and exits 1 on any\nmismatch.", stderr)
	inputs := fs.String("inputs", "", "`dir` with input_N.pb files")
	outDir := fs.String("out", "", "write output_N.pb files to `dir`")
	testData := fs.String("test-data", "", "a test_data_set_N `dir`: run and compare with its expected outputs")
	atol := fs.Float64("atol", 1e-7, "absolute tolerance for --test-data")
	rtol := fs.Float64("rtol", 1e-3, "relative tolerance for --test-data")
	maxMem := fs.String("max-memory", "16G", "refuse to run past this many `bytes` of live tensors (e.g. 512M, 4G)")
	backend := fs.String("backend", "cpu", "`backend` to run on: cpu (optimized -O2, CPU kernels), ref (the reference interpreter, as imported) or compiled (optimized -O2, compiled into a Go package in a temporary module, built and run with the go tool; set LLMC_MODULE to the llmc checkout to build against)")
	threads := fs.Int("threads", 0, "CPU kernel threads (0: GOMAXPROCS)")
	precision := precisionFlag(fs, "cpu backend ")
	pos, err := parse(fs, args, 1)
	if err != nil {
		return err
	}
	if (*inputs == "") == (*testData == "") {
		return usagef("give exactly one of --inputs DIR or --test-data DIR")
	}
	if *backend != "ref" && *backend != "cpu" && *backend != "compiled" {
		return usagef("unknown backend %q (available: cpu, ref, compiled)", *backend)
	}
	limit, err := parseBytes(*maxMem)
	if err != nil {
		return usagef("%v", err)
	}
	m, err := onnx.Load(pos[0])
	if err != nil {
		return err
	}
	dir := *inputs
	if *testData != "" {
		dir = *testData
	}
	ds, err := onnx.ReadTestDataSet(dir, m.Graph)
	if err != nil {
		return err
	}
	var outs []ir.Datum
	var elapsed time.Duration
	if *backend == "ref" {
		start := time.Now()
		outs, err = ref.Run(m.Graph, ds.Inputs, ref.Options{MaxMemory: limit})
		if err != nil {
			return err
		}
		elapsed = time.Since(start)
	} else if *backend == "compiled" {
		outs, elapsed, err = runCompiled(m, ds.Inputs, *threads, *precision, pos[0])
		if err != nil {
			return err
		}
	} else {
		outs, elapsed, err = runCPU(m, ds.Inputs, *threads, limit, *precision)
		if err != nil {
			return err
		}
	}
	if *outDir != "" {
		if err := os.MkdirAll(*outDir, 0o755); err != nil {
			return err
		}
		for i, d := range outs {
			data, err := onnx.EncodeDatum(d, m.Graph.Outputs[i].Name)
			if err != nil {
				return fmt.Errorf("output %q: %v", m.Graph.Outputs[i].Name, err)
			}
			if err := os.WriteFile(filepath.Join(*outDir, fmt.Sprintf("output_%d.pb", i)), data, 0o644); err != nil {
				return err
			}
		}
	}
	fmt.Fprintf(stdout, "ran %s on %s in %v\n", filepath.Base(pos[0]), *backend, elapsed.Round(time.Microsecond))
	failed := false
	for i, d := range outs {
		v := m.Graph.Outputs[i]
		line := fmt.Sprintf("  %-24s %s", v.Name, datumType(d))
		if *testData != "" && i < len(ds.Outputs) && ds.Outputs[i] != nil {
			msg := conformance.Compare(d, ds.Outputs[i], *rtol, *atol)
			if a, r, ok := conformance.ErrorStats(d, ds.Outputs[i]); ok {
				line += fmt.Sprintf("  max abs err %.3g, max rel err %.3g", a, r)
			}
			if msg != "" {
				line += "  MISMATCH: " + msg
				failed = true
			} else {
				line += "  ok"
			}
		}
		fmt.Fprintln(stdout, line)
	}
	if failed {
		fmt.Fprintf(stdout, "FAIL: outputs differ beyond atol %g, rtol %g\n", *atol, *rtol)
		return errSilentFailure
	}
	return nil
}

func datumType(d ir.Datum) string {
	switch x := d.(type) {
	case *ir.Tensor:
		return x.Type().String()
	case *ir.Sequence:
		return fmt.Sprintf("sequence of %d tensors", len(x.Items))
	case *ir.Optional:
		if x.Value == nil {
			return "optional (empty)"
		}
		return "optional " + datumType(x.Value)
	}
	return fmt.Sprintf("%T", d)
}

// runCPU optimizes m at -O2 and runs it once on the CPU backend (the time excludes planning).
func runCPU(m *ir.Model, inputs map[string]ir.Datum, threads int, maxMemory int64, precision cpu.Precision) ([]ir.Datum, time.Duration, error) {
	if err := ref.CheckInputs(m.Graph, inputs); err != nil {
		return nil, 0, err
	}
	if _, err := passes.Optimize(m, 2, passes.Options{}); err != nil {
		return nil, 0, err
	}
	model, err := plan.New(m.Graph, plan.Options{Threads: threads, MaxMemory: maxMemory, Precision: precision})
	if err != nil {
		return nil, 0, err
	}
	ts := map[string]*ir.Tensor{}
	for k, d := range inputs {
		t, ok := d.(*ir.Tensor)
		if !ok {
			return nil, 0, fmt.Errorf("input %q: the cpu backend takes tensors only (use --backend ref)", k)
		}
		ts[k] = t
	}
	if _, err := model.PlanFor(ts); err != nil && !errors.Is(err, plan.ErrDataDependent) {
		return nil, 0, err
	}
	start := time.Now()
	res, err := model.Run(ts)
	if err != nil {
		return nil, 0, err
	}
	elapsed := time.Since(start)
	out := make([]ir.Datum, len(res))
	for i, t := range res {
		out[i] = t
	}
	return out, elapsed, nil
}

// runCompiled optimizes m at -O2, compiles it into a package in a temporary module, and builds
// and runs it with the go tool (the time includes all of that).
func runCompiled(m *ir.Model, inputs map[string]ir.Datum, threads int, precision cpu.Precision, name string) ([]ir.Datum, time.Duration, error) {
	if err := ref.CheckInputs(m.Graph, inputs); err != nil {
		return nil, 0, err
	}
	if _, err := passes.Optimize(m, 2, passes.Options{}); err != nil {
		return nil, 0, err
	}
	ts := map[string]*ir.Tensor{}
	for k, d := range inputs {
		t, ok := d.(*ir.Tensor)
		if !ok {
			return nil, 0, fmt.Errorf("input %q: compiled packages take tensors only (use --backend ref)", k)
		}
		ts[k] = t
	}
	start := time.Now()
	res, err := codegen.RunCompiled([]codegen.Case{{Name: filepath.Base(name), Graph: m.Graph, Inputs: ts}}, codegen.RunOptions{Precision: precision, Threads: threads})
	if err != nil {
		return nil, 0, err
	}
	if res[0].Err != nil {
		return nil, 0, res[0].Err
	}
	out := make([]ir.Datum, len(res[0].Outputs))
	for i, t := range res[0].Outputs {
		out[i] = t
	}
	return out, time.Since(start), nil
}

// precisionFlag defines --precision (a bad value is a usage error, exit code 2).
func precisionFlag(fs *flag.FlagSet, what string) *cpu.Precision {
	p := new(cpu.Precision)
	fs.TextVar(p, "precision", cpu.DefaultPrecision, what+"GEMM `precision`: int8x6 (AMX-INT8 tiles where the CPU has them, float32-class accuracy; float32 kernels elsewhere), bf16x6 (AMX-BF16 tiles, float32-class accuracy value by value), fp32 (float32 FMA kernels) or bf16x3 (AMX, ~1e-5 relative error)")
	return p
}
