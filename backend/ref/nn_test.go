package ref

import (
	"math"
	"math/rand"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/llmc/llmc/ir"
)

// nnRunOp builds a one-node graph at the given opset whose inputs are graph inputs holding ins
// (nil: absent optional input), runs it and returns the outputs.
func nnRunOp(t *testing.T, opset int64, op string, nout int, ins []*ir.Tensor, attrs ...ir.Attr) ([]*ir.Tensor, error) {
	t.Helper()
	b := ir.NewBuilder("t", map[string]int64{"": opset})
	vals := make([]*ir.Value, len(ins))
	feeds := map[string]ir.Datum{}
	for i, x := range ins {
		if x == nil {
			continue
		}
		vals[i] = b.Input("in", x.Type())
		feeds[vals[i].Name] = x
	}
	outs := b.OpN(op, nout, vals, attrs...)
	b.Output(outs...)
	g, err := b.Graph()
	if err != nil {
		return nil, err
	}
	res, err := Run(g, feeds, Options{})
	if err != nil {
		return nil, err
	}
	ts := make([]*ir.Tensor, len(res))
	for i, d := range res {
		ts[i] = d.(*ir.Tensor)
	}
	return ts, nil
}

// nnMust is nnRunOp that fails the test on error.
func nnMust(t *testing.T, opset int64, op string, nout int, ins []*ir.Tensor, attrs ...ir.Attr) []*ir.Tensor {
	t.Helper()
	out, err := nnRunOp(t, opset, op, nout, ins, attrs...)
	require.NoError(t, err)
	return out
}

// nnInfer builds a one-node graph over inputs of the given types and returns the inferred output
// types (or the builder's error).
func nnInfer(opset int64, op string, nout int, ins []ir.Type, attrs ...ir.Attr) ([]ir.Type, error) {
	b := ir.NewBuilder("t", map[string]int64{"": opset})
	vals := make([]*ir.Value, len(ins))
	for i, ty := range ins {
		if ty.Kind != ir.KindUnknown {
			vals[i] = b.Input("in", ty)
		}
	}
	outs := b.OpN(op, nout, vals, attrs...)
	b.Output(outs...)
	if _, err := b.Graph(); err != nil {
		return nil, err
	}
	ts := make([]ir.Type, nout)
	for i, o := range outs {
		ts[i] = o.Type
	}
	return ts, nil
}

func nnRand(rng *rand.Rand, n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(rng.NormFloat64())
	}
	return v
}

func nnF32(shape []int64, v ...float32) *ir.Tensor { return ir.FromFloat32s(shape, v) }

func nnClose(t *testing.T, want []float64, got *ir.Tensor, tol float64) {
	t.Helper()
	g := F64s(got)
	require.Equal(t, len(want), len(g), "element count")
	for i := range want {
		require.InDelta(t, want[i], g[i], tol*(1+math.Abs(want[i])), "element %d: want %v got %v", i, want[i], g[i])
	}
}

func TestMatMulAgainstDotProducts(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	a, b := nnRand(rng, 3*5), nnRand(rng, 5*4)
	y := nnMust(t, 13, "MatMul", 1, []*ir.Tensor{nnF32([]int64{3, 5}, a...), nnF32([]int64{5, 4}, b...)})[0]
	require.Equal(t, []int64{3, 4}, y.Shape)
	want := make([]float64, 12)
	for j := 0; j < 4; j++ { // column-at-a-time dot products: a different order than the kernel
		for i := 0; i < 3; i++ {
			s := 0.0
			for k := 4; k >= 0; k-- {
				s += float64(a[i*5+k]) * float64(b[k*4+j])
			}
			want[i*4+j] = s
		}
	}
	nnClose(t, want, y, 1e-6)
}

func TestMatMulBroadcastAndPromotion(t *testing.T) {
	// [2,1,2,3] @ [3,3,2]: batch dims broadcast to [2,3]; b's batch k reads matrix k.
	a := make([]float32, 12)
	for i := range a {
		a[i] = float32(i)
	}
	b := make([]float32, 18)
	for i := range b {
		b[i] = float32(i%5) - 2
	}
	y := nnMust(t, 13, "MatMul", 1, []*ir.Tensor{nnF32([]int64{2, 1, 2, 3}, a...), nnF32([]int64{3, 3, 2}, b...)})[0]
	require.Equal(t, []int64{2, 3, 2, 2}, y.Shape)
	got := y.Float32s()
	for p := 0; p < 2; p++ {
		for q := 0; q < 3; q++ {
			for i := 0; i < 2; i++ {
				for j := 0; j < 2; j++ {
					s := float32(0)
					for k := 0; k < 3; k++ {
						s += a[p*6+i*3+k] * b[q*6+k*2+j]
					}
					require.Equal(t, s, got[((p*3+q)*2+i)*2+j])
				}
			}
		}
	}
	// 1-D @ 1-D is a dot product (rank 0); 1-D @ 2-D drops the promoted dim.
	y = nnMust(t, 13, "MatMul", 1, []*ir.Tensor{nnF32([]int64{3}, 1, 2, 3), nnF32([]int64{3}, 4, 5, 6)})[0]
	require.Empty(t, y.Shape)
	require.Equal(t, float32(32), y.Float32s()[0])
	y = nnMust(t, 13, "MatMul", 1, []*ir.Tensor{nnF32([]int64{2}, 1, 2), nnF32([]int64{2, 3}, 1, 2, 3, 4, 5, 6)})[0]
	require.Equal(t, []int64{3}, y.Shape)
	require.Equal(t, []float32{9, 12, 15}, y.Float32s())
	y = nnMust(t, 13, "MatMul", 1, []*ir.Tensor{nnF32([]int64{2, 2}, 1, 2, 3, 4), nnF32([]int64{2}, 1, 1)})[0]
	require.Equal(t, []int64{2}, y.Shape)
	require.Equal(t, []float32{3, 7}, y.Float32s())
}

func TestMatMulIntegersExact(t *testing.T) {
	big := int64(1) << 40
	y := nnMust(t, 13, "MatMul", 1, []*ir.Tensor{ir.FromInt64s([]int64{1, 2}, []int64{big, 3}), ir.FromInt64s([]int64{2, 1}, []int64{big + 1, 5})})[0]
	// big*(big+1)+15 overflows float64's 53 bits but not int64: it must come out exact.
	require.Equal(t, big*(big+1)+15, y.Int64s()[0])
	y = nnMust(t, 13, "MatMul", 1, []*ir.Tensor{ir.FromInt32s([]int64{1, 2}, []int32{-3, 4}), ir.FromInt32s([]int64{2, 1}, []int32{7, 2})})[0]
	require.Equal(t, []int32{-13}, y.Int32s())
}

func TestMatMulErrorsAndInference(t *testing.T) {
	_, err := nnRunOp(t, 13, "MatMul", 1, []*ir.Tensor{ir.MustTensor(ir.Float32, 2, 3), ir.MustTensor(ir.Float32, 4, 2)})
	require.ErrorContains(t, err, "inner dims")
	_, err = nnRunOp(t, 13, "MatMul", 1, []*ir.Tensor{ir.MustTensor(ir.Float32, 2, 2, 3), ir.MustTensor(ir.Float32, 3, 3, 2)})
	require.ErrorContains(t, err, "batch")
	ts, err := nnInfer(13, "MatMul", 1, []ir.Type{
		ir.TensorType(ir.Float32, ir.Shape{ir.Sym("batch"), ir.Sym("seq"), ir.D(8)}),
		ir.TensorType(ir.Float32, ir.ConcreteShape(8, 4))})
	require.NoError(t, err)
	require.Equal(t, "f32[batch,seq,4]", ts[0].String())
	ts, err = nnInfer(13, "MatMul", 1, []ir.Type{ir.UnrankedTensor(ir.Float32), ir.TensorType(ir.Float32, ir.ConcreteShape(8, 4))})
	require.NoError(t, err)
	require.False(t, ts[0].Ranked)
	c := ir.MustOp("", "MatMul").Cost(&ir.Node{Op: "MatMul"},
		[]ir.Type{ir.TensorType(ir.Float32, ir.ConcreteShape(128, 768)), ir.TensorType(ir.Float32, ir.ConcreteShape(768, 3072))},
		[]ir.Type{ir.TensorType(ir.Float32, ir.ConcreteShape(128, 3072))})
	require.Equal(t, int64(2*128*768*3072), c.FLOPs)
}

// BenchmarkMatMulBert times a bert-base FFN product, [1,128,768] @ [768,3072].
func BenchmarkMatMulBert(b *testing.B) {
	x, w := ir.MustTensor(ir.Float32, 1, 128, 768), ir.MustTensor(ir.Float32, 768, 3072)
	bl := ir.NewBuilder("t", nil)
	xv, wv := bl.Input("x", x.Type()), bl.Input("w", w.Type())
	bl.Output(bl.Op("MatMul", []*ir.Value{xv, wv}))
	g := bl.MustGraph()
	for i := 0; i < b.N; i++ {
		if _, err := Run(g, map[string]ir.Datum{"x": x, "w": w}, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

func TestGemm(t *testing.T) {
	// A stored transposed [K=2,M=2], B stored transposed [N=3,K=2], C a [N] vector.
	at := nnF32([]int64{2, 2}, 1, 3, 2, 4) // A = [[1,2],[3,4]]
	bt := nnF32([]int64{3, 2}, 1, 0, 0, 1, 1, 1)
	c := nnF32([]int64{3}, 10, 20, 30)
	y := nnMust(t, 13, "Gemm", 1, []*ir.Tensor{at, bt, c},
		ir.AInt("transA", 1), ir.AInt("transB", 1), ir.AFloat("alpha", 2), ir.AFloat("beta", 0.5))[0]
	// A@B = [[1,2,3],[3,4,7]]; y = 2*A@B + 0.5*C
	require.Equal(t, []float32{7, 14, 21, 11, 18, 29}, y.Float32s())
	y = nnMust(t, 13, "Gemm", 1, []*ir.Tensor{nnF32([]int64{1, 2}, 1, 2), nnF32([]int64{2, 1}, 3, 4), nil})[0]
	require.Equal(t, []float32{11}, y.Float32s())
	_, err := nnRunOp(t, 13, "Gemm", 1, []*ir.Tensor{nnF32([]int64{1, 2}, 1, 2), nnF32([]int64{2, 2}, 1, 2, 3, 4), nnF32([]int64{3}, 1, 2, 3)})
	require.Error(t, err)
	_, err = nnRunOp(t, 13, "Gemm", 1, []*ir.Tensor{nnF32([]int64{1, 3}, 1, 2, 3), nnF32([]int64{2, 2}, 1, 2, 3, 4)})
	require.ErrorContains(t, err, "inner dims")
	ts, err := nnInfer(13, "Gemm", 1, []ir.Type{ir.TensorType(ir.Float32, ir.Shape{ir.D(8), ir.Sym("m")}), ir.TensorType(ir.Float32, ir.ConcreteShape(8, 5))}, ir.AInt("transA", 1))
	require.NoError(t, err)
	require.Equal(t, "f32[m,5]", ts[0].String())
}

func TestEinsum(t *testing.T) {
	m := nnF32([]int64{3, 3}, 1, 2, 3, 4, 5, 6, 7, 8, 9)
	y := nnMust(t, 12, "Einsum", 1, []*ir.Tensor{m}, ir.AString("equation", "ii->i"))[0]
	require.Equal(t, []float32{1, 5, 9}, y.Float32s())
	y = nnMust(t, 12, "Einsum", 1, []*ir.Tensor{m}, ir.AString("equation", "ii"))[0] // implicit: trace
	require.Empty(t, y.Shape)
	require.Equal(t, []float32{15}, y.Float32s())
	y = nnMust(t, 12, "Einsum", 1, []*ir.Tensor{m}, ir.AString("equation", "ij"))[0] // implicit keeps order
	require.Equal(t, m.Float32s(), y.Float32s())
	y = nnMust(t, 12, "Einsum", 1, []*ir.Tensor{m}, ir.AString("equation", "ji"))[0] // implicit sorts: transpose
	require.Equal(t, []float32{1, 4, 7, 2, 5, 8, 3, 6, 9}, y.Float32s())
	// batched matmul with ellipsis vs MatMul
	rng := rand.New(rand.NewSource(2))
	a, b := nnF32([]int64{2, 3, 4}, nnRand(rng, 24)...), nnF32([]int64{2, 4, 5}, nnRand(rng, 40)...)
	want := nnMust(t, 13, "MatMul", 1, []*ir.Tensor{a, b})[0]
	y = nnMust(t, 12, "Einsum", 1, []*ir.Tensor{a, b}, ir.AString("equation", "...ij, ...jk -> ...ik"))[0]
	require.Equal(t, want.Shape, y.Shape)
	nnClose(t, F64s(want), y, 1e-6)
	// outer product and a three-operand contraction
	y = nnMust(t, 12, "Einsum", 1, []*ir.Tensor{nnF32([]int64{2}, 1, 2), nnF32([]int64{3}, 1, 10, 100)}, ir.AString("equation", "i,j->ij"))[0]
	require.Equal(t, []float32{1, 10, 100, 2, 20, 200}, y.Float32s())
	y = nnMust(t, 12, "Einsum", 1, []*ir.Tensor{nnF32([]int64{2}, 1, 2), nnF32([]int64{2, 2}, 1, 2, 3, 4), nnF32([]int64{2}, 5, 6)}, ir.AString("equation", "i,ij,j->"))[0]
	require.Equal(t, []float32{1*1*5 + 1*2*6 + 2*3*5 + 2*4*6}, y.Float32s())
	// integers
	y = nnMust(t, 12, "Einsum", 1, []*ir.Tensor{ir.FromInt64s([]int64{2, 2}, []int64{1, 2, 3, 4})}, ir.AString("equation", "ij->j"))[0]
	require.Equal(t, []int64{4, 6}, y.Int64s())
	// errors
	_, err := nnRunOp(t, 12, "Einsum", 1, []*ir.Tensor{m}, ir.AString("equation", "ij,jk->ik"))
	require.ErrorContains(t, err, "input terms")
	_, err = nnRunOp(t, 12, "Einsum", 1, []*ir.Tensor{m}, ir.AString("equation", "ijk->i"))
	require.ErrorContains(t, err, "rank")
	_, err = nnRunOp(t, 12, "Einsum", 1, []*ir.Tensor{m}, ir.AString("equation", "ij->iz"))
	require.Error(t, err)
	_, err = nnRunOp(t, 12, "Einsum", 1, []*ir.Tensor{nnF32([]int64{2}, 1, 2), nnF32([]int64{3}, 1, 2, 3)}, ir.AString("equation", "i,i->"))
	require.ErrorContains(t, err, "sizes")
	ts, err := nnInfer(12, "Einsum", 1, []ir.Type{
		ir.TensorType(ir.Float32, ir.Shape{ir.Sym("b"), ir.D(3), ir.D(4)}),
		ir.TensorType(ir.Float32, ir.Shape{ir.Sym("b"), ir.D(4), ir.Sym("n")})}, ir.AString("equation", "bij,bjk->bki"))
	require.NoError(t, err)
	require.Equal(t, "f32[b,n,3]", ts[0].String())
}

func TestDet(t *testing.T) {
	x := nnF32([]int64{2, 3, 3},
		2, 0, 0, 0, 3, 0, 0, 0, 4, // diagonal: 24
		0, 1, 2, 1, 0, 3, 4, -3, 8) // needs pivoting: det = -2
	y := nnMust(t, 11, "Det", 1, []*ir.Tensor{x})[0]
	require.Equal(t, []int64{2}, y.Shape)
	nnClose(t, []float64{24, -2}, y, 1e-6)
	y = nnMust(t, 11, "Det", 1, []*ir.Tensor{nnF32([]int64{2, 2}, 1, 2, 2, 4)})[0]
	require.Equal(t, []float32{0}, y.Float32s())
	_, err := nnRunOp(t, 11, "Det", 1, []*ir.Tensor{ir.MustTensor(ir.Float32, 2, 3)})
	require.ErrorContains(t, err, "square")
}

func TestBatchNormalization(t *testing.T) {
	// x [2,2,1,2]; channel 0 values {1,3,5,7}, channel 1 values {2,2,4,4}
	x := nnF32([]int64{2, 2, 1, 2}, 1, 3, 2, 2, 5, 7, 4, 4)
	scale, bias := nnF32([]int64{2}, 2, 1), nnF32([]int64{2}, 0, 1)
	mean, vr := nnF32([]int64{2}, 1, 0), nnF32([]int64{2}, 4, 1)
	y := nnMust(t, 15, "BatchNormalization", 1, []*ir.Tensor{x, scale, bias, mean, vr}, ir.AFloat("epsilon", 0))[0]
	nnClose(t, []float64{0, 2, 3, 3, 4, 6, 5, 5}, y, 1e-6)
	// training mode: batch mean {4, 3}, population variance {5, 1}
	outs := nnMust(t, 15, "BatchNormalization", 3, []*ir.Tensor{x, scale, bias, mean, vr},
		ir.AFloat("epsilon", 0), ir.AInt("training_mode", 1), ir.AFloat("momentum", 0.5))
	s5 := 2 / math.Sqrt(5)
	nnClose(t, []float64{-3 * s5, -s5, 0, 0, s5, 3 * s5, 2, 2}, outs[0], 1e-6)
	nnClose(t, []float64{2.5, 1.5}, outs[1], 1e-6) // 0.5*running + 0.5*batch
	nnClose(t, []float64{4.5, 1}, outs[2], 1e-6)
	// opset 9: extra outputs mean training (mean, var, saved mean, saved var)
	outs = nnMust(t, 9, "BatchNormalization", 5, []*ir.Tensor{x, scale, bias, mean, vr}, ir.AFloat("epsilon", 0), ir.AFloat("momentum", 0.5))
	nnClose(t, []float64{4, 3}, outs[3], 1e-6)
	nnClose(t, []float64{5, 1}, outs[4], 1e-6)
	_, err := nnRunOp(t, 15, "BatchNormalization", 1, []*ir.Tensor{x, nnF32([]int64{3}, 1, 1, 1), bias, mean, vr})
	require.Error(t, err)
	ts, err := nnInfer(15, "BatchNormalization", 3, []ir.Type{
		ir.TensorType(ir.Float32, ir.Shape{ir.Sym("n"), ir.D(2), ir.Sym("h")}),
		scale.Type(), bias.Type(), mean.Type(), vr.Type()}, ir.AInt("training_mode", 1))
	require.NoError(t, err)
	require.Equal(t, "f32[n,2,h]", ts[0].String())
	require.Equal(t, "f32[2]", ts[1].String())
}

func TestInstanceAndGroupNormalization(t *testing.T) {
	x := nnF32([]int64{1, 2, 4}, 1, 2, 3, 4, 10, 10, 20, 20)
	y := nnMust(t, 6, "InstanceNormalization", 1, []*ir.Tensor{x, nnF32([]int64{2}, 1, 2), nnF32([]int64{2}, 0, 1)}, ir.AFloat("epsilon", 0))[0]
	s := 1 / math.Sqrt(1.25) // channel 0: mean 2.5, var 1.25
	nnClose(t, []float64{-1.5 * s, -0.5 * s, 0.5 * s, 1.5 * s, -1, -1, 3, 3}, y, 1e-6)
	// one group over both channels = layer norm of all 8 values
	y = nnMust(t, 18, "GroupNormalization", 1, []*ir.Tensor{x, nnF32([]int64{1}, 1), nnF32([]int64{1}, 0)}, ir.AInt("num_groups", 1), ir.AFloat("epsilon", 0))[0]
	xv := F64s(x)
	m, v := 0.0, 0.0
	for _, e := range xv {
		m += e / 8
	}
	for _, e := range xv {
		v += (e - m) * (e - m) / 8
	}
	want := make([]float64, 8)
	for i, e := range xv {
		want[i] = (e - m) / math.Sqrt(v)
	}
	nnClose(t, want, y, 1e-6)
	// two groups with per-channel scale = instance norm
	y2 := nnMust(t, 21, "GroupNormalization", 1, []*ir.Tensor{x, nnF32([]int64{2}, 1, 2), nnF32([]int64{2}, 0, 1)}, ir.AInt("num_groups", 2), ir.AFloat("epsilon", 0))[0]
	nnClose(t, []float64{-1.5 * s, -0.5 * s, 0.5 * s, 1.5 * s, -1, -1, 3, 3}, y2, 1e-6)
	_, err := nnRunOp(t, 18, "GroupNormalization", 1, []*ir.Tensor{x, nnF32([]int64{1}, 1), nnF32([]int64{1}, 0)}, ir.AInt("num_groups", 3))
	require.ErrorContains(t, err, "num_groups")
}

func TestLayerNormalization(t *testing.T) {
	x := nnF32([]int64{2, 3}, 1, 2, 3, 0, 0, 6)
	outs := nnMust(t, 17, "LayerNormalization", 3, []*ir.Tensor{x, nnF32([]int64{3}, 1, 1, 2), nnF32([]int64{1}, 0.5)}, ir.AFloat("epsilon", 0))
	r := math.Sqrt(1.5)
	nnClose(t, []float64{-r + 0.5, 0.5, 2*r + 0.5, -1/math.Sqrt2 + 0.5, -1/math.Sqrt2 + 0.5, 2*math.Sqrt2 + 0.5}, outs[0], 1e-6)
	require.Equal(t, []int64{2, 1}, outs[1].Shape)
	nnClose(t, []float64{2, 2}, outs[1], 1e-6)
	nnClose(t, []float64{1 / math.Sqrt(2.0/3), 1 / math.Sqrt(8)}, outs[2], 1e-6)
	// axis 0 normalizes everything
	y := nnMust(t, 17, "LayerNormalization", 1, []*ir.Tensor{x, ir.FromFloat32s([]int64{2, 3}, []float32{1, 1, 1, 1, 1, 1})}, ir.AInt("axis", 0))[0]
	require.InDelta(t, 0, F64s(y)[0]+F64s(y)[1]+F64s(y)[2]+F64s(y)[3]+F64s(y)[4]+F64s(y)[5], 1e-5)
	_, err := nnRunOp(t, 17, "LayerNormalization", 1, []*ir.Tensor{x, nnF32([]int64{3}, 1, 1, 1)}, ir.AInt("axis", 2))
	require.ErrorContains(t, err, "out of range")
	ts, err := nnInfer(17, "LayerNormalization", 3, []ir.Type{ir.TensorType(ir.Float16, ir.Shape{ir.Sym("b"), ir.Sym("s"), ir.D(8)}), ir.TensorType(ir.Float16, ir.ConcreteShape(8))})
	require.NoError(t, err)
	require.Equal(t, "f16[b,s,8]", ts[0].String())
	require.Equal(t, "f32[b,s,1]", ts[1].String())
}

func TestMVNLpNormLRN(t *testing.T) {
	x := nnF32([]int64{1, 1, 1, 4}, 1, 2, 3, 6)
	y := nnMust(t, 13, "MeanVarianceNormalization", 1, []*ir.Tensor{x})[0]
	sd := math.Sqrt(3.5) // mean 3, var (4+1+0+9)/4
	nnClose(t, []float64{-2 / sd, -1 / sd, 0, 3 / sd}, y, 1e-6)
	y = nnMust(t, 1, "LpNormalization", 1, []*ir.Tensor{nnF32([]int64{2, 2}, 3, 4, -1, 1)}, ir.AInt("axis", 1))[0]
	nnClose(t, []float64{0.6, 0.8, -1 / math.Sqrt2, 1 / math.Sqrt2}, y, 1e-6)
	y = nnMust(t, 1, "LpNormalization", 1, []*ir.Tensor{nnF32([]int64{2, 2}, 3, 4, -1, 1)}, ir.AInt("axis", 0), ir.AInt("p", 1))[0]
	nnClose(t, []float64{0.75, 0.8, -0.25, 0.2}, y, 1e-6)
	_, err := nnRunOp(t, 1, "LpNormalization", 1, []*ir.Tensor{x}, ir.AInt("p", 3))
	require.Error(t, err)
	// LRN size 3 over 3 channels, one pixel each
	lx := nnF32([]int64{1, 3, 1, 1}, 1, 2, 3)
	y = nnMust(t, 13, "LRN", 1, []*ir.Tensor{lx}, ir.AInt("size", 3), ir.AFloat("alpha", 3), ir.AFloat("beta", 1), ir.AFloat("bias", 1))[0]
	nnClose(t, []float64{1 / (1 + 5.0), 2 / (1 + 14.0), 3 / (1 + 13.0)}, y, 1e-6)
}

func TestDropout(t *testing.T) {
	x := nnF32([]int64{64}, nnRand(rand.New(rand.NewSource(3)), 64)...)
	outs := nnMust(t, 13, "Dropout", 2, []*ir.Tensor{x})
	require.Equal(t, x.Float32s(), outs[0].Float32s())
	for _, m := range outs[1].Bools() {
		require.True(t, m)
	}
	train := ir.FromBools(nil, []bool{true})
	outs = nnMust(t, 13, "Dropout", 2, []*ir.Tensor{x, ir.ScalarFloat32(0.5), train})
	dropped := 0
	for i, v := range outs[0].Float32s() {
		if outs[1].Bools()[i] {
			require.Equal(t, 2*x.Float32s()[i], v)
		} else {
			require.Equal(t, float32(0), v)
			dropped++
		}
	}
	require.Greater(t, dropped, 5)
	require.Less(t, dropped, 59)
	outs = nnMust(t, 13, "Dropout", 1, []*ir.Tensor{x, ir.ScalarFloat32(0), train})
	require.Equal(t, x.Float32s(), outs[0].Float32s())
	_, err := nnRunOp(t, 13, "Dropout", 1, []*ir.Tensor{x, ir.ScalarFloat32(1.5), train})
	require.ErrorContains(t, err, "ratio")
	ts, err := nnInfer(13, "Dropout", 2, []ir.Type{ir.TensorType(ir.Float32, ir.Shape{ir.Sym("n")})})
	require.NoError(t, err)
	require.Equal(t, "bool[n]", ts[1].String())
}

func TestMT19937MatchesNumpy(t *testing.T) {
	// numpy: np.random.seed(0); np.random.uniform(0, 1, 3)
	g := nnNewMT19937(0)
	require.InDelta(t, 0.5488135039273248, g.float64(), 1e-16)
	require.InDelta(t, 0.7151893663724195, g.float64(), 1e-16)
	require.InDelta(t, 0.6027633760716439, g.float64(), 1e-16)
}

// Outputs sized from attributes or from empty inputs must hit the memory cap (or be empty), never
// allocate unchecked.
func TestNNHostileSizes(t *testing.T) {
	_, err := nnRunOp(t, 13, "Gemm", 1, []*ir.Tensor{ir.MustTensor(ir.Float32, 1<<20, 0), ir.MustTensor(ir.Float32, 0, 1<<20), ir.ScalarFloat32(1)})
	require.ErrorIs(t, err, ErrMemoryLimit)
	y := nnMust(t, 13, "MatMul", 1, []*ir.Tensor{ir.MustTensor(ir.Float32, 1<<40, 0, 4), ir.MustTensor(ir.Float32, 4, 5)})[0]
	require.Equal(t, []int64{1 << 40, 0, 5}, y.Shape)
	big := ir.AInts("pads", 1<<21, 1<<21, 1<<21, 1<<21)
	_, err = nnRunOp(t, 11, "Conv", 1, []*ir.Tensor{ir.MustTensor(ir.Float32, 1, 1, 2, 2), ir.MustTensor(ir.Float32, 1, 1, 1, 1)}, big)
	require.ErrorIs(t, err, ErrMemoryLimit)
	_, err = nnRunOp(t, 11, "MaxPool", 1, []*ir.Tensor{ir.MustTensor(ir.Float32, 1, 1, 2, 2)}, big, ir.AInts("kernel_shape", 1, 1))
	require.ErrorIs(t, err, ErrMemoryLimit)
	_, err = nnRunOp(t, 11, "ConvTranspose", 1, []*ir.Tensor{ir.MustTensor(ir.Float32, 1, 1, 2, 2), ir.MustTensor(ir.Float32, 1, 1, 1, 1)}, ir.AInts("output_shape", 1<<21, 1<<21))
	require.ErrorIs(t, err, ErrMemoryLimit)
}

// nnFuzzCtx is an evaluation context with a small memory cap, for the robustness fuzz.
type nnFuzzCtx struct{ opset int64 }

func (c nnFuzzCtx) Opset() int64 { return c.opset }
func (nnFuzzCtx) NewTensor(dt ir.DType, shape []int64) (*ir.Tensor, error) {
	return ir.NewTensor(dt, shape, 1<<24)
}
func (nnFuzzCtx) RunGraph(*ir.Graph, []ir.Datum) ([]ir.Datum, error) { return nil, nil }
func (nnFuzzCtx) Rand() float64                                      { return 0.25 }

// TestNNFuzzNeverPanics feeds random shapes, dtypes and attributes to every op of this family's
// inference and evaluation hooks: they must return errors, never panic.
func TestNNFuzzNeverPanics(t *testing.T) {
	ops := []string{"MatMul", "Gemm", "Einsum", "Det", "Conv", "ConvTranspose", "AveragePool", "MaxPool", "MaxUnpool",
		"GlobalAveragePool", "GlobalMaxPool", "GlobalLpPool", "LpPool", "BatchNormalization", "InstanceNormalization",
		"LayerNormalization", "GroupNormalization", "MeanVarianceNormalization", "LpNormalization", "LRN", "Dropout",
		"QuantizeLinear", "DequantizeLinear", "DynamicQuantizeLinear", "MatMulInteger", "QLinearMatMul", "ConvInteger", "QLinearConv"}
	rng := rand.New(rand.NewSource(7))
	small := func() int64 {
		if rng.Intn(12) == 0 {
			return []int64{-3, 1 << 40, 0}[rng.Intn(3)]
		}
		return int64(rng.Intn(4))
	}
	dts := []ir.DType{ir.Float32, ir.Float32, ir.Int64, ir.Int32, ir.Int8, ir.Uint8, ir.Float16, ir.Bool, ir.Int4}
	randTensor := func() *ir.Tensor {
		shape := make([]int64, rng.Intn(6))
		for i := range shape {
			shape[i] = int64(rng.Intn(4))
		}
		x := ir.MustTensor(dts[rng.Intn(len(dts))], shape...)
		for i := range x.Raw {
			x.Raw[i] = byte(rng.Intn(256))
		}
		return x
	}
	panics := 0
	for _, op := range ops {
		s := ir.MustOp("", op)
		for iter := 0; iter < 500; iter++ {
			opset := int64(rng.Intn(22) + 1)
			nin := s.MinIn + rng.Intn(max(s.MaxIn-s.MinIn+1, 1))
			if s.MaxIn < 0 {
				nin = s.MinIn + rng.Intn(3)
			}
			nout := s.MinOut + rng.Intn(max(s.MaxOut-s.MinOut+1, 1))
			n := &ir.Node{Op: op}
			ins := make([]ir.Datum, nin)
			c := &ir.InferContext{Node: n, Opset: opset, In: make([]ir.Type, nin), Consts: make([]*ir.Tensor, nin)}
			var shared *ir.Tensor
			for i := 0; i < nin; i++ {
				x := randTensor()
				if shared != nil && rng.Intn(2) == 0 {
					x = shared // same-shaped operands reach deeper code
				}
				shared = x
				v := &ir.Value{Name: "in", Type: x.Type()}
				if rng.Intn(4) == 0 {
					v.Const, c.Consts[i] = x, x
				}
				switch rng.Intn(4) {
				case 0:
					v.Type = ir.UnrankedTensor(x.DType)
				case 1:
					sh := v.Type.Shape.Clone()
					for k := range sh {
						if rng.Intn(2) == 0 {
							sh[k] = ir.Sym("s")
						}
					}
					v.Type.Shape = sh
				}
				if i >= s.MinIn && rng.Intn(6) == 0 {
					v, x = nil, nil
				}
				n.Inputs = append(n.Inputs, v)
				if v != nil {
					c.In[i], ins[i] = v.Type, x
				}
			}
			for i := 0; i < nout; i++ {
				n.Outputs = append(n.Outputs, &ir.Value{Name: "out", Def: n})
			}
			for _, a := range s.Attrs {
				if rng.Intn(2) == 0 {
					continue
				}
				switch a.Kind {
				case ir.AttrInt:
					n.SetAttr(ir.AInt(a.Name, small()-1))
				case ir.AttrInts:
					v := make([]int64, rng.Intn(7))
					for i := range v {
						v[i] = small()
					}
					n.SetAttr(ir.AInts(a.Name, v...))
				case ir.AttrFloat:
					n.SetAttr(ir.AFloat(a.Name, float32(rng.Intn(5))-1))
				case ir.AttrString:
					vals := []string{"NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID", "x", "ij,jk->ik", "...i->i", "ii", "i,i", "a...,b->", "->"}
					n.SetAttr(ir.AString(a.Name, vals[rng.Intn(len(vals))]))
				}
			}
			for _, hook := range []string{"infer", "eval"} {
				func() {
					defer func() {
						if r := recover(); r != nil {
							panics++
							if panics < 10 {
								t.Errorf("%s %s opset %d attrs %v inputs %v: panic %v", hook, op, opset, n.Attrs, c.In, r)
							}
						}
					}()
					if hook == "infer" {
						_, _ = s.Infer(c)
					} else {
						_, _ = s.Eval(nnFuzzCtx{opset}, n, ins)
					}
				}()
			}
		}
	}
	require.Zero(t, panics)
}
