package ref

import (
	"math"
	"math/rand"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/llmc/llmc/ir"
)

// convNaive2D is a direct 2-D convolution written with explicit coordinates (x [N,C,H,W],
// w [M,C/g,KH,KW]), independent of the table-driven implementation.
func convNaive2D(x []float32, xs []int64, w []float32, ws []int64, bias []float32, group, sh, sw, dh, dw, pt, pl, oh, ow int) []float64 {
	n, c, h, wd := int(xs[0]), int(xs[1]), int(xs[2]), int(xs[3])
	m, cg, kh, kw := int(ws[0]), int(ws[1]), int(ws[2]), int(ws[3])
	mg := m / group
	out := make([]float64, n*m*oh*ow)
	for b := 0; b < n; b++ {
		for oc := 0; oc < m; oc++ {
			g := oc / mg
			for y := 0; y < oh; y++ {
				for xx := 0; xx < ow; xx++ {
					s := 0.0
					if bias != nil {
						s = float64(bias[oc])
					}
					for ic := 0; ic < cg; ic++ {
						for i := 0; i < kh; i++ {
							for j := 0; j < kw; j++ {
								r, q := y*sh-pt+i*dh, xx*sw-pl+j*dw
								if r < 0 || r >= h || q < 0 || q >= wd {
									continue
								}
								s += float64(x[((b*c+g*cg+ic)*h+r)*wd+q]) * float64(w[((oc*cg+ic)*kh+i)*kw+j])
							}
						}
					}
					out[((b*m+oc)*oh+y)*ow+xx] = s
				}
			}
		}
	}
	return out
}

func TestConv2DAgainstNaive(t *testing.T) {
	rng := rand.New(rand.NewSource(4))
	xs, ws := []int64{2, 4, 7, 6}, []int64{6, 2, 3, 2}
	x, w, b := nnRand(rng, 2*4*7*6), nnRand(rng, 6*2*3*2), nnRand(rng, 6)
	y := nnMust(t, 11, "Conv", 1, []*ir.Tensor{nnF32(xs, x...), nnF32(ws, w...), nnF32([]int64{6}, b...)},
		ir.AInt("group", 2), ir.AInts("strides", 2, 1), ir.AInts("dilations", 1, 2), ir.AInts("pads", 1, 0, 2, 1))[0]
	// H: (7+1+2-3)/2+1 = 4; W: (6+0+1-3)/1+1 = 5
	require.Equal(t, []int64{2, 6, 4, 5}, y.Shape)
	nnClose(t, convNaive2D(x, xs, w, ws, b, 2, 2, 1, 1, 2, 1, 0, 4, 5), y, 1e-5)

	// SAME_UPPER keeps ceil(in/stride) and pads the extra at the end
	y = nnMust(t, 11, "Conv", 1, []*ir.Tensor{nnF32(xs, x...), nnF32([]int64{3, 4, 2, 2}, w[:48]...)},
		ir.AString("auto_pad", "SAME_UPPER"), ir.AInts("strides", 2, 2))[0]
	require.Equal(t, []int64{2, 3, 4, 3}, y.Shape)
	// H: out 4, total pad (4-1)*2+2-7 = 1 -> top 0; W: out 3, total (3-1)*2+2-6 = 0
	nnClose(t, convNaive2D(x, xs, w[:48], []int64{3, 4, 2, 2}, nil, 1, 2, 2, 1, 1, 0, 0, 4, 3), y, 1e-5)
}

func TestConv1DAnd3D(t *testing.T) {
	// 1-D: [1,1,5] * [1,1,3] "valid"
	y := nnMust(t, 11, "Conv", 1, []*ir.Tensor{nnF32([]int64{1, 1, 5}, 1, 2, 3, 4, 5), nnF32([]int64{1, 1, 3}, 1, 0, -1)})[0]
	require.Equal(t, []float32{-2, -2, -2}, y.Float32s())
	// 3-D with an all-ones kernel sums each 2x2x2 block
	x := make([]float32, 27)
	for i := range x {
		x[i] = float32(i)
	}
	ones := []float32{1, 1, 1, 1, 1, 1, 1, 1}
	y = nnMust(t, 11, "Conv", 1, []*ir.Tensor{nnF32([]int64{1, 1, 3, 3, 3}, x...), nnF32([]int64{1, 1, 2, 2, 2}, ones...)})[0]
	require.Equal(t, []int64{1, 1, 2, 2, 2}, y.Shape)
	require.Equal(t, float32(0+1+3+4+9+10+12+13), y.Float32s()[0])
}

func TestConvErrorsAndInference(t *testing.T) {
	_, err := nnRunOp(t, 11, "Conv", 1, []*ir.Tensor{ir.MustTensor(ir.Float32, 1, 3, 5, 5), ir.MustTensor(ir.Float32, 2, 2, 3, 3)})
	require.ErrorContains(t, err, "channels")
	_, err = nnRunOp(t, 11, "Conv", 1, []*ir.Tensor{ir.MustTensor(ir.Float32, 1, 1, 2, 2), ir.MustTensor(ir.Float32, 1, 1, 3, 3)})
	require.ErrorContains(t, err, "larger")
	_, err = nnRunOp(t, 11, "Conv", 1, []*ir.Tensor{ir.MustTensor(ir.Float32, 1, 1, 5, 5), ir.MustTensor(ir.Float32, 1, 1, 3, 3)}, ir.AInts("strides", 1))
	require.ErrorContains(t, err, "strides")
	_, err = nnRunOp(t, 11, "Conv", 1, []*ir.Tensor{ir.MustTensor(ir.Float32, 1, 1, 5, 5), ir.MustTensor(ir.Float32, 1, 1, 3, 3)}, ir.AString("auto_pad", "SAME"))
	require.ErrorContains(t, err, "auto_pad")
	x := ir.TensorType(ir.Float32, ir.Shape{ir.Sym("n"), ir.D(3), ir.Sym("h"), ir.D(32)})
	ts, err := nnInfer(11, "Conv", 1, []ir.Type{x, ir.TensorType(ir.Float32, ir.ConcreteShape(8, 3, 1, 1))})
	require.NoError(t, err)
	require.Equal(t, "f32[n,8,h,32]", ts[0].String()) // 1x1 conv keeps the symbol
	ts, err = nnInfer(11, "Conv", 1, []ir.Type{x, ir.TensorType(ir.Float32, ir.ConcreteShape(8, 3, 3, 3))}, ir.AInts("strides", 2, 2))
	require.NoError(t, err)
	require.Equal(t, "f32[n,8,?,15]", ts[0].String())
	ts, err = nnInfer(11, "Conv", 1, []ir.Type{x, ir.TensorType(ir.Float32, ir.ConcreteShape(8, 3, 3, 3))}, ir.AString("auto_pad", "SAME_LOWER"))
	require.NoError(t, err)
	require.Equal(t, "f32[n,8,h,32]", ts[0].String())
	_, err = nnInfer(11, "Conv", 1, []ir.Type{x, ir.TensorType(ir.Float32, ir.ConcreteShape(8, 4, 3, 3))})
	require.ErrorContains(t, err, "channels")
	c := ir.MustOp("", "Conv").Cost(&ir.Node{Op: "Conv"},
		[]ir.Type{ir.TensorType(ir.Float32, ir.ConcreteShape(1, 3, 8, 8)), ir.TensorType(ir.Float32, ir.ConcreteShape(4, 3, 3, 3))},
		[]ir.Type{ir.TensorType(ir.Float32, ir.ConcreteShape(1, 4, 6, 6))})
	require.Equal(t, int64(2*4*36*27), c.FLOPs)
}

// TestConvTransposeIsAdjointOfConv checks <Conv(x), u> == <x, ConvTranspose(u)> for the same
// weights, strides, dilations, pads and groups: the defining property of the transposed conv.
func TestConvTransposeIsAdjointOfConv(t *testing.T) {
	rng := rand.New(rand.NewSource(5))
	xs, ws := []int64{1, 4, 7, 8}, []int64{6, 2, 3, 3}
	x, w := nnRand(rng, 4*7*8), nnRand(rng, 6*2*3*3)
	attrs := []ir.Attr{ir.AInt("group", 2), ir.AInts("strides", 2, 3), ir.AInts("dilations", 2, 1), ir.AInts("pads", 1, 2, 0, 1)}
	y := nnMust(t, 11, "Conv", 1, []*ir.Tensor{nnF32(xs, x...), nnF32(ws, w...)}, attrs...)[0]
	u := nnRand(rng, y.Len())
	// ConvTranspose reads its weight as [C_in, C_out/group, k...]: with C_in = the conv's M and
	// C_out = the conv's C, that is the conv weight unchanged.
	tattrs := append(attrs, ir.AInts("output_padding", 1, 2))
	z := nnMust(t, 11, "ConvTranspose", 1, []*ir.Tensor{nnF32(y.Shape, u...), nnF32(ws, w...)}, tattrs...)[0]
	require.Equal(t, xs, z.Shape)
	lhs, rhs := 0.0, 0.0
	for i, v := range y.Float32s() {
		lhs += float64(v) * float64(u[i])
	}
	for i, v := range z.Float32s() {
		rhs += float64(v) * float64(x[i])
	}
	require.InDelta(t, lhs, rhs, 1e-3*(1+math.Abs(lhs)))
}

func TestConvTransposeShapes(t *testing.T) {
	// 1-D stride 2: every input spreads a copy of the kernel
	y := nnMust(t, 11, "ConvTranspose", 1, []*ir.Tensor{nnF32([]int64{1, 1, 2}, 1, 10), nnF32([]int64{1, 1, 3}, 1, 2, 3), nnF32([]int64{1}, 100)},
		ir.AInts("strides", 2))[0]
	require.Equal(t, []float32{101, 102, 113, 120, 130}, y.Float32s())
	// output_padding adds a row at the end; pads trim
	y = nnMust(t, 11, "ConvTranspose", 1, []*ir.Tensor{nnF32([]int64{1, 1, 2}, 1, 10), nnF32([]int64{1, 1, 3}, 1, 2, 3)},
		ir.AInts("strides", 2), ir.AInts("output_padding", 1), ir.AInts("pads", 1, 0))[0]
	require.Equal(t, []float32{2, 13, 20, 30, 0}, y.Float32s())
	ts, err := nnInfer(11, "ConvTranspose", 1, []ir.Type{ir.TensorType(ir.Float32, ir.Shape{ir.Sym("n"), ir.D(4), ir.D(5), ir.D(5)}), ir.TensorType(ir.Float32, ir.ConcreteShape(4, 2, 3, 3))},
		ir.AInt("group", 2), ir.AInts("strides", 2, 2))
	require.NoError(t, err)
	require.Equal(t, "f32[n,4,11,11]", ts[0].String())
	_, err = nnRunOp(t, 11, "ConvTranspose", 1, []*ir.Tensor{ir.MustTensor(ir.Float32, 1, 3, 2), ir.MustTensor(ir.Float32, 2, 1, 3)})
	require.ErrorContains(t, err, "channels")
}

func TestMaxPoolWithIndices(t *testing.T) {
	x := nnF32([]int64{1, 1, 3, 3}, 1, 9, 2, 8, 3, 7, 4, 6, 5)
	outs := nnMust(t, 12, "MaxPool", 2, []*ir.Tensor{x}, ir.AInts("kernel_shape", 2, 2))
	require.Equal(t, []float32{9, 9, 8, 7}, outs[0].Float32s())
	require.Equal(t, []int64{1, 1, 3, 5}, outs[1].Int64s())
	outs = nnMust(t, 12, "MaxPool", 2, []*ir.Tensor{x}, ir.AInts("kernel_shape", 2, 2), ir.AInt("storage_order", 1))
	require.Equal(t, []int64{3, 3, 1, 7}, outs[1].Int64s()) // column-major: (r,c) -> c*3+r
	// indices count the batch and channel planes too
	x2 := nnF32([]int64{1, 2, 1, 2}, 1, 2, 4, 3)
	outs = nnMust(t, 12, "MaxPool", 2, []*ir.Tensor{x2}, ir.AInts("kernel_shape", 1, 2))
	require.Equal(t, []int64{1, 2}, outs[1].Int64s())
	// pads never win, even over negative values; ceil_mode adds a partial window
	neg := nnF32([]int64{1, 1, 1, 5}, -5, -4, -3, -2, -1)
	y := nnMust(t, 12, "MaxPool", 1, []*ir.Tensor{neg}, ir.AInts("kernel_shape", 1, 2), ir.AInts("strides", 1, 2), ir.AInts("pads", 0, 1, 0, 0))[0]
	require.Equal(t, []float32{-5, -3, -1}, y.Float32s())
	y = nnMust(t, 12, "MaxPool", 1, []*ir.Tensor{neg}, ir.AInts("kernel_shape", 1, 2), ir.AInts("strides", 1, 2), ir.AInt("ceil_mode", 1))[0]
	require.Equal(t, []float32{-4, -2, -1}, y.Float32s())
	y = nnMust(t, 12, "MaxPool", 1, []*ir.Tensor{neg}, ir.AInts("kernel_shape", 1, 2), ir.AInts("dilations", 1, 3))[0]
	require.Equal(t, []float32{-2, -1}, y.Float32s())
	ts, err := nnInfer(12, "MaxPool", 2, []ir.Type{ir.TensorType(ir.Float32, ir.Shape{ir.Sym("n"), ir.D(3), ir.D(9), ir.Sym("w")})},
		ir.AInts("kernel_shape", 3, 3), ir.AInts("strides", 2, 2))
	require.NoError(t, err)
	require.Equal(t, "f32[n,3,4,?]", ts[0].String())
	require.Equal(t, "i64[n,3,4,?]", ts[1].String())
	_, err = nnInfer(12, "MaxPool", 1, []ir.Type{ir.TensorType(ir.Float32, ir.ConcreteShape(1, 1, 4))})
	require.ErrorContains(t, err, "kernel_shape")
}

func TestAverageAndLpPool(t *testing.T) {
	x := nnF32([]int64{1, 1, 1, 3}, 3, 6, 9)
	y := nnMust(t, 11, "AveragePool", 1, []*ir.Tensor{x}, ir.AInts("kernel_shape", 1, 2), ir.AInts("pads", 0, 1, 0, 1))[0]
	require.Equal(t, []float32{3, 4.5, 7.5, 9}, y.Float32s())
	y = nnMust(t, 11, "AveragePool", 1, []*ir.Tensor{x}, ir.AInts("kernel_shape", 1, 2), ir.AInts("pads", 0, 1, 0, 1), ir.AInt("count_include_pad", 1))[0]
	require.Equal(t, []float32{1.5, 4.5, 7.5, 4.5}, y.Float32s())
	y = nnMust(t, 11, "LpPool", 1, []*ir.Tensor{nnF32([]int64{1, 1, 2}, 3, -4)}, ir.AInts("kernel_shape", 2))[0]
	nnClose(t, []float64{5}, y, 1e-6)
	y = nnMust(t, 11, "LpPool", 1, []*ir.Tensor{nnF32([]int64{1, 1, 2}, 3, -4)}, ir.AInts("kernel_shape", 2), ir.AInt("p", 1))[0]
	nnClose(t, []float64{7}, y, 1e-6)
}

func TestGlobalPools(t *testing.T) {
	x := nnF32([]int64{1, 2, 2, 1}, 1, 3, -4, 3)
	y := nnMust(t, 1, "GlobalAveragePool", 1, []*ir.Tensor{x})[0]
	require.Equal(t, []int64{1, 2, 1, 1}, y.Shape)
	require.Equal(t, []float32{2, -0.5}, y.Float32s())
	y = nnMust(t, 1, "GlobalMaxPool", 1, []*ir.Tensor{x})[0]
	require.Equal(t, []float32{3, 3}, y.Float32s())
	y = nnMust(t, 2, "GlobalLpPool", 1, []*ir.Tensor{x})[0]
	nnClose(t, []float64{math.Sqrt(10), 5}, y, 1e-6)
	ts, err := nnInfer(1, "GlobalAveragePool", 1, []ir.Type{ir.TensorType(ir.Float32, ir.Shape{ir.Sym("n"), ir.D(8), ir.Sym("h"), ir.Sym("w")})})
	require.NoError(t, err)
	require.Equal(t, "f32[n,8,1,1]", ts[0].String())
}

func TestMaxUnpoolInvertsMaxPool(t *testing.T) {
	x := nnF32([]int64{1, 1, 4, 4}, 1, 2, 3, 4, 8, 7, 6, 5, 9, 10, 11, 12, 16, 15, 14, 13)
	outs := nnMust(t, 11, "MaxPool", 2, []*ir.Tensor{x}, ir.AInts("kernel_shape", 2, 2), ir.AInts("strides", 2, 2))
	y := nnMust(t, 11, "MaxUnpool", 1, []*ir.Tensor{outs[0], outs[1]}, ir.AInts("kernel_shape", 2, 2), ir.AInts("strides", 2, 2))[0]
	require.Equal(t, []int64{1, 1, 4, 4}, y.Shape)
	// every max lands where it came from; the rest is zero
	for i, v := range y.Float32s() {
		if v != 0 {
			require.Equal(t, x.Float32s()[i], v)
		}
	}
	require.Equal(t, []float32{8, 6, 16, 14}, outs[0].Float32s())
	// a larger output_shape keeps coordinates: row 1 of the 4x4 is row 1 of the 5x5
	big := nnMust(t, 11, "MaxUnpool", 1, []*ir.Tensor{outs[0], outs[1], ir.FromInt64s([]int64{4}, []int64{1, 1, 5, 5})},
		ir.AInts("kernel_shape", 2, 2), ir.AInts("strides", 2, 2))[0]
	require.Equal(t, float32(8), big.Float32s()[5])
	bad := ir.FromInt64s([]int64{1, 1, 2, 2}, []int64{0, 1, 2, 99})
	_, err := nnRunOp(t, 11, "MaxUnpool", 1, []*ir.Tensor{outs[0], bad}, ir.AInts("kernel_shape", 2, 2), ir.AInts("strides", 2, 2))
	require.ErrorContains(t, err, "outside")
}

// BenchmarkConvResNetBlock times a ResNet 3x3 convolution, [1,64,56,56] * [64,64,3,3], pads 1.
func BenchmarkConvResNetBlock(b *testing.B) {
	x, w := ir.MustTensor(ir.Float32, 1, 64, 56, 56), ir.MustTensor(ir.Float32, 64, 64, 3, 3)
	bl := ir.NewBuilder("t", nil)
	xv, wv := bl.Input("x", x.Type()), bl.Input("w", w.Type())
	bl.Output(bl.Op("Conv", []*ir.Value{xv, wv}, ir.AInts("pads", 1, 1, 1, 1)))
	g := bl.MustGraph()
	for i := 0; i < b.N; i++ {
		if _, err := Run(g, map[string]ir.Datum{"x": x, "w": w}, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
