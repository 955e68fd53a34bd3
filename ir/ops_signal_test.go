package ir_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/llmc/llmc/ir"
	"github.com/stretchr/testify/require"
)

// sigInfer infers the output types of one node of op over the given input values.
func sigInfer(t *testing.T, dom, op string, opset int64, nout int, ins func(b *ir.Builder) []*ir.Value, attrs ...ir.Attr) ([]string, error) {
	t.Helper()
	opsets := map[string]int64{"": opset}
	if dom != "" {
		opsets[dom] = 1
	}
	b := ir.NewBuilder("t", opsets)
	outs := b.OpD(dom, op, nout, ins(b), attrs...)
	b.Output(outs...)
	if _, err := b.Graph(); err != nil {
		return nil, err
	}
	var ts []string
	for _, o := range outs {
		ts = append(ts, o.Type.String())
	}
	return ts, nil
}

func sigSym(b *ir.Builder, name string, dt ir.DType, dims ...any) *ir.Value {
	s := ir.Shape{}
	for _, d := range dims {
		switch v := d.(type) {
		case int:
			s = append(s, ir.D(int64(v)))
		case string:
			s = append(s, ir.Sym(v))
		}
	}
	return b.Input(name, ir.TensorType(dt, s))
}

func TestSignalAndVisionInference(t *testing.T) {
	for _, tc := range []struct {
		op    string
		opset int64
		nout  int
		ins   func(b *ir.Builder) []*ir.Value
		attrs []ir.Attr
		want  string
	}{
		{"STFT", 17, 1, func(b *ir.Builder) []*ir.Value {
			return []*ir.Value{sigSym(b, "x", ir.Float32, "batch", 100, 1), b.Const("step", ir.ScalarInt64(10)), b.Const("w", ir.FromFloat32s([]int64{16}, make([]float32, 16)))}
		}, nil, "f32[batch,9,9,2]"},
		{"STFT", 17, 1, func(b *ir.Builder) []*ir.Value {
			return []*ir.Value{sigSym(b, "x", ir.Float32, "batch", "len", 2), sigSym(b, "step", ir.Int64), nil, b.Const("fl", ir.ScalarInt64(8))}
		}, []ir.Attr{ir.AInt("onesided", 0)}, "f32[batch,?,8,2]"},
		{"HannWindow", 17, 1, func(b *ir.Builder) []*ir.Value { return []*ir.Value{b.Const("n", ir.ScalarInt64(7))} },
			[]ir.Attr{ir.AInt("output_datatype", int64(ir.Float64))}, "f64[7]"},
		{"BlackmanWindow", 17, 1, func(b *ir.Builder) []*ir.Value { return []*ir.Value{sigSym(b, "n", ir.Int32)} }, nil, "f32[?]"},
		{"MelWeightMatrix", 17, 1, func(b *ir.Builder) []*ir.Value {
			return []*ir.Value{b.Const("m", ir.ScalarInt64(8)), b.Const("d", ir.ScalarInt64(16)), sigSym(b, "r", ir.Int64), sigSym(b, "lo", ir.Float32), sigSym(b, "hi", ir.Float32)}
		}, nil, "f32[9,8]"},
		{"AffineGrid", 20, 1, func(b *ir.Builder) []*ir.Value {
			return []*ir.Value{sigSym(b, "th", ir.Float32, "n", 2, 3), b.Const("s", ir.FromInt64s([]int64{4}, []int64{2, 3, 5, 6}))}
		}, nil, "f32[2,5,6,2]"},
		{"AffineGrid", 20, 1, func(b *ir.Builder) []*ir.Value {
			return []*ir.Value{sigSym(b, "th", ir.Float32, "n", 3, 4), sigSym(b, "s", ir.Int64, 5)}
		}, nil, "f32[n,?,?,?,3]"},
		{"RoiAlign", 16, 1, func(b *ir.Builder) []*ir.Value {
			return []*ir.Value{sigSym(b, "x", ir.Float32, "n", 256, "h", "w"), sigSym(b, "r", ir.Float32, "rois", 4), sigSym(b, "i", ir.Int64, "rois")}
		}, []ir.Attr{ir.AInt("output_height", 7), ir.AInt("output_width", 5)}, "f32[rois,256,7,5]"},
		{"NonMaxSuppression", 11, 1, func(b *ir.Builder) []*ir.Value {
			return []*ir.Value{sigSym(b, "bx", ir.Float32, "n", "s", 4), sigSym(b, "sc", ir.Float32, "n", "c", "s")}
		}, nil, "i64[?,3]"},
		{"GridSample", 20, 1, func(b *ir.Builder) []*ir.Value {
			return []*ir.Value{sigSym(b, "x", ir.Float32, "n", "c", 4, 5, 6), sigSym(b, "g", ir.Float32, "n", 2, 3, 4, 3)}
		}, nil, "f32[n,c,2,3,4]"},
		{"DFT", 20, 1, func(b *ir.Builder) []*ir.Value {
			return []*ir.Value{sigSym(b, "x", ir.Float32, "b", 10, 6, 1), b.Const("n", ir.ScalarInt64(12)), b.Const("a", ir.ScalarInt64(1))}
		}, nil, "f32[b,12,6,2]"},
	} {
		got, err := sigInfer(t, "", tc.op, tc.opset, tc.nout, tc.ins, tc.attrs...)
		require.NoError(t, err, tc.op)
		require.Equal(t, tc.want, got[0], tc.op)
	}
	_, err := sigInfer(t, "", "RoiAlign", 16, 1, func(b *ir.Builder) []*ir.Value {
		return []*ir.Value{sigSym(b, "x", ir.Float32, 1, 2, 3), sigSym(b, "r", ir.Float32, 1, 4), sigSym(b, "i", ir.Int64, 1)}
	})
	require.ErrorContains(t, err, "rank 4")
	_, err = sigInfer(t, "", "AffineGrid", 20, 1, func(b *ir.Builder) []*ir.Value {
		return []*ir.Value{sigSym(b, "th", ir.Float32, 1, 2, 3), b.Const("s", ir.FromInt64s([]int64{5}, []int64{1, 1, 2, 2, 2}))}
	})
	require.ErrorContains(t, err, "theta")
}

// TestFamilyInferenceNeverPanics feeds every op of this family inputs of surprising ranks, types
// and constant values: inference must answer with types or an error, never by panicking (which
// safeInfer reports as "inference failed").
func TestFamilyInferenceNeverPanics(t *testing.T) {
	ops := []struct{ dom, op string }{
		{"", "RNN"}, {"", "LSTM"}, {"", "GRU"}, {"", "DFT"}, {"", "STFT"}, {"", "HannWindow"}, {"", "HammingWindow"},
		{"", "BlackmanWindow"}, {"", "MelWeightMatrix"}, {"", "GridSample"}, {"", "AffineGrid"}, {"", "RoiAlign"},
		{"", "NonMaxSuppression"}, {"", "SimplifiedLayerNormalization"},
		{ir.MSDomain, "Attention"}, {ir.MSDomain, "SkipLayerNormalization"}, {ir.MSDomain, "SkipSimplifiedLayerNormalization"},
		{ir.MSDomain, "EmbedLayerNormalization"}, {ir.MSDomain, "BiasGelu"}, {ir.MSDomain, "FastGelu"}, {ir.MSDomain, "Gelu"},
		{ir.MSDomain, "QuickGelu"}, {ir.MSDomain, "BiasAdd"}, {ir.MSDomain, "FusedMatMul"},
		{ir.MSDomain, "DynamicQuantizeMatMul"}, {ir.MSDomain, "MatMulIntegerToFloat"},
	}
	kinds := []ir.Type{
		{},
		ir.UnrankedTensor(ir.Float32),
		ir.TensorType(ir.Float32, ir.Shape{}),
		ir.TensorType(ir.Int64, ir.ConcreteShape(0)),
		ir.TensorType(ir.Float32, ir.Shape{ir.Sym("a")}),
		ir.TensorType(ir.Float32, ir.ConcreteShape(2, 3)),
		ir.TensorType(ir.Float32, ir.Shape{ir.UnknownDim(), ir.D(0), ir.D(5)}),
		ir.TensorType(ir.Float32, ir.ConcreteShape(1, 2, 3, 4, 5, 6)),
	}
	consts := []*ir.Tensor{ir.ScalarInt64(-3), ir.FromInt64s([]int64{3}, []int64{1, -1, 0}), ir.FromInt64s([]int64{5}, []int64{1, 1, 1, 1, 1})}
	for _, o := range ops {
		s := ir.LookupOp(o.dom, o.op)
		require.NotNil(t, s, o.op)
		maxIn := s.MaxIn
		for k := range kinds {
			for nin := s.MinIn; nin <= maxIn; nin++ {
				n := &ir.Node{Op: o.op, Domain: o.dom, Outputs: make([]*ir.Value, max(s.MaxOut, 1))}
				for i := range n.Outputs {
					n.Outputs[i] = &ir.Value{Name: fmt.Sprint("o", i)}
				}
				for i := 0; i < nin; i++ {
					v := &ir.Value{Name: fmt.Sprint("i", i), Type: kinds[(k+i)%len(kinds)]}
					if (k+i)%3 == 0 {
						c := consts[(k+i)%len(consts)]
						v = &ir.Value{Name: v.Name, Type: c.Type(), Const: c}
					}
					n.Inputs = append(n.Inputs, v)
				}
				n.SetAttr(ir.AInt("num_heads", int64(k)))
				n.SetAttr(ir.AInt("axis", int64(k)-4))
				g := &ir.Graph{Opsets: map[string]int64{"": 20, ir.MSDomain: 1}}
				_, err := ir.InferNode(g, n)
				if err != nil {
					require.False(t, strings.Contains(err.Error(), "inference failed"), "%s with %d inputs of kind %d: %v", o.op, nin, k, err)
				}
			}
		}
	}
}
