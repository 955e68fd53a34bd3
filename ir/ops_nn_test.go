package ir

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func nnTestNode(op string, attrs ...Attr) *Node {
	n := &Node{Op: op}
	for _, a := range attrs {
		n.SetAttr(a)
	}
	return n
}

func TestConvGeometry(t *testing.T) {
	// SAME_LOWER puts the odd padding first; SAME_UPPER last.
	g, err := ConvGeometry(nnTestNode("Conv", AString("auto_pad", "SAME_LOWER")), []int64{5}, []int64{2}, false)
	require.NoError(t, err)
	require.Equal(t, []int64{5}, g.Out)
	require.Equal(t, []int64{1}, g.PadBegin)
	require.Equal(t, []int64{0}, g.PadEnd)
	g, err = ConvGeometry(nnTestNode("Conv", AString("auto_pad", "SAME_UPPER"), AInts("strides", 2)), []int64{6}, []int64{3}, false)
	require.NoError(t, err)
	require.Equal(t, []int64{3}, g.Out) // ceil(6/2), total pad (3-1)*2+3-6 = 1
	require.Equal(t, []int64{0}, g.PadBegin)
	require.Equal(t, []int64{1}, g.PadEnd)
	// ceil mode: (5+1-2)/2 rounds up to 2, +1 = 3 windows; a 4th would start in the end padding
	g, err = ConvGeometry(nnTestNode("MaxPool", AInts("strides", 2), AInts("pads", 0, 1)), []int64{5}, []int64{2}, true)
	require.NoError(t, err)
	require.Equal(t, []int64{3}, g.Out)
	g, err = ConvGeometry(nnTestNode("MaxPool", AInts("strides", 2)), []int64{6}, []int64{3}, true)
	require.NoError(t, err)
	require.Equal(t, []int64{3}, g.Out) // window 3 starts at 4 < 6: kept
	g, err = ConvGeometry(nnTestNode("MaxPool", AInts("strides", 3), AInts("pads", 0, 2)), []int64{4}, []int64{2}, true)
	require.NoError(t, err)
	require.Equal(t, []int64{2}, g.Out) // ceil((4+2-2)/3)+1 = 3, but window 3 would start at 6 >= 4
	// unknown sizes stay unknown; bad attributes are errors
	g, err = ConvGeometry(nnTestNode("Conv"), []int64{-1}, []int64{3}, false)
	require.NoError(t, err)
	require.Equal(t, []int64{-1}, g.Out)
	_, err = ConvGeometry(nnTestNode("Conv", AInts("dilations", 0)), []int64{5}, []int64{3}, false)
	require.ErrorContains(t, err, "positive")
	_, err = ConvGeometry(nnTestNode("Conv", AInts("pads", 1, 1, 1)), []int64{5}, []int64{3}, false)
	require.ErrorContains(t, err, "pads")
	_, err = ConvGeometry(nnTestNode("Conv", AInts("pads", 1<<40, 0)), []int64{5}, []int64{3}, false)
	require.ErrorContains(t, err, "large")
}

func TestConvTransposeGeometry(t *testing.T) {
	n := nnTestNode("ConvTranspose", AInts("strides", 3), AInts("output_shape", 10))
	g, err := ConvTransposeGeometry(n, []int64{3}, []int64{3})
	require.NoError(t, err)
	// full size 3*2+3 = 9 < 10: the missing element is end padding (negative pad)
	require.Equal(t, []int64{10}, g.Out)
	require.Equal(t, []int64{0}, g.PadBegin)
	require.Equal(t, []int64{-1}, g.PadEnd)
	g, err = ConvTransposeGeometry(nnTestNode("ConvTranspose", AInts("strides", 2), AString("auto_pad", "SAME_UPPER")), []int64{3}, []int64{3})
	require.NoError(t, err)
	require.Equal(t, []int64{6}, g.Out) // in*stride; total pad 2*2+3-6 = 1 at the end
	require.Equal(t, []int64{0}, g.PadBegin)
	require.Equal(t, []int64{1}, g.PadEnd)
}

func TestParseEinsum(t *testing.T) {
	sp, err := ParseEinsum("ba,ac", []int{2, 2})
	require.NoError(t, err)
	require.Equal(t, []int{'b', 'c'}, sp.Output) // implicit: labels seen once, sorted
	sp, err = ParseEinsum("...i,j...->...ij", []int{3, 2})
	require.NoError(t, err)
	e := EinsumEllipsisBase
	require.Equal(t, [][]int{{e, e + 1, 'i'}, {'j', e + 1}}, sp.Inputs) // right-aligned ellipsis dims
	require.Equal(t, []int{e, e + 1, 'i', 'j'}, sp.Output)
	_, err = ParseEinsum("i.j", []int{2})
	require.ErrorContains(t, err, "ellipsis")
	_, err = ParseEinsum("ij->ii", []int{2})
	require.ErrorContains(t, err, "repeated")
	_, err = ParseEinsum("i1", []int{2})
	require.ErrorContains(t, err, "invalid")
}

func TestNNInferenceRejectsBadShapes(t *testing.T) {
	infer := func(op string, opset int64, ins []Type, nout int, attrs ...Attr) ([]Type, error) {
		n := nnTestNode(op, attrs...)
		g := &Graph{Opsets: map[string]int64{"": opset}}
		for i, ty := range ins {
			n.Inputs = append(n.Inputs, &Value{Name: string(rune('a' + i)), Type: ty})
		}
		for i := 0; i < nout; i++ {
			n.Outputs = append(n.Outputs, &Value{Name: string(rune('p' + i)), Def: n})
		}
		return InferNode(g, n)
	}
	f := func(dims ...int64) Type { return TensorType(Float32, ConcreteShape(dims...)) }
	_, err := infer("Conv", 11, []Type{f(3, 4), f(2, 3, 1)}, 1)
	require.ErrorContains(t, err, "rank")
	_, err = infer("Conv", 11, []Type{f(1, 4, 5, 5), f(3, 2, 1, 1)}, 1, AInt("group", 2))
	require.ErrorContains(t, err, "divisible")
	_, err = infer("MaxPool", 12, []Type{f(1, 1, 2, 2)}, 1, AInts("kernel_shape", 3, 3))
	require.ErrorContains(t, err, "larger")
	_, err = infer("Det", 11, []Type{f(2, 3)}, 1)
	require.ErrorContains(t, err, "square")
	_, err = infer("Gemm", 13, []Type{f(2, 3, 4), f(4, 2)}, 1)
	require.ErrorContains(t, err, "rank 2")
	_, err = infer("LayerNormalization", 17, []Type{f(2, 3), f(3)}, 1, AInt("stash_type", int64(Int64)))
	require.ErrorContains(t, err, "stash_type")
	_, err = infer("QuantizeLinear", 13, []Type{f(2, 3), f(4)}, 1)
	require.ErrorContains(t, err, "per-axis")
	ts, err := infer("MaxUnpool", 11, []Type{TensorType(Float32, Shape{Sym("n"), D(1), D(2), D(2)}), TensorType(Int64, Shape{Sym("n"), D(1), D(2), D(2)})}, 1,
		AInts("kernel_shape", 2, 2), AInts("strides", 2, 2))
	require.NoError(t, err)
	require.Equal(t, "f32[n,1,4,4]", ts[0].String())
	ts, err = infer("DynamicQuantizeLinear", 11, []Type{TensorType(Float32, Shape{Sym("n")})}, 3)
	require.NoError(t, err)
	require.Equal(t, "u8[n] f32[] u8[]", ts[0].String()+" "+ts[1].String()+" "+ts[2].String())
	ts, err = infer("MatMulInteger", 10, []Type{TensorType(Uint8, Shape{Sym("s"), D(4)}), TensorType(Int8, ConcreteShape(4, 6))}, 1)
	require.NoError(t, err)
	require.Equal(t, "i32[s,6]", ts[0].String())
}
