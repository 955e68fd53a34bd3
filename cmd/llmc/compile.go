package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
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
	precision := fs.String("precision", "int8x6", "default GEMM `precision` of the package: int8x6, bf16x6, fp32 or bf16x3 (the AMX ones where the CPU has AMX; WithPrecision overrides it)")
	pos, err := parse(fs, optLevelArgs(args), 1)
	if err != nil {
		return err
	}
	if err := checkPrecision(*precision); err != nil {
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
		if st, err := os.Stat(filepath.Join(filepath.Dir(pos[0]), "test_data_set_0")); err == nil && st.IsDir() {
			td = filepath.Join(filepath.Dir(pos[0]), "test_data_set_0")
		}
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
	fmt.Fprintf(stdout, "compiled %s (%d → %d nodes) into %s: %d kernel calls, %d buffers, %s of weights, in %v\n",
		pos[0], before, m.Graph.NumNodes(), *out, res.Steps, res.Buffers, humanBytes(int64(res.WeightBytes)), time.Since(start).Round(time.Millisecond))
	return nil
}
