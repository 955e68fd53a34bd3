package ir_test

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/llmc/llmc/frontend/onnx"
	"github.com/llmc/llmc/ir"
)

func TestPrintParseRoundTripModels(t *testing.T) {
	paths, _ := filepath.Glob("../testdata/models/*/model.onnx")
	conf, _ := filepath.Glob("/usr/share/libonnx-testdata/data/node/*/model.onnx")
	paths = append(paths, conf...)
	require.NotEmpty(t, paths)
	checked := 0
	for _, path := range paths {
		if st, err := os.Stat(path); err != nil || st.Size() > 50<<20 {
			continue // bert-base is not committed; skip big local models to keep the test fast
		}
		m, err := onnx.Load(path)
		if err != nil {
			continue // importer coverage is tested in frontend/onnx
		}
		text := ir.FormatModel(m)
		m2, err := ir.ParseModel(text)
		require.NoError(t, err, path)
		require.Equal(t, "", ir.DiffModels(m, m2), path)
		require.Equal(t, text, ir.FormatModel(m2), path)
		checked++
	}
	require.Greater(t, checked, 100)
}

func TestParseGolden(t *testing.T) {
	src := `model ir_version=8 producer="test" opsets{"": 17, "com.example": 1}
graph main(%x: f32[batch,4], %"odd name": i64[*]) -> (%y, %x) {
  %w: f32[4] = const [1.0, -2.5, nan, -inf]
  %s: i64[2] = const [3, -4]
  %b: bool[2] = const [true, false]
  %h: f16[2] = const hex"003c0040"
  %y: f32[batch,4] = Add(%x, %w) @"add" doc="adds w"
}
`
	m, err := ir.ParseModel(src)
	require.NoError(t, err)
	g := m.Graph
	require.Len(t, g.Inputs, 2)
	require.Equal(t, "odd name", g.Inputs[1].Name)
	require.False(t, g.Inputs[1].Type.Ranked)
	w := g.Consts[0].Const.Float32s()
	require.Equal(t, float32(-2.5), w[1])
	require.True(t, math.IsNaN(float64(w[2])))
	require.True(t, math.IsInf(float64(w[3]), -1))
	require.Equal(t, []int64{3, -4}, g.Consts[1].Const.Int64s())
	require.Equal(t, []bool{true, false}, g.Consts[2].Const.Bools())
	require.Equal(t, float32(1), ir.Float16ToFloat32(g.Consts[3].Const.Uint16s()[0]))
	require.Equal(t, "add", g.Nodes[0].Name)
	require.Equal(t, "adds w", g.Nodes[0].Doc)
	require.Equal(t, ir.Shape{ir.Sym("batch"), ir.D(4)}, g.Nodes[0].Outputs[0].Type.Shape)
	require.Same(t, g.Inputs[0], g.Outputs[1])
	// printing is stable
	m2, err := ir.ParseModel(ir.FormatModel(m))
	require.NoError(t, err)
	require.Equal(t, "", ir.DiffModels(m, m2))
}

func TestParseSubgraphAndAttrs(t *testing.T) {
	src := `model opsets{"": 17}
graph main(%c: bool[], %x: f32[2]) -> (%r) {
  %r: f32[2] = If(%c) {else_branch=graph e() -> (%n) {
      %n: f32[2] = Neg(%x)
    }, then_branch=graph th() -> (%x) {
    }}
}
`
	m, err := ir.ParseModel(src)
	require.NoError(t, err)
	n := m.Graph.Nodes[0]
	require.Equal(t, "If", n.Op)
	eb := n.AttrGraph("else_branch")
	require.NotNil(t, eb)
	require.Same(t, m.Graph.Inputs[1], eb.Nodes[0].Inputs[0], "subgraph uses the outer value")
	require.Same(t, m.Graph, eb.Parent)
	m2, err := ir.ParseModel(ir.FormatModel(m))
	require.NoError(t, err)
	require.Equal(t, "", ir.DiffModels(m, m2))
}

func TestParseErrors(t *testing.T) {
	cases := map[string]string{
		"":                         `expected "model"`,
		"model graph g() -> () {}": "opsets",
		`model opsets{"": 17} graph g(%x: f32[2]) -> (%y) {}`:                                   "never defined",
		`model opsets{"": 17} graph g(%x: f32[2]) -> (%x) { %y: f32[2] = Neg(%z) }`:             "used before it is defined",
		`model opsets{"": 17} graph g(%x: f32[2]) -> (%x) { %x: f32[2] = Neg(%x) }`:             "defined twice",
		`model opsets{"": 17} graph g(%x: f32[2]) -> (%x) { %w: f32[3] = const [1.0] }`:         "1 elements",
		`model opsets{"": 17} graph g(%x: f32[2]) -> (%x) { %w: f32[999999999999] = const [] }`: "too large",
		`model opsets{"": 17} graph g(%x: q9[2]) -> (%x) {}`:                                    "unknown element type",
		`model opsets{"": 17} graph g(%x: f32[2]) -> (%y) { %y: f32[2] = Nope(%x) }`:            "unknown op",
		`model opsets{"": 17} graph g(%x: f32[2]) -> (%x) { "unterminated`:                      "unterminated",
	}
	for src, want := range cases {
		_, err := ir.ParseModel(src)
		require.Error(t, err, src)
		require.Contains(t, err.Error(), want, src)
	}
}

// FuzzParse: the parser returns a model or an error for any input, never panics, and whatever it
// accepts prints back to text that parses to an equal model.
func FuzzParse(f *testing.F) {
	f.Add(`model opsets{"": 17} graph g(%x: f32[n,2]) -> (%y) { %w: f32[2] = const [1.0, 2.0]
  %y: f32[n,2] = Add(%x, %w) {} @"a" }`)
	f.Add(`model opsets{"": 17} graph g(%c: bool[]) -> (%r) { %r: f32[1] = If(%c) {then_branch=graph t() -> (%a) { %a: f32[1] = const [1.0] }, else_branch=graph e() -> (%b) { %b: f32[1] = const [2.0] }} }`)
	f.Add(`model opsets{"": 17} graph g(%x: f32[*]) -> (%y) { %y: f32[*] = Transpose(%x) {perm=[1, 0]} }`)
	f.Fuzz(func(t *testing.T, src string) {
		m, err := ir.ParseModel(src)
		if err != nil {
			return
		}
		text := ir.FormatModel(m)
		m2, err := ir.ParseModel(text)
		if err != nil {
			t.Fatalf("printed model does not parse: %v\n%s", err, text)
		}
		if d := ir.DiffModels(m, m2); d != "" && !strings.Contains(text, "nan") {
			t.Fatalf("round trip differs: %s", d)
		}
	})
}
