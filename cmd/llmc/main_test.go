package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/llmc/llmc/frontend/onnx"
	"github.com/llmc/llmc/ir"
)

const tiny = "../../testdata/models/bert-tiny-opset14"

func llmc(args ...string) (code int, stdout, stderr string) {
	var o, e bytes.Buffer
	code = run(args, &o, &e)
	return code, o.String(), e.String()
}

func TestExitCodes(t *testing.T) {
	code, out, _ := llmc()
	require.Equal(t, 2, code)
	require.Contains(t, out, "Commands:")
	code, out, _ = llmc("help")
	require.Equal(t, 0, code)
	require.Contains(t, out, "inspect")
	code, _, errs := llmc("frobnicate")
	require.Equal(t, 2, code)
	require.Contains(t, errs, `unknown command "frobnicate"`)
	for _, c := range []string{"inspect", "dot", "convert", "run", "conformance"} {
		code, _, errs := llmc(c, "--help")
		require.Equal(t, 0, code, c)
		require.Contains(t, errs, "Usage: llmc "+c, c)
	}
	code, _, errs = llmc("inspect", "--bogus", "x.onnx")
	require.Equal(t, 2, code)
	require.Contains(t, errs, "bogus")
	code, _, _ = llmc("inspect")
	require.Equal(t, 2, code)
	code, _, errs = llmc("inspect", "/nonexistent/model.onnx")
	require.Equal(t, 1, code)
	require.Contains(t, errs, "/nonexistent/model.onnx")
	garbage := filepath.Join(t.TempDir(), "garbage.onnx")
	require.NoError(t, os.WriteFile(garbage, []byte("not a model at all"), 0o644))
	code, _, errs = llmc("inspect", garbage)
	require.Equal(t, 1, code)
	require.Contains(t, errs, "not an ONNX model")
}

func TestInspect(t *testing.T) {
	code, out, errs := llmc("inspect", tiny+"/model.onnx")
	require.Equal(t, 0, code, errs)
	require.Contains(t, out, "input_ids")
	require.Contains(t, out, "i64[batch,sequence]")
	require.Contains(t, out, "MatMul")
	code, out, _ = llmc("inspect", "--json", tiny+"/model.onnx")
	require.Equal(t, 0, code)
	var s ir.Summary
	require.NoError(t, json.Unmarshal([]byte(out), &s))
	require.Equal(t, int64(14), s.Opsets["ai.onnx"])
	require.Len(t, s.Inputs, 3)
	require.Equal(t, []string{"batch", "sequence"}, s.Inputs[0].Shape)
	require.Greater(t, s.Parameters, int64(500000))
}

func TestRunTestData(t *testing.T) {
	for _, m := range []string{"bert-tiny-opset14", "bert-tiny-opset17", "bert-mini-opset14-s7", "bert-mini-opset17-s7"} {
		dir := "../../testdata/models/" + m
		code, out, errs := llmc("run", dir+"/model.onnx", "--test-data", dir+"/test_data_set_0", "--atol", "1e-4", "--rtol", "1e-3")
		require.Equal(t, 0, code, "%s: %s %s", m, out, errs)
		require.Contains(t, out, "max abs err")
	}
	// a wrong expectation is a mismatch: exit 1
	bad := t.TempDir()
	ds, err := os.ReadDir(tiny + "/test_data_set_0")
	require.NoError(t, err)
	for _, e := range ds {
		data, err := os.ReadFile(filepath.Join(tiny, "test_data_set_0", e.Name()))
		require.NoError(t, err)
		if e.Name() == "output_0.pb" {
			tt, name, err := onnx.DecodeTensor(data)
			require.NoError(t, err)
			tt.Float32s()[0] += 1
			data, err = onnx.EncodeTensor(tt, name)
			require.NoError(t, err)
		}
		require.NoError(t, os.WriteFile(filepath.Join(bad, e.Name()), data, 0o644))
	}
	code, out, _ := llmc("run", tiny+"/model.onnx", "--test-data", bad, "--atol", "1e-4")
	require.Equal(t, 1, code)
	require.Contains(t, out, "MISMATCH")
	// --inputs with --out writes outputs that match the reference
	outDir := t.TempDir()
	code, _, errs := llmc("run", tiny+"/model.onnx", "--inputs", tiny+"/test_data_set_0", "--out", outDir)
	require.Equal(t, 0, code, errs)
	_, err = os.Stat(filepath.Join(outDir, "output_1.pb"))
	require.NoError(t, err)
	// a tiny memory cap is refused cleanly
	code, _, errs = llmc("run", tiny+"/model.onnx", "--inputs", tiny+"/test_data_set_0", "--max-memory", "1K")
	require.Equal(t, 1, code)
	require.Contains(t, errs, "memory limit")
}

func TestPrecisionFlag(t *testing.T) {
	code, out, errs := llmc("run", tiny+"/model.onnx", "--test-data", tiny+"/test_data_set_0", "--atol", "1e-4", "--precision", "bf16x3")
	require.Equal(t, 0, code, "%s %s", out, errs)
	code, _, errs = llmc("run", tiny+"/model.onnx", "--test-data", tiny+"/test_data_set_0", "--precision", "fp8")
	require.Equal(t, 2, code)
	require.Contains(t, errs, `unknown precision "fp8"`)
	code, out, errs = llmc("bench", tiny+"/model.onnx", "--seq", "16", "--iters", "2", "--warmup", "1", "--precision", "bf16x3", "--json")
	require.Equal(t, 0, code, errs)
	var r struct {
		Precision string  `json:"precision"`
		Median    float64 `json:"median_ms"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &r))
	require.Contains(t, []string{"fp32", "bf16x3"}, r.Precision) // fp32 where the CPU has no AMX-BF16
	require.Greater(t, r.Median, 0.0)
	code, _, errs = llmc("compile", tiny+"/model.onnx", "-o", t.TempDir(), "--precision", "int4")
	require.Equal(t, 2, code)
	require.Contains(t, errs, `unknown precision "int4"`)
}

func TestBenchCPUProfile(t *testing.T) {
	prof := filepath.Join(t.TempDir(), "cpu.prof")
	code, _, errs := llmc("bench", tiny+"/model.onnx", "--seq", "16", "--iters", "3", "--warmup", "1", "--cpuprofile", prof)
	require.Equal(t, 0, code, errs)
	b, err := os.ReadFile(prof)
	require.NoError(t, err)
	require.Greater(t, len(b), 2)
	require.Equal(t, []byte{0x1f, 0x8b}, b[:2], "a pprof profile is gzip-compressed")
	code, _, errs = llmc("bench", tiny+"/model.onnx", "--seq", "16", "--iters", "1", "--cpuprofile", filepath.Join(t.TempDir(), "no", "such", "dir", "cpu.prof"))
	require.Equal(t, 1, code)
	require.Contains(t, errs, "cpu.prof")
}

func TestRunRejectsBadInputs(t *testing.T) {
	dir := t.TempDir()
	// input_0 with the wrong element type
	data, err := onnx.EncodeTensor(ir.FromFloat32s([]int64{1, 4}, []float32{1, 2, 3, 4}), "input_ids")
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "input_0.pb"), data, 0o644))
	code, _, errs := llmc("run", tiny+"/model.onnx", "--inputs", dir)
	require.Equal(t, 1, code)
	require.Contains(t, errs, `input "input_ids": got element type f32, want i64`)
}

func TestDotAndConvert(t *testing.T) {
	dir := t.TempDir()
	code, _, errs := llmc("dot", tiny+"/model.onnx", "-o", filepath.Join(dir, "g.dot"))
	require.Equal(t, 0, code, errs)
	src, err := os.ReadFile(filepath.Join(dir, "g.dot"))
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(string(src), "digraph"))
	code, _, _ = llmc("dot", tiny+"/model.onnx")
	require.Equal(t, 2, code, "-o is required")

	out := filepath.Join(dir, "rt.onnx")
	code, _, errs = llmc("convert", tiny+"/model.onnx", "-o", out)
	require.Equal(t, 0, code, errs)
	a, err := onnx.Load(tiny + "/model.onnx")
	require.NoError(t, err)
	b, err := onnx.Load(out)
	require.NoError(t, err)
	require.Equal(t, "", ir.DiffModels(a, b))

	text := filepath.Join(dir, "m.llmc")
	code, _, errs = llmc("convert", tiny+"/model.onnx", "--text", "-o", text)
	require.Equal(t, 0, code, errs)
	back := filepath.Join(dir, "back.onnx")
	code, _, errs = llmc("convert", text, "-o", back)
	require.Equal(t, 0, code, errs)
	c, err := onnx.Load(back)
	require.NoError(t, err)
	require.Equal(t, "", ir.DiffModels(a, c))
}

// bench's synthetic ids stay inside the smallest table they index (the pre-LN idiom model has a
// 64-token vocabulary), and a sequence longer than the position table is a clear error.
func TestBenchSmallVocabulary(t *testing.T) {
	model := "../../testdata/models/idioms/pre-ln/model.onnx"
	code, out, errs := llmc("bench", model, "--seq", "16", "--iters", "2", "--warmup", "1", "--json")
	require.Equal(t, 0, code, "%s %s", out, errs)
	code, _, errs = llmc("bench", model, "--seq", "128", "--iters", "1", "--warmup", "0")
	require.Equal(t, 1, code)
	require.Contains(t, errs, "exceeds the 32 position embeddings")
}
