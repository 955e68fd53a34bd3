package onnx

import (
	"math/rand"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/llmc/llmc/backend/ref"
	"github.com/llmc/llmc/frontend/onnx/onnxpb"
	"github.com/llmc/llmc/ir"
	"google.golang.org/protobuf/proto"
)

const llmcOpsModel = `model opsets{"": 17, "com.microsoft": 1, "llmc": 1}
graph g(%x: f32[b,3], %r: f32[b,4]) -> (%y, %z) {
  %w: f32[3,4] = const [0.5, -1.0, 0.25, 2.0, 1.5, 0.1, -0.3, 0.7, -2.0, 0.4, 0.9, -0.6]
  %bias: f32[4] = const [0.1, 0.2, 0.3, 0.4]
  %gamma: f32[4] = const [1.0, 0.5, 2.0, 1.5]
  %beta: f32[4] = const [0.0, 0.1, -0.1, 0.2]
  %y: f32[b,4] = llmc::MatMulBiasGelu(%x, %w, %bias)
  %z: f32[b,4] = llmc::MatMulSkipLayerNormalization(%x, %w, %r, %gamma, %beta, %bias) {epsilon=0.001}
}
`

func opsOf(g *ir.Graph) []string {
	var ops []string
	for _, n := range g.Nodes {
		ops = append(ops, n.QualifiedOp())
	}
	return ops
}

func runLLMCOps(t *testing.T, g *ir.Graph) []ir.Datum {
	rng := rand.New(rand.NewSource(3))
	x, r := make([]float32, 5*3), make([]float32, 5*4)
	for i := range x {
		x[i] = float32(rng.NormFloat64())
	}
	for i := range r {
		r[i] = float32(rng.NormFloat64())
	}
	out, err := ref.Run(g, map[string]ir.Datum{"x": ir.FromFloat32s([]int64{5, 3}, x), "r": ir.FromFloat32s([]int64{5, 4}, r)}, ref.Options{})
	require.NoError(t, err)
	return out
}

// llmc's fused ops are exported with their definitions as model-local functions (IR version 8)
// and imported back as single nodes; inlining the exported bodies computes the same values.
func TestLLMCOpsExportAsFunctions(t *testing.T) {
	m, err := ir.ParseModel(llmcOpsModel)
	require.NoError(t, err)
	m.IRVersion = 7
	mp, err := ToProto(m)
	require.NoError(t, err)
	require.GreaterOrEqual(t, mp.GetIrVersion(), int64(8))
	var names []string
	for _, f := range mp.GetFunctions() {
		names = append(names, f.GetDomain()+"::"+f.GetName())
		require.True(t, isOwnFunction(f), f.GetName())
	}
	require.Equal(t, []string{"llmc::MatMulBiasGelu", "llmc::MatMulSkipLayerNormalization"}, names)
	data, err := proto.Marshal(mp)
	require.NoError(t, err)

	native, err := Decode(data, LoadOptions{})
	require.NoError(t, err)
	require.Equal(t, []string{"llmc::MatMulBiasGelu", "llmc::MatMulSkipLayerNormalization"}, opsOf(native.Graph))
	inlined, err := Decode(data, LoadOptions{InlineFunctions: true})
	require.NoError(t, err)
	require.Equal(t, []string{"MatMul", "com.microsoft::BiasGelu", "MatMul", "com.microsoft::SkipLayerNormalization"}, opsOf(inlined.Graph))
	require.Equal(t, float32(0.001), inlined.Graph.Nodes[3].AttrFloat("epsilon", 0), "epsilon forwarded by ref_attr_name")

	want, got := runLLMCOps(t, native.Graph), runLLMCOps(t, inlined.Graph)
	for i := range want {
		require.Equal(t, want[i].(*ir.Tensor).Float32s(), got[i].(*ir.Tensor).Float32s(), "output %d", i)
	}
}

// A model-local function that merely shares an llmc op's name but defines something else is the
// model's own definition: it is inlined, not replaced by llmc's kernel.
func TestForeignFunctionWithLLMCName(t *testing.T) {
	m, err := ir.ParseModel(llmcOpsModel)
	require.NoError(t, err)
	mp, err := ToProto(m)
	require.NoError(t, err)
	for _, f := range mp.GetFunctions() {
		switch f.GetName() {
		case "MatMulBiasGelu": // another op in the body
			f.Node[1] = &onnxpb.NodeProto{OpType: proto.String("FastGelu"), Domain: proto.String(ir.MSDomain), Input: []string{"AB", "bias"}, Output: []string{"Y"}}
			require.False(t, isOwnFunction(f))
		case "MatMulSkipLayerNormalization": // the same ops, wired differently (skip and gamma swapped)
			g := proto.Clone(f).(*onnxpb.FunctionProto)
			in := g.Node[1].Input
			in[1], in[2] = in[2], in[1]
			require.False(t, isOwnFunction(g))
			// renaming every value keeps it llmc's own definition
			r := proto.Clone(f).(*onnxpb.FunctionProto)
			rename := func(s string) string {
				if s == "" {
					return s
				}
				return "x_" + s
			}
			for i := range r.Input {
				r.Input[i] = rename(r.Input[i])
			}
			for i := range r.Output {
				r.Output[i] = rename(r.Output[i])
			}
			for _, n := range r.Node {
				for i := range n.Input {
					n.Input[i] = rename(n.Input[i])
				}
				for i := range n.Output {
					n.Output[i] = rename(n.Output[i])
				}
			}
			require.True(t, isOwnFunction(r))
		}
	}
	data, err := proto.Marshal(mp)
	require.NoError(t, err)
	g, err := Decode(data, LoadOptions{})
	require.NoError(t, err)
	require.Equal(t, []string{"MatMul", "com.microsoft::FastGelu", "llmc::MatMulSkipLayerNormalization"}, opsOf(g.Graph))
}

// Save streams large initializers' raw data instead of marshaling the whole model; the file must
// still parse (with the stock protobuf decoder) to exactly the ModelProto that ToProto builds.
func TestSaveStreamsTheSameModel(t *testing.T) {
	m, err := Load("../../testdata/models/bert-tiny-opset14/model.onnx")
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "m.onnx")
	require.NoError(t, Save(m, path, ExportOptions{}))
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	var got onnxpb.ModelProto
	require.NoError(t, proto.Unmarshal(data, &got))
	want, err := ToProto(m)
	require.NoError(t, err)
	require.True(t, proto.Equal(want, &got), "saved model differs from ToProto")
	big := 0
	for _, tp := range got.GetGraph().GetInitializer() {
		if len(tp.GetRawData()) >= streamRawThreshold {
			big++
		}
	}
	require.Greater(t, big, 0, "the test model must have streamed initializers")
}
