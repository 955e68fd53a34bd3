package ref

import (
	"math"
	"math/rand"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/llmc/llmc/ir"
)

func quantU8(shape []int64, v ...byte) *ir.Tensor {
	t := ir.MustTensor(ir.Uint8, shape...)
	copy(t.Raw, v)
	return t
}

func quantI8(shape []int64, v ...int8) *ir.Tensor {
	t := ir.MustTensor(ir.Int8, shape...)
	for i, x := range v {
		t.Raw[i] = byte(x)
	}
	return t
}

func TestQuantizeLinearRoundingAndSaturation(t *testing.T) {
	x := nnF32([]int64{8}, 0, 1, 3, 5, -1, 600, -600, 2.9)
	y := nnMust(t, 13, "QuantizeLinear", 1, []*ir.Tensor{x, ir.ScalarFloat32(2), quantU8(nil, 128)})[0]
	// x/2 = 0, 0.5, 1.5, 2.5, -0.5, 300, -300, 1.45 -> half to even 0,0,2,2,-0(0),300,-300,1
	require.Equal(t, []byte{128, 128, 130, 130, 128, 255, 0, 129}, y.Raw)
	y = nnMust(t, 13, "QuantizeLinear", 1, []*ir.Tensor{x, ir.ScalarFloat32(2), quantI8(nil, -1)})[0]
	require.Equal(t, []int8{-1, -1, 1, 1, -1, 127, -128, 0}, y.Int8s())
	// no zero point: uint8
	y = nnMust(t, 10, "QuantizeLinear", 1, []*ir.Tensor{x, ir.ScalarFloat32(2)})[0]
	require.Equal(t, ir.Uint8, y.DType)
	require.Equal(t, byte(2), y.Raw[3])
}

func TestQuantizeDequantizePerAxisAndBlocked(t *testing.T) {
	x := nnF32([]int64{2, 3}, 1, 2, 3, 4, 5, 6)
	scale := nnF32([]int64{3}, 1, 0.5, 0.25)
	zp := quantI8([]int64{3}, 0, 10, -10)
	q := nnMust(t, 13, "QuantizeLinear", 1, []*ir.Tensor{x, scale, zp})[0]
	require.Equal(t, []int8{1, 14, 2, 4, 20, 14}, q.Int8s())
	d := nnMust(t, 13, "DequantizeLinear", 1, []*ir.Tensor{q, scale, zp})[0]
	require.Equal(t, x.Float32s(), d.Float32s())
	// axis 0: one scale per row
	q = nnMust(t, 13, "QuantizeLinear", 1, []*ir.Tensor{x, nnF32([]int64{2}, 1, 2), quantU8([]int64{2}, 0, 100)}, ir.AInt("axis", 0))[0]
	require.Equal(t, []byte{1, 2, 3, 102, 102, 103}, q.Raw)
	// blocked along axis 1 with block 2: scales [2,2]
	bs := nnF32([]int64{2, 2}, 1, 10, 2, 20)
	q = nnMust(t, 21, "QuantizeLinear", 1, []*ir.Tensor{x, bs, quantU8([]int64{2, 2}, 0, 0, 0, 0)}, ir.AInt("axis", 1), ir.AInt("block_size", 2))[0]
	require.Equal(t, []byte{1, 2, 0, 2, 2, 0}, q.Raw) // 3/10 -> 0, 5/2 -> 2 (even), 6/20 -> 0
	d = nnMust(t, 21, "DequantizeLinear", 1, []*ir.Tensor{quantU8([]int64{2, 3}, 1, 2, 3, 4, 5, 6), bs}, ir.AInt("axis", 1), ir.AInt("block_size", 2))[0]
	require.Equal(t, []float32{1, 2, 30, 8, 10, 120}, d.Float32s())
	// int32 dequantization
	d = nnMust(t, 13, "DequantizeLinear", 1, []*ir.Tensor{ir.FromInt32s([]int64{2}, []int32{-1 << 30, 7}), ir.ScalarFloat32(0.5)})[0]
	require.Equal(t, []float32{-(1 << 29), 3.5}, d.Float32s())
	// errors
	_, err := nnRunOp(t, 13, "QuantizeLinear", 1, []*ir.Tensor{x, nnF32([]int64{2}, 1, 2)})
	require.Error(t, err)
	_, err = nnRunOp(t, 13, "DequantizeLinear", 1, []*ir.Tensor{q, ir.ScalarFloat32(1), quantI8(nil, 0)})
	require.Error(t, err)
	_, err = nnRunOp(t, 13, "QuantizeLinear", 1, []*ir.Tensor{x, scale}, ir.AInt("axis", 5))
	require.ErrorContains(t, err, "out of range")
	ts, err := nnInfer(13, "QuantizeLinear", 1, []ir.Type{ir.TensorType(ir.Float32, ir.Shape{ir.Sym("n"), ir.D(3)}), scale.Type(), zp.Type()})
	require.NoError(t, err)
	require.Equal(t, "i8[n,3]", ts[0].String())
	ts, err = nnInfer(19, "DequantizeLinear", 1, []ir.Type{ir.TensorType(ir.Int8, ir.Shape{ir.Sym("n"), ir.D(3)}), ir.TensorType(ir.Float16, nil)})
	require.NoError(t, err)
	require.Equal(t, "f16[n,3]", ts[0].String())
}

func TestDynamicQuantizeLinear(t *testing.T) {
	x := nnF32([]int64{4}, 0, 2, -1, 4)
	outs := nnMust(t, 11, "DynamicQuantizeLinear", 3, []*ir.Tensor{x})
	scale := float32(5) / 255 // range [-1, 4]
	require.Equal(t, []float32{scale}, outs[1].Float32s())
	zp := math.RoundToEven(float64(float32(1) / scale)) // 51
	require.Equal(t, []byte{byte(zp)}, outs[2].Raw)
	for i, v := range x.Float32s() {
		want := math.RoundToEven(float64(v/scale)) + zp
		require.Equal(t, byte(math.Max(0, math.Min(255, want))), outs[0].Raw[i])
	}
	// all-positive input: the range still includes 0, so zero point 0
	outs = nnMust(t, 11, "DynamicQuantizeLinear", 3, []*ir.Tensor{nnF32([]int64{2}, 1, 2)})
	require.Equal(t, []byte{0}, outs[2].Raw)
	s2 := float32(2) / 255 // 1/s2 is 127.49998 in float32 (the spec's arithmetic), so 1 -> 127
	require.Equal(t, []float32{s2}, outs[1].Float32s())
	require.Equal(t, []byte{127, 255}, outs[0].Raw)
}

func TestMatMulIntegerAndQLinearMatMul(t *testing.T) {
	a := quantU8([]int64{2, 3}, 10, 20, 30, 40, 50, 60)
	b := quantI8([]int64{3, 2}, 1, -1, 2, -2, 3, -3)
	// per-row a zero point, per-column b zero point
	y := nnMust(t, 10, "MatMulInteger", 1, []*ir.Tensor{a, b, quantU8([]int64{2}, 10, 40), quantI8([]int64{2}, 0, 1)})[0]
	require.Equal(t, ir.Int32, y.DType)
	// a' = [[0,10,20],[0,10,20]], b' = [[1,-2],[2,-3],[3,-4]]
	require.Equal(t, []int32{80, -110, 80, -110}, y.Int32s())
	y = nnMust(t, 10, "MatMulInteger", 1, []*ir.Tensor{a, b})[0]
	require.Equal(t, []int32{140, -140, 320, -320}, y.Int32s())
	_, err := nnRunOp(t, 10, "MatMulInteger", 1, []*ir.Tensor{a, b, quantU8([]int64{3}, 1, 2, 3)})
	require.Error(t, err)

	// QLinearMatMul agrees with dequantize -> float matmul -> quantize on random data
	rng := rand.New(rand.NewSource(6))
	qa, qb := ir.MustTensor(ir.Uint8, 3, 4), ir.MustTensor(ir.Uint8, 4, 5)
	for i := range qa.Raw {
		qa.Raw[i] = byte(rng.Intn(256))
	}
	for i := range qb.Raw {
		qb.Raw[i] = byte(rng.Intn(256))
	}
	as, bs, ys := float32(0.02), float32(0.03), float32(0.5)
	out := nnMust(t, 10, "QLinearMatMul", 1, []*ir.Tensor{qa, ir.ScalarFloat32(as), quantU8(nil, 100), qb, ir.ScalarFloat32(bs), quantU8(nil, 130), ir.ScalarFloat32(ys), quantU8(nil, 120)})[0]
	require.Equal(t, []int64{3, 5}, out.Shape)
	for i := 0; i < 3; i++ {
		for j := 0; j < 5; j++ {
			s := 0.0
			for k := 0; k < 4; k++ {
				s += (float64(qa.Raw[i*4+k]) - 100) * float64(as) * (float64(qb.Raw[k*5+j]) - 130) * float64(bs)
			}
			want := math.Max(0, math.Min(255, math.RoundToEven(s/float64(ys))+120))
			require.InDelta(t, want, float64(out.Raw[i*5+j]), 1, "element %d,%d", i, j)
		}
	}
}

func TestConvIntegerAndQLinearConv(t *testing.T) {
	x := quantU8([]int64{1, 1, 3, 3}, 2, 3, 4, 5, 6, 7, 8, 9, 10)
	w := quantU8([]int64{2, 1, 2, 2}, 1, 1, 1, 1, 2, 1, 1, 1)
	y := nnMust(t, 10, "ConvInteger", 1, []*ir.Tensor{x, w, quantU8(nil, 1), quantU8([]int64{2}, 0, 1)})[0]
	// x' = x-1 = 1..9; channel 0: sums of 2x2 blocks; channel 1: w' = [1,0,0,0] picks the corner
	require.Equal(t, []int32{12, 16, 24, 28, 1, 2, 4, 5}, y.Int32s())
	// padding contributes zero in the shifted domain
	y = nnMust(t, 10, "ConvInteger", 1, []*ir.Tensor{x, w, quantU8(nil, 1)}, ir.AInts("pads", 1, 1, 0, 0))[0]
	require.Equal(t, []int64{1, 2, 3, 3}, y.Shape)
	require.Equal(t, int32(1), y.Int32s()[0])
	// QLinearConv: scales and bias, per-channel w scale
	q := nnMust(t, 10, "QLinearConv", 1, []*ir.Tensor{x, ir.ScalarFloat32(0.5), quantU8(nil, 1),
		w, nnF32([]int64{2}, 1, 2), quantU8([]int64{2}, 0, 1), ir.ScalarFloat32(2), quantU8(nil, 10),
		ir.FromInt32s([]int64{2}, []int32{4, -1})})[0]
	// channel 0: (acc+4)*0.5*1/2 + 10 = 14,15,17,18; channel 1: (acc-1)*0.5*2/2 + 10 with
	// acc-1 = 0,1,3,4, i.e. 10+{0, 0.5, 1.5, 2} rounded half to even
	require.Equal(t, []byte{14, 15, 17, 18, 10, 10, 12, 12}, q.Raw)
	ts, err := nnInfer(10, "QLinearConv", 1, []ir.Type{ir.TensorType(ir.Uint8, ir.Shape{ir.Sym("n"), ir.D(1), ir.D(3), ir.D(3)}), ir.TensorType(ir.Float32, nil), ir.TensorType(ir.Uint8, nil),
		w.Type(), ir.TensorType(ir.Float32, ir.ConcreteShape(2)), ir.TensorType(ir.Uint8, ir.ConcreteShape(2)), ir.TensorType(ir.Float32, nil), ir.TensorType(ir.Int8, nil)})
	require.NoError(t, err)
	require.Equal(t, "i8[n,2,2,2]", ts[0].String())
	_, err = nnRunOp(t, 10, "ConvInteger", 1, []*ir.Tensor{x, quantU8([]int64{1, 2, 2, 2}, 1, 1, 1, 1, 1, 1, 1, 1)})
	require.ErrorContains(t, err, "channels")
}

func TestQuantizeFloat8AndInt4(t *testing.T) {
	x := nnF32([]int64{4}, 0, 1, 500, -1000)
	zp := ir.MustTensor(ir.Float8E4M3FN)
	y := nnMust(t, 19, "QuantizeLinear", 1, []*ir.Tensor{x, ir.ScalarFloat32(1), zp})[0]
	// E4M3FN: 1.0 = 0x38; out-of-range values saturate to +-448 = 0x7E / 0xFE
	require.Equal(t, []byte{0x00, 0x38, 0x7E, 0xFE}, y.Raw)
	y = nnMust(t, 19, "QuantizeLinear", 1, []*ir.Tensor{x, ir.ScalarFloat32(1), zp}, ir.AInt("saturate", 0))[0]
	require.Equal(t, byte(0x7F), y.Raw[2]) // NaN without saturation
	d := nnMust(t, 19, "DequantizeLinear", 1, []*ir.Tensor{y, ir.ScalarFloat32(2)})[0]
	require.Equal(t, float32(2), d.Float32s()[1])

	x = nnF32([]int64{3}, -10, 3, 9)
	y = nnMust(t, 21, "QuantizeLinear", 1, []*ir.Tensor{x, ir.ScalarFloat32(1)}, ir.AInt("output_dtype", int64(ir.Int4)))[0]
	require.Equal(t, ir.Int4, y.DType)
	require.Equal(t, []byte{0x38, 0x07}, y.Raw) // -8, 3 | 7, packed low nibble first
	d = nnMust(t, 21, "DequantizeLinear", 1, []*ir.Tensor{y, ir.ScalarFloat32(0.5)})[0]
	require.Equal(t, []float32{-4, 1.5, 3.5}, d.Float32s())
	u16 := ir.MustTensor(ir.Uint16)
	u16.Raw[0], u16.Raw[1] = 0x10, 0x27 // zero point 10000
	y = nnMust(t, 21, "QuantizeLinear", 1, []*ir.Tensor{nnF32([]int64{2}, -20000, 70000), ir.ScalarFloat32(1), u16})[0]
	require.Equal(t, []uint16{0, 65535}, y.Uint16s())
}
