package onnx

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/llmc/llmc/frontend/onnx/onnxpb"
	"github.com/llmc/llmc/ir"
)

const conformanceDir = "/usr/share/libonnx-testdata/data"

func committedModels(t testing.TB) []string {
	paths, err := filepath.Glob("../../testdata/models/*/model.onnx")
	require.NoError(t, err)
	require.NotEmpty(t, paths, "no committed models under testdata/models")
	return paths
}

func roundTrip(t testing.TB, m *ir.Model) *ir.Model {
	data, err := Encode(m)
	require.NoError(t, err)
	m2, err := Decode(data, LoadOptions{})
	require.NoError(t, err)
	return m2
}

func TestRoundTripCommittedModels(t *testing.T) {
	for _, path := range committedModels(t) {
		t.Run(filepath.Base(filepath.Dir(path)), func(t *testing.T) {
			m, err := Load(path)
			require.NoError(t, err)
			require.Equal(t, "", ir.DiffModels(m, roundTrip(t, m)))
			in := m.Graph.Inputs
			require.Len(t, in, 3)
			for _, v := range in {
				require.Equal(t, ir.Int64, v.Type.DType, v.Name)
				require.Equal(t, ir.Shape{ir.Sym("batch"), ir.Sym("sequence")}, v.Type.Shape, v.Name)
			}
		})
	}
}

// TestRoundTripConformance imports every ONNX conformance model llmc's op table covers and checks
// that import → export → import gives an equal IR.
func TestRoundTripConformance(t *testing.T) {
	if _, err := os.Stat(conformanceDir); err != nil {
		t.Skip("libonnx-testdata not installed (apt-get install libonnx-testdata)")
	}
	paths, _ := filepath.Glob(filepath.Join(conformanceDir, "*", "*", "model.onnx"))
	require.NotEmpty(t, paths)
	imported, same := 0, 0
	var failures []string
	for _, path := range paths {
		if strings.Contains(path, "/real/") {
			continue
		}
		m, err := Load(path)
		if err != nil {
			failures = append(failures, err.Error())
			continue
		}
		imported++
		if d := ir.DiffModels(m, roundTrip(t, m)); d != "" {
			t.Errorf("%s: round trip differs: %s", path, d)
			continue
		}
		same++
	}
	t.Logf("conformance models: %d imported, %d round-trip exactly, %d not imported", imported, same, len(failures))
	require.Empty(t, failures, "every conformance model must import")
	for i, f := range failures {
		if i < 10 {
			t.Logf("not imported: %s", f)
		}
	}
}

func TestExternalDataRoundTrip(t *testing.T) {
	m, err := Load("../../testdata/models/bert-tiny-opset14/model.onnx")
	require.NoError(t, err)
	dir := t.TempDir()
	out := filepath.Join(dir, "m.onnx")
	require.NoError(t, Save(m, out, ExportOptions{ExternalData: true}))
	st, err := os.Stat(filepath.Join(dir, "m.onnx.data"))
	require.NoError(t, err)
	require.Greater(t, st.Size(), int64(100000))
	small, err := os.Stat(out)
	require.NoError(t, err)
	require.Less(t, small.Size(), st.Size()/5, "weights should live in the data file")
	m2, err := Load(out)
	require.NoError(t, err)
	require.Equal(t, "", ir.DiffModels(m, m2))
}

// tinyModel builds a small valid ModelProto that the hostile-input cases corrupt.
func tinyModel() *onnxpb.ModelProto {
	b := ir.NewBuilder("g", map[string]int64{"": 17})
	x := b.Input("x", ir.TensorType(ir.Float32, ir.Shape{ir.Sym("n"), ir.D(2)}))
	w := b.Const("w", ir.FromFloat32s([]int64{2}, []float32{1, 2}))
	y := b.Op("Add", []*ir.Value{x, w})
	b.Output(y)
	g := b.MustGraph()
	mp, err := ToProto(&ir.Model{IRVersion: 8, Graph: g})
	if err != nil {
		panic(err)
	}
	return mp
}

func decodeProto(t *testing.T, mp *onnxpb.ModelProto, base string) error {
	data, err := proto.Marshal(mp)
	require.NoError(t, err)
	_, err = Decode(data, LoadOptions{BaseDir: base})
	return err
}

func TestHostileModels(t *testing.T) {
	good := tinyModel()
	require.NoError(t, decodeProto(t, good, ""))
	goodBytes, _ := proto.Marshal(good)

	type tc struct {
		name   string
		mutate func(mp *onnxpb.ModelProto)
		want   string
	}
	cases := []tc{
		{"unknown op", func(mp *onnxpb.ModelProto) { mp.Graph.Node[0].OpType = ptr("FrobnicateX") }, "unknown op FrobnicateX"},
		{"unknown domain", func(mp *onnxpb.ModelProto) { mp.Graph.Node[0].Domain = ptr("com.example") }, `domain "com.example"`},
		{"wrong attribute type", func(mp *onnxpb.ModelProto) {
			mp.Graph.Node[0].OpType = ptr("Softmax")
			mp.Graph.Node[0].Input = mp.Graph.Node[0].Input[:1]
			mp.Graph.Node[0].Attribute = []*onnxpb.AttributeProto{{Name: ptr("axis"), Type: ptr(onnxpb.AttributeProto_FLOAT), F: ptr(float32(1))}}
		}, `attribute "axis" has type float, want int`},
		{"dangling input", func(mp *onnxpb.ModelProto) { mp.Graph.Node[0].Input[1] = "nowhere" }, `"nowhere" is not defined`},
		{"dangling output", func(mp *onnxpb.ModelProto) { mp.Graph.Output[0].Name = ptr("ghost") }, `output "ghost" is not defined`},
		{"cycle", func(mp *onnxpb.ModelProto) {
			n0 := mp.Graph.Node[0]
			n1 := proto.Clone(n0).(*onnxpb.NodeProto)
			n1.Name = ptr("second")
			n1.Output = []string{"loop"}
			n1.Input = []string{n0.Output[0], "x"}
			n0.Input[1] = "loop"
			mp.Graph.Node = append(mp.Graph.Node, n1)
		}, "cycle"},
		{"short initializer", func(mp *onnxpb.ModelProto) { mp.Graph.Initializer[0].RawData = []byte{0, 0, 128} }, `initializer "w": raw data has 3 bytes`},
		{"huge dims", func(mp *onnxpb.ModelProto) { mp.Graph.Initializer[0].Dims = []int64{1 << 40, 1 << 30} }, "2^62"},
		{"huge dims, few typed values", func(mp *onnxpb.ModelProto) { // must not allocate for the shape (found by FuzzImport)
			init := mp.Graph.Initializer[0]
			init.RawData, init.FloatData, init.Dims = nil, []float32{1, 2}, []int64{1 << 19, 1 << 19}
		}, "has 2 values, but shape [524288 524288] needs 274877906944"},
		{"odd complex parts", func(mp *onnxpb.ModelProto) {
			init := mp.Graph.Initializer[0]
			init.RawData, init.FloatData, init.Dims, init.DataType = nil, []float32{1, 2, 3}, []int64{1}, ptr(int32(ir.Complex64))
		}, "odd number (3) of parts"},
		{"huge dims with little data", func(mp *onnxpb.ModelProto) { mp.Graph.Initializer[0].Dims = []int64{1 << 20, 1 << 20} }, "needs"},
		{"negative dim", func(mp *onnxpb.ModelProto) { mp.Graph.Initializer[0].Dims = []int64{-2} }, "negative"},
		{"bad dtype", func(mp *onnxpb.ModelProto) { mp.Graph.Initializer[0].DataType = ptr(int32(99)) }, "unknown element type 99"},
		{"duplicate definition", func(mp *onnxpb.ModelProto) { mp.Graph.Node[0].Output[0] = "x" }, `redefines "x"`},
		{"no graph", func(mp *onnxpb.ModelProto) { mp.Graph = nil }, "no graph"},
		{"missing required input", func(mp *onnxpb.ModelProto) { mp.Graph.Node[0].Input = mp.Graph.Node[0].Input[:1] }, "has 1 inputs, want 2"},
		{"absolute external path", func(mp *onnxpb.ModelProto) { external(mp, "/etc/passwd", 0) }, "absolute"},
		{"escaping external path", func(mp *onnxpb.ModelProto) { external(mp, "../../etc/passwd", 0) }, "leaves the model's directory"},
		{"external past end", func(mp *onnxpb.ModelProto) { external(mp, "data.bin", 1<<20) }, "past the end"},
		{"external missing", func(mp *onnxpb.ModelProto) { external(mp, "nope.bin", 0) }, "nope.bin"},
		{"external link out", func(mp *onnxpb.ModelProto) { external(mp, "link.bin", 0) }, "outside the model's directory"},
		{"op above opset", func(mp *onnxpb.ModelProto) {
			mp.OpsetImport[0].Version = ptr(int64(16))
			mp.Graph.Node[0].OpType = ptr("STFT")
		}, "exists from opset 17"},
	}
	base := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(base, "data.bin"), make([]byte, 16), 0o644))
	outside := filepath.Join(t.TempDir(), "secret.bin")
	require.NoError(t, os.WriteFile(outside, make([]byte, 8), 0o644))
	require.NoError(t, os.Symlink(outside, filepath.Join(base, "link.bin")))
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			mp := proto.Clone(good).(*onnxpb.ModelProto)
			c.mutate(mp)
			err := decodeProto(t, mp, base)
			require.Error(t, err)
			require.Contains(t, err.Error(), c.want)
		})
	}
	t.Run("empty file", func(t *testing.T) {
		_, err := Decode(nil, LoadOptions{})
		require.ErrorContains(t, err, "empty")
	})
	t.Run("garbage", func(t *testing.T) {
		_, err := Decode([]byte("\xff\xff\xff\xff garbage, not protobuf"), LoadOptions{})
		require.ErrorIs(t, err, ErrNotONNX)
	})
	t.Run("truncated", func(t *testing.T) {
		for cut := 1; cut < len(goodBytes); cut += 7 {
			_, _ = Decode(goodBytes[:cut], LoadOptions{}) // must not panic; may or may not error
		}
	})
	t.Run("missing file", func(t *testing.T) {
		_, err := Load(filepath.Join(base, "missing.onnx"))
		require.ErrorContains(t, err, "missing.onnx")
	})
	t.Run("directory", func(t *testing.T) {
		_, err := Load(base)
		require.ErrorContains(t, err, "directory")
	})
}

func external(mp *onnxpb.ModelProto, loc string, offset int64) {
	init := mp.Graph.Initializer[0]
	init.RawData = nil
	init.DataLocation = ptr(onnxpb.TensorProto_EXTERNAL)
	init.ExternalData = []*onnxpb.StringStringEntryProto{
		{Key: ptr("location"), Value: ptr(loc)},
		{Key: ptr("offset"), Value: ptr(strconv.FormatInt(offset, 10))},
	}
}

// FuzzImport feeds arbitrary bytes to the importer: it must return a model or an error, never
// panic or hang.
func FuzzImport(f *testing.F) {
	data, _ := proto.Marshal(tinyModel())
	f.Add(data)
	for _, p := range []string{"test_add", "test_gather_0", "test_if", "test_loop11", "test_constant"} {
		if d, err := os.ReadFile(filepath.Join(conformanceDir, "node", p, "model.onnx")); err == nil {
			f.Add(d)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = Decode(data, LoadOptions{})
	})
}

// TestDecodeSplitMatchesUnmarshal: the streaming decoder gives exactly what proto.Unmarshal gives.
func TestDecodeSplitMatchesUnmarshal(t *testing.T) {
	paths := committedModels(t)
	more, _ := filepath.Glob(filepath.Join(conformanceDir, "node", "test_[a-c]*", "model.onnx"))
	paths = append(paths, more...)
	for _, p := range paths {
		data, err := os.ReadFile(p)
		require.NoError(t, err)
		var want onnxpb.ModelProto
		require.NoError(t, proto.Unmarshal(data, &want))
		var released int
		got, err := decodeSplit(data, func(off, n int) {
			require.GreaterOrEqual(t, off, 0)
			require.LessOrEqual(t, off+n, len(data))
			released += n
		})
		require.NoError(t, err, p)
		require.True(t, proto.Equal(&want, got), p)
		if len(want.GetGraph().GetInitializer()) > 0 {
			require.Greater(t, released, 0)
		}
	}
}
