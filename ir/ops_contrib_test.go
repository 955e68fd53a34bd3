package ir_test

import (
	"testing"

	"github.com/llmc/llmc/ir"
	"github.com/stretchr/testify/require"
)

func TestContribInferenceAndCost(t *testing.T) {
	ms := ir.MSDomain
	got, err := sigInfer(t, ms, "SkipLayerNormalization", 1, 4, func(b *ir.Builder) []*ir.Value {
		return []*ir.Value{sigSym(b, "x", ir.Float16, "batch", "seq", 8), sigSym(b, "s", ir.Float16, "batch", "seq", 8), sigSym(b, "g", ir.Float16, 8)}
	})
	require.NoError(t, err)
	require.Equal(t, []string{"f16[batch,seq,8]", "f32[batch,seq,1]", "f32[batch,seq,1]", "f16[batch,seq,8]"}, got)
	got, err = sigInfer(t, "", "SimplifiedLayerNormalization", 17, 2, func(b *ir.Builder) []*ir.Value {
		return []*ir.Value{sigSym(b, "x", ir.Float32, "batch", "seq", 8), sigSym(b, "g", ir.Float32, 8)}
	})
	require.NoError(t, err)
	require.Equal(t, []string{"f32[batch,seq,8]", "f32[batch,seq,1]"}, got)
	got, err = sigInfer(t, ms, "DynamicQuantizeMatMul", 1, 1, func(b *ir.Builder) []*ir.Value {
		return []*ir.Value{sigSym(b, "a", ir.Float32, "batch", "seq", 8), sigSym(b, "b", ir.Int8, 8, 3), sigSym(b, "s", ir.Float32)}
	})
	require.NoError(t, err)
	require.Equal(t, []string{"f32[batch,seq,3]"}, got)
	got, err = sigInfer(t, ms, "MatMulIntegerToFloat", 1, 1, func(b *ir.Builder) []*ir.Value {
		return []*ir.Value{sigSym(b, "a", ir.Uint8, "m", 8), sigSym(b, "b", ir.Int8, 8, 3), sigSym(b, "sa", ir.Float16), sigSym(b, "sb", ir.Float16, 3)}
	})
	require.NoError(t, err)
	require.Equal(t, []string{"f16[m,3]"}, got)
	_, err = sigInfer(t, ms, "FastGelu", 1, 1, func(b *ir.Builder) []*ir.Value {
		return []*ir.Value{sigSym(b, "x", ir.Float32, "n", 8), sigSym(b, "b", ir.Float32, 7)}
	})
	require.Error(t, err)
	_, err = sigInfer(t, ms, "Attention", 1, 1, func(b *ir.Builder) []*ir.Value {
		return []*ir.Value{sigSym(b, "x", ir.Float32, "n", "s", 8), sigSym(b, "w", ir.Float32, 8, 24)}
	}, ir.AInt("num_heads", 5))
	require.ErrorContains(t, err, "num_heads")

	// bert-base attention: 2*S*768*2304 projection + 2 * 2*S*S*768 products + scaling and
	// softmax (1 + 5 per score)
	s := ir.LookupOp(ms, "Attention")
	n := &ir.Node{Op: "Attention", Domain: ms}
	n.SetAttr(ir.AInt("num_heads", 12))
	c := s.Cost(n, []ir.Type{ir.TensorType(ir.Float32, ir.ConcreteShape(1, 128, 768)), ir.TensorType(ir.Float32, ir.ConcreteShape(768, 2304))},
		[]ir.Type{ir.TensorType(ir.Float32, ir.ConcreteShape(1, 128, 768))})
	require.Equal(t, int64(2*128*768*2304+4*128*128*768+6*12*128*128), c.FLOPs)
	require.Equal(t, int64(4*(128*768*2+768*2304)), c.Bytes)
	l := ir.LookupOp("", "LSTM")
	c = l.Cost(&ir.Node{Op: "LSTM"}, []ir.Type{ir.TensorType(ir.Float32, ir.ConcreteShape(5, 2, 3)), {}, ir.TensorType(ir.Float32, ir.ConcreteShape(1, 16, 4))}, nil)
	require.Equal(t, int64(2*5*2*4*4*(3+4)), c.FLOPs)
}
