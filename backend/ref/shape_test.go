package ref

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/llmc/llmc/ir"
)

// shapeTRun builds a graph through fn, runs it on the inputs and returns the outputs as tensors.
func shapeTRun(t *testing.T, opset int64, inputs map[string]*ir.Tensor, fn func(b *ir.Builder) []*ir.Value) []*ir.Tensor {
	t.Helper()
	b := ir.NewBuilder("t", map[string]int64{"": opset})
	outs := fn(b)
	b.Output(outs...)
	g, err := b.Graph()
	require.NoError(t, err)
	in := map[string]ir.Datum{}
	for k, v := range inputs {
		in[k] = v
	}
	res, err := Run(g, in, Options{})
	require.NoError(t, err)
	ts := make([]*ir.Tensor, len(res))
	for i, d := range res {
		ts[i] = d.(*ir.Tensor)
	}
	return ts
}

// shapeTBuildErr builds a graph through fn and returns the builder's error.
func shapeTBuildErr(opset int64, fn func(b *ir.Builder) []*ir.Value) error {
	b := ir.NewBuilder("t", map[string]int64{"": opset})
	b.Output(fn(b)...)
	_, err := b.Graph()
	return err
}

// shapeTRunErr builds a graph and returns the run's error.
func shapeTRunErr(t *testing.T, opset int64, inputs map[string]*ir.Tensor, fn func(b *ir.Builder) []*ir.Value) error {
	t.Helper()
	b := ir.NewBuilder("t", map[string]int64{"": opset})
	b.Output(fn(b)...)
	g, err := b.Graph()
	require.NoError(t, err)
	in := map[string]ir.Datum{}
	for k, v := range inputs {
		in[k] = v
	}
	_, err = Run(g, in, Options{})
	return err
}

func shapeTIota(shape ...int64) *ir.Tensor {
	n := int64(1)
	for _, d := range shape {
		n *= d
	}
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(i)
	}
	return ir.FromFloat32s(shape, v)
}

func shapeTI64(v ...int64) *ir.Tensor { return ir.FromInt64s([]int64{int64(len(v))}, v) }

func shapeTF32(t *ir.Tensor) []float32 { return append([]float32{}, t.Float32s()...) }

func shapeTF(shape ...ir.Dim) ir.Type { return ir.TensorType(ir.Float32, ir.Shape(shape)) }

// TestShapeSymbolicReshapeChain checks that the Shape → Gather → Unsqueeze → Concat → Reshape
// chain PyTorch exports resolves to symbolic dims, and that it runs.
func TestShapeSymbolicReshapeChain(t *testing.T) {
	var y, flat, back *ir.Value
	fn := func(b *ir.Builder) []*ir.Value {
		x := b.Input("x", shapeTF(ir.Sym("batch"), ir.Sym("seq"), ir.D(6)))
		s := b.Op("Shape", []*ir.Value{x})
		bd := b.Op("Gather", []*ir.Value{s, b.Const("i0", ir.ScalarInt64(0))})
		sd := b.Op("Gather", []*ir.Value{s, b.Const("i1", ir.ScalarInt64(1))})
		ax := b.Const("ax", shapeTI64(0))
		ub := b.Op("Unsqueeze", []*ir.Value{bd, ax})
		us := b.Op("Unsqueeze", []*ir.Value{sd, ax})
		cat := b.Op("Concat", []*ir.Value{ub, us, b.Const("tail", shapeTI64(2, 3))}, ir.AInt("axis", 0))
		y = b.Op("Reshape", []*ir.Value{x, cat})
		flat = b.Op("Reshape", []*ir.Value{x, b.Const("f", shapeTI64(-1, 6))})
		back = b.Op("Reshape", []*ir.Value{flat, b.Const("g", shapeTI64(0, -1))})
		return []*ir.Value{y, flat, back}
	}
	x := shapeTIota(2, 3, 6)
	outs := shapeTRun(t, 17, map[string]*ir.Tensor{"x": x}, fn)
	require.Equal(t, "f32[batch,seq,2,3]", y.Type.String())
	require.Equal(t, "f32[?,6]", flat.Type.String()) // batch*seq is not a single symbol
	require.Equal(t, "f32[?,6]", back.Type.String())
	require.Equal(t, []int64{2, 3, 2, 3}, outs[0].Shape)
	require.Equal(t, shapeTF32(x), shapeTF32(outs[0]))
	require.Equal(t, []int64{6, 6}, outs[1].Shape)
}

func TestShapeReshapeInference(t *testing.T) {
	cases := []struct {
		in     ir.Shape
		target []int64
		zero   int64
		want   string
	}{
		{ir.Shape{ir.Sym("b"), ir.D(12), ir.D(64)}, []int64{0, -1}, 0, "f32[b,768]"},
		{ir.Shape{ir.Sym("b"), ir.D(12), ir.D(64)}, []int64{-1, 768}, 0, "f32[b,768]"},
		{ir.Shape{ir.Sym("b"), ir.D(768)}, []int64{0, 12, -1}, 0, "f32[b,12,64]"},
		{ir.Shape{ir.Sym("b"), ir.D(12), ir.D(64)}, []int64{-1, 64}, 0, "f32[?,64]"},
		{ir.Shape{ir.UnknownDim(), ir.D(4)}, []int64{0, 2, 2}, 0, "f32[?,2,2]"},
		{ir.Shape{ir.D(0), ir.D(4)}, []int64{0, 4}, 1, "f32[0,4]"},
	}
	for _, c := range cases {
		var y *ir.Value
		err := shapeTBuildErr(17, func(b *ir.Builder) []*ir.Value {
			x := b.Input("x", ir.TensorType(ir.Float32, c.in))
			y = b.Op("Reshape", []*ir.Value{x, b.Const("s", shapeTI64(c.target...))}, ir.AInt("allowzero", c.zero))
			return []*ir.Value{y}
		})
		require.NoError(t, err, "%v -> %v", c.in, c.target)
		require.Equal(t, c.want, y.Type.String(), "%v -> %v", c.in, c.target)
	}
	// element-count mismatches and double -1 are rejected at build time
	for _, target := range [][]int64{{5, 5}, {-1, -1}, {7, -1}} {
		err := shapeTBuildErr(17, func(b *ir.Builder) []*ir.Value {
			x := b.Input("x", shapeTF(ir.D(4), ir.D(6)))
			return []*ir.Value{b.Op("Reshape", []*ir.Value{x, b.Const("s", shapeTI64(target...))})}
		})
		require.Error(t, err, "%v", target)
	}
	// and at run time when the input dims are only known then
	err := shapeTRunErr(t, 17, map[string]*ir.Tensor{"x": shapeTIota(4, 6)}, func(b *ir.Builder) []*ir.Value {
		x := b.Input("x", shapeTF(ir.Sym("a"), ir.Sym("b")))
		return []*ir.Value{b.Op("Reshape", []*ir.Value{x, b.Const("s", shapeTI64(5, -1))})}
	})
	require.ErrorContains(t, err, "cannot reshape")
}

func TestShapeTransposeFlattenSqueeze(t *testing.T) {
	var tr, fl, sq, us *ir.Value
	x := shapeTIota(2, 3, 4)
	outs := shapeTRun(t, 17, map[string]*ir.Tensor{"x": x}, func(b *ir.Builder) []*ir.Value {
		in := b.Input("x", shapeTF(ir.Sym("n"), ir.D(3), ir.D(4)))
		tr = b.Op("Transpose", []*ir.Value{in}, ir.AInts("perm", 2, 0, 1))
		fl = b.Op("Flatten", []*ir.Value{in}, ir.AInt("axis", 2))
		us = b.Op("Unsqueeze", []*ir.Value{in, b.Const("a", shapeTI64(-1, 1))})
		sq = b.Op("Squeeze", []*ir.Value{us, b.Const("b", shapeTI64(1, 4))})
		return []*ir.Value{tr, fl, us, sq}
	})
	require.Equal(t, "f32[4,n,3]", tr.Type.String())
	require.Equal(t, "f32[?,4]", fl.Type.String())
	require.Equal(t, "f32[n,1,3,4,1]", us.Type.String())
	require.Equal(t, "f32[n,3,4]", sq.Type.String())
	// transpose by an independent loop
	got := outs[0].Float32s()
	for i := 0; i < 2; i++ {
		for j := 0; j < 3; j++ {
			for k := 0; k < 4; k++ {
				require.Equal(t, float32(i*12+j*4+k), got[k*6+i*3+j])
			}
		}
	}
	require.Equal(t, []int64{6, 4}, outs[1].Shape)
	require.Equal(t, []int64{2, 1, 3, 4, 1}, outs[2].Shape)
	require.Equal(t, shapeTF32(x), shapeTF32(outs[3]))

	// opset 11: axes as attributes
	outs = shapeTRun(t, 11, map[string]*ir.Tensor{"x": shapeTIota(1, 3)}, func(b *ir.Builder) []*ir.Value {
		in := b.Input("x", shapeTF(ir.D(1), ir.D(3)))
		s := b.Op("Squeeze", []*ir.Value{in}, ir.AInts("axes", 0))
		return []*ir.Value{s, b.Op("Unsqueeze", []*ir.Value{s}, ir.AInts("axes", 0, 2))}
	})
	require.Equal(t, []int64{3}, outs[0].Shape)
	require.Equal(t, []int64{1, 3, 1}, outs[1].Shape)

	for _, fn := range []func(b *ir.Builder) []*ir.Value{
		func(b *ir.Builder) []*ir.Value {
			in := b.Input("x", shapeTF(ir.D(2), ir.D(3)))
			return []*ir.Value{b.Op("Transpose", []*ir.Value{in}, ir.AInts("perm", 0, 0))}
		},
		func(b *ir.Builder) []*ir.Value {
			in := b.Input("x", shapeTF(ir.D(2), ir.D(3)))
			return []*ir.Value{b.Op("Squeeze", []*ir.Value{in, b.Const("a", shapeTI64(0))})}
		},
		func(b *ir.Builder) []*ir.Value {
			in := b.Input("x", shapeTF(ir.D(2), ir.D(3)))
			return []*ir.Value{b.Op("Flatten", []*ir.Value{in}, ir.AInt("axis", 3))}
		},
		func(b *ir.Builder) []*ir.Value {
			in := b.Input("x", shapeTF(ir.D(2), ir.D(3)))
			return []*ir.Value{b.Op("Unsqueeze", []*ir.Value{in, b.Const("a", shapeTI64(3))})}
		},
	} {
		require.Error(t, shapeTBuildErr(17, fn))
	}
}

func TestShapeConcatSplitSlice(t *testing.T) {
	var cat, s0, s1, sl *ir.Value
	a, bt := shapeTIota(2, 2), shapeTIota(2, 3)
	outs := shapeTRun(t, 17, map[string]*ir.Tensor{"a": a, "b": bt}, func(b *ir.Builder) []*ir.Value {
		x := b.Input("a", shapeTF(ir.Sym("n"), ir.D(2)))
		y := b.Input("b", shapeTF(ir.Sym("n"), ir.D(3)))
		cat = b.Op("Concat", []*ir.Value{x, y}, ir.AInt("axis", -1))
		parts := b.OpN("Split", 2, []*ir.Value{cat, b.Const("sp", shapeTI64(1, 4))}, ir.AInt("axis", 1))
		s0, s1 = parts[0], parts[1]
		sl = b.Op("Slice", []*ir.Value{cat, b.Const("st", shapeTI64(-1)), b.Const("en", shapeTI64(math.MinInt64)),
			b.Const("ax", shapeTI64(1)), b.Const("sp2", shapeTI64(-2))})
		return []*ir.Value{cat, s0, s1, sl}
	})
	require.Equal(t, "f32[n,5]", cat.Type.String())
	require.Equal(t, "f32[n,1]", s0.Type.String())
	require.Equal(t, "f32[n,4]", s1.Type.String())
	require.Equal(t, "f32[n,3]", sl.Type.String())
	require.Equal(t, []float32{0, 1, 0, 1, 2, 2, 3, 3, 4, 5}, shapeTF32(outs[0]))
	require.Equal(t, []float32{0, 2}, shapeTF32(outs[1]))
	require.Equal(t, []float32{1, 0, 1, 2, 3, 3, 4, 5}, shapeTF32(outs[2]))
	require.Equal(t, []float32{2, 0, 0, 5, 3, 2}, shapeTF32(outs[3]))

	// opset 18 num_outputs: uneven parts, the last one smaller
	outs = shapeTRun(t, 18, map[string]*ir.Tensor{"x": shapeTIota(5)}, func(b *ir.Builder) []*ir.Value {
		x := b.Input("x", shapeTF(ir.D(5)))
		return b.OpN("Split", 3, []*ir.Value{x}, ir.AInt("num_outputs", 3))
	})
	require.Equal(t, []float32{0, 1}, shapeTF32(outs[0]))
	require.Equal(t, []float32{2, 3}, shapeTF32(outs[1]))
	require.Equal(t, []float32{4}, shapeTF32(outs[2]))

	// opset 9 slice with attributes
	outs = shapeTRun(t, 9, map[string]*ir.Tensor{"x": shapeTIota(3, 4)}, func(b *ir.Builder) []*ir.Value {
		x := b.Input("x", shapeTF(ir.D(3), ir.D(4)))
		return []*ir.Value{b.Op("Slice", []*ir.Value{x}, ir.AInts("starts", 1, 1), ir.AInts("ends", 1000, 3))}
	})
	require.Equal(t, []float32{5, 6, 9, 10}, shapeTF32(outs[0]))

	require.ErrorContains(t, shapeTBuildErr(17, func(b *ir.Builder) []*ir.Value {
		x := b.Input("a", shapeTF(ir.D(2), ir.D(2)))
		y := b.Input("b", shapeTF(ir.D(3), ir.D(3)))
		return []*ir.Value{b.Op("Concat", []*ir.Value{x, y}, ir.AInt("axis", 1))}
	}), "dim 0")
	require.Error(t, shapeTBuildErr(17, func(b *ir.Builder) []*ir.Value {
		x := b.Input("a", shapeTF(ir.D(4)))
		return b.OpN("Split", 2, []*ir.Value{x, b.Const("s", shapeTI64(1, 2))})
	}))
	require.Error(t, shapeTBuildErr(17, func(b *ir.Builder) []*ir.Value {
		x := b.Input("a", shapeTF(ir.D(4)))
		return []*ir.Value{b.Op("Slice", []*ir.Value{x, b.Const("s", shapeTI64(0)), b.Const("e", shapeTI64(1)), b.Const("a", shapeTI64(1))})}
	}))
}

func TestShapeExpandTilePad(t *testing.T) {
	var ex, ti, pd *ir.Value
	x := shapeTIota(2, 1)
	outs := shapeTRun(t, 17, map[string]*ir.Tensor{"x": x}, func(b *ir.Builder) []*ir.Value {
		in := b.Input("x", shapeTF(ir.Sym("n"), ir.D(1)))
		ex = b.Op("Expand", []*ir.Value{in, b.Const("s", shapeTI64(2, 1, 3))})
		ti = b.Op("Tile", []*ir.Value{in, b.Const("r", shapeTI64(2, 3))})
		pd = b.Op("Pad", []*ir.Value{in, b.Const("p", shapeTI64(0, 1, 0, 2)), b.Const("v", ir.ScalarFloat32(9))})
		return []*ir.Value{ex, ti, pd}
	})
	require.Equal(t, "f32[2,n,3]", ex.Type.String())
	require.Equal(t, "f32[?,3]", ti.Type.String())
	require.Equal(t, "f32[n,4]", pd.Type.String())
	require.Equal(t, []float32{0, 0, 0, 1, 1, 1, 0, 0, 0, 1, 1, 1}, shapeTF32(outs[0]))
	require.Equal(t, []float32{0, 0, 0, 1, 1, 1, 0, 0, 0, 1, 1, 1}, shapeTF32(outs[1]))
	require.Equal(t, []float32{9, 0, 9, 9, 9, 1, 9, 9}, shapeTF32(outs[2]))

	// the pad modes on [1 2 3] padded by 2 before and 3 after
	want := map[string][]float32{
		"constant": {0, 0, 1, 2, 3, 0, 0, 0},
		"edge":     {1, 1, 1, 2, 3, 3, 3, 3},
		"reflect":  {3, 2, 1, 2, 3, 2, 1, 2},
		"wrap":     {2, 3, 1, 2, 3, 1, 2, 3},
	}
	for mode, w := range want {
		outs := shapeTRun(t, 19, map[string]*ir.Tensor{"x": ir.FromFloat32s([]int64{3}, []float32{1, 2, 3})}, func(b *ir.Builder) []*ir.Value {
			in := b.Input("x", shapeTF(ir.D(3)))
			return []*ir.Value{b.Op("Pad", []*ir.Value{in, b.Const("p", shapeTI64(2, 3))}, ir.AString("mode", mode))}
		})
		require.Equal(t, w, shapeTF32(outs[0]), mode)
	}
	// opset 18 axes input and opset 2 attributes
	outs = shapeTRun(t, 18, map[string]*ir.Tensor{"x": shapeTIota(2, 2)}, func(b *ir.Builder) []*ir.Value {
		in := b.Input("x", shapeTF(ir.D(2), ir.D(2)))
		return []*ir.Value{b.Op("Pad", []*ir.Value{in, b.Const("p", shapeTI64(1, 0)), nil, b.Const("a", shapeTI64(-1))}, ir.AString("mode", "edge"))}
	})
	require.Equal(t, []float32{0, 0, 1, 2, 2, 3}, shapeTF32(outs[0]))
	outs = shapeTRun(t, 2, map[string]*ir.Tensor{"x": shapeTIota(2)}, func(b *ir.Builder) []*ir.Value {
		in := b.Input("x", shapeTF(ir.D(2)))
		return []*ir.Value{b.Op("Pad", []*ir.Value{in}, ir.AInts("pads", 1, 1), ir.AFloat("value", -1))}
	})
	require.Equal(t, []float32{-1, 0, 1, -1}, shapeTF32(outs[0]))

	require.Error(t, shapeTBuildErr(17, func(b *ir.Builder) []*ir.Value {
		in := b.Input("x", shapeTF(ir.D(2), ir.D(3)))
		return []*ir.Value{b.Op("Expand", []*ir.Value{in, b.Const("s", shapeTI64(4, 3))})}
	}))
	require.Error(t, shapeTBuildErr(17, func(b *ir.Builder) []*ir.Value {
		in := b.Input("x", shapeTF(ir.D(2)))
		return []*ir.Value{b.Op("Pad", []*ir.Value{in, b.Const("p", shapeTI64(1, 1, 1))})}
	}))
	require.Error(t, shapeTBuildErr(17, func(b *ir.Builder) []*ir.Value {
		in := b.Input("x", shapeTF(ir.D(2)))
		return []*ir.Value{b.Op("Pad", []*ir.Value{in, b.Const("p", shapeTI64(1, 1))}, ir.AString("mode", "mirror"))}
	}))
}

func TestShapeDepthSpaceRoundTrip(t *testing.T) {
	x := shapeTIota(1, 8, 2, 3)
	for _, mode := range []string{"DCR", "CRD"} {
		var d2s *ir.Value
		outs := shapeTRun(t, 13, map[string]*ir.Tensor{"x": x}, func(b *ir.Builder) []*ir.Value {
			in := b.Input("x", shapeTF(ir.Sym("n"), ir.D(8), ir.D(2), ir.D(3)))
			d2s = b.Op("DepthToSpace", []*ir.Value{in}, ir.AInt("blocksize", 2), ir.AString("mode", mode))
			return []*ir.Value{d2s, b.Op("SpaceToDepth", []*ir.Value{d2s}, ir.AInt("blocksize", 2))}
		})
		require.Equal(t, "f32[n,2,4,6]", d2s.Type.String())
		// element (c, h, w) of the output comes from channel block (h%2, w%2) by the mode's order
		got := outs[0].Float32s()
		for c := 0; c < 2; c++ {
			for h := 0; h < 4; h++ {
				for w := 0; w < 6; w++ {
					ci := (h%2)*2*2 + (w%2)*2 + c
					if mode == "CRD" {
						ci = c*4 + (h%2)*2 + w%2
					}
					require.Equal(t, float32(ci*6+(h/2)*3+w/2), got[c*24+h*6+w], mode)
				}
			}
		}
		if mode == "DCR" { // SpaceToDepth inverts DCR DepthToSpace
			require.Equal(t, shapeTF32(x), shapeTF32(outs[1]))
		}
	}
	require.Error(t, shapeTBuildErr(13, func(b *ir.Builder) []*ir.Value {
		in := b.Input("x", shapeTF(ir.D(1), ir.D(6), ir.D(2), ir.D(2)))
		return []*ir.Value{b.Op("DepthToSpace", []*ir.Value{in}, ir.AInt("blocksize", 2))}
	}))
}

func TestShapeResize(t *testing.T) {
	x := ir.FromFloat32s([]int64{1, 1, 2, 2}, []float32{1, 2, 3, 4})
	run := func(opset int64, scales []float32, sizes []int64, attrs ...ir.Attr) (*ir.Tensor, string) {
		var y *ir.Value
		outs := shapeTRun(t, opset, map[string]*ir.Tensor{"x": x}, func(b *ir.Builder) []*ir.Value {
			in := b.Input("x", shapeTF(ir.Sym("n"), ir.D(1), ir.D(2), ir.D(2)))
			var sc, sz *ir.Value
			if scales != nil {
				sc = b.Const("sc", ir.FromFloat32s([]int64{int64(len(scales))}, scales))
			}
			if sizes != nil {
				sz = b.Const("sz", shapeTI64(sizes...))
			}
			ins := []*ir.Value{in, nil, sc}
			if sz != nil {
				ins = append(ins, sz)
			}
			y = b.Op("Resize", ins, attrs...)
			return []*ir.Value{y}
		})
		return outs[0], y.Type.String()
	}
	// nearest, asymmetric: each pixel repeated
	y, ty := run(13, []float32{1, 1, 2, 2}, nil, ir.AString("coordinate_transformation_mode", "asymmetric"))
	require.Equal(t, "f32[n,1,4,4]", ty)
	require.Equal(t, []float32{1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4}, shapeTF32(y))
	// linear, align_corners to 3x3: bilinear midpoints
	y, ty = run(13, nil, []int64{1, 1, 3, 3}, ir.AString("mode", "linear"), ir.AString("coordinate_transformation_mode", "align_corners"))
	require.Equal(t, "f32[1,1,3,3]", ty)
	require.Equal(t, []float32{1, 1.5, 2, 2, 2.5, 3, 3, 3.5, 4}, shapeTF32(y))
	// linear, half_pixel 2x: x_orig = (o+0.5)/2-0.5 → -0.25, 0.25, 0.75, 1.25 (clamped at the edges)
	y, _ = run(13, []float32{1, 1, 1, 2}, nil, ir.AString("mode", "linear"))
	require.Equal(t, []float32{1, 1.25, 1.75, 2, 3, 3.25, 3.75, 4}, shapeTF32(y))
	// cubic on a linear ramp reproduces the ramp inside (cubic kernels are exact for linear data)
	y, _ = run(13, nil, []int64{1, 1, 2, 3}, ir.AString("mode", "cubic"), ir.AString("coordinate_transformation_mode", "align_corners"))
	require.InDeltaSlice(t, []float64{1, 1.5, 2, 3, 3.5, 4}, []float64{
		float64(y.Float32s()[0]), float64(y.Float32s()[1]), float64(y.Float32s()[2]),
		float64(y.Float32s()[3]), float64(y.Float32s()[4]), float64(y.Float32s()[5])}, 1e-6)
	// axes (opset 18) with keep_aspect_ratio_policy
	_, ty = run(18, nil, []int64{4, 8}, ir.AInts("axes", 2, 3), ir.AString("keep_aspect_ratio_policy", "not_larger"))
	require.Equal(t, "f32[n,1,4,4]", ty)

	require.Error(t, shapeTBuildErr(13, func(b *ir.Builder) []*ir.Value {
		in := b.Input("x", shapeTF(ir.D(2)))
		return []*ir.Value{b.Op("Resize", []*ir.Value{in, nil, b.Const("s", ir.FromFloat32s([]int64{1}, []float32{2}))}, ir.AString("mode", "area"))}
	}))
	err := shapeTRunErr(t, 13, map[string]*ir.Tensor{"x": x}, func(b *ir.Builder) []*ir.Value {
		in := b.Input("x", shapeTF(ir.D(1), ir.D(1), ir.D(2), ir.D(2)))
		return []*ir.Value{b.Op("Resize", []*ir.Value{in, nil, b.Const("s", ir.FromFloat32s([]int64{4}, []float32{1, 1, 2, 2}))},
			ir.AString("coordinate_transformation_mode", "bogus"))}
	})
	require.ErrorIs(t, err, ErrUnsupported)

	// Upsample (opset 9): nearest with floor
	outs := shapeTRun(t, 9, map[string]*ir.Tensor{"x": x}, func(b *ir.Builder) []*ir.Value {
		in := b.Input("x", shapeTF(ir.D(1), ir.D(1), ir.D(2), ir.D(2)))
		return []*ir.Value{b.Op("Upsample", []*ir.Value{in, b.Const("s", ir.FromFloat32s([]int64{4}, []float32{1, 1, 1, 3}))})}
	})
	require.Equal(t, []float32{1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4}, shapeTF32(outs[0]))
}

func TestShapeShapeSizeCenterCropPad(t *testing.T) {
	var sh *ir.Value
	outs := shapeTRun(t, 18, map[string]*ir.Tensor{"x": shapeTIota(2, 3, 4)}, func(b *ir.Builder) []*ir.Value {
		in := b.Input("x", shapeTF(ir.Sym("a"), ir.D(3), ir.D(4)))
		sh = b.Op("Shape", []*ir.Value{in}, ir.AInt("start", -2))
		sz := b.Op("Size", []*ir.Value{in})
		cc := b.Op("CenterCropPad", []*ir.Value{in, b.Const("s", shapeTI64(1, 6))}, ir.AInts("axes", 1, 2))
		return []*ir.Value{sh, sz, cc}
	})
	require.Equal(t, "i64[2]", sh.Type.String())
	require.Equal(t, []int64{3, 4}, outs[0].Int64s())
	require.Equal(t, []int64{24}, outs[1].Int64s())
	require.Equal(t, []int64{2, 1, 6}, outs[2].Shape)
	// crop rows: start (3-1)/2 = 1; pad cols: (6-4)/2 = 1 before, 1 after
	require.Equal(t, []float32{0, 4, 5, 6, 7, 0, 0, 16, 17, 18, 19, 0}, shapeTF32(outs[2]))
}

// TestShapeSymbolicSliceExpand checks that shape values computed from Shape (sliced, gathered,
// combined with constants) reach Slice and Expand as symbolic dims.
func TestShapeSymbolicSliceExpand(t *testing.T) {
	var full, part, ex, tail *ir.Value
	x := shapeTIota(2, 3, 4)
	outs := shapeTRun(t, 17, map[string]*ir.Tensor{"x": x}, func(b *ir.Builder) []*ir.Value {
		in := b.Input("x", shapeTF(ir.Sym("batch"), ir.Sym("seq"), ir.D(4)))
		s := b.Op("Shape", []*ir.Value{in})
		seq := b.Op("Slice", []*ir.Value{s, b.Const("s1", shapeTI64(1)), b.Const("e1", shapeTI64(2))})
		zero, one := b.Const("z", shapeTI64(0)), b.Const("o", shapeTI64(1))
		full = b.Op("Slice", []*ir.Value{in, zero, seq, one})
		part = b.Op("Slice", []*ir.Value{in, one, seq, one})
		// Expand a [1, 1, 4] tensor to [batch, seq*1 + 0, 4]
		seq2 := b.Op("Add", []*ir.Value{b.Op("Mul", []*ir.Value{seq, one}), zero})
		target := b.Op("Concat", []*ir.Value{b.Op("Slice", []*ir.Value{s, zero, one}), seq2, b.Const("f", shapeTI64(4))}, ir.AInt("axis", 0))
		ex = b.Op("Expand", []*ir.Value{b.Const("row", shapeTIota(1, 1, 4)), target})
		tail = b.Op("Shape", []*ir.Value{in}, ir.AInt("start", 1), ir.AInt("end", -1))
		return []*ir.Value{full, part, ex, tail}
	})
	require.Equal(t, "f32[batch,seq,4]", full.Type.String())
	require.Equal(t, "f32[batch,?,4]", part.Type.String())
	require.Equal(t, "f32[batch,seq,4]", ex.Type.String())
	require.Equal(t, "i64[1]", tail.Type.String())
	require.Equal(t, shapeTF32(x), shapeTF32(outs[0]))
	require.Equal(t, []int64{2, 2, 4}, outs[1].Shape)
	require.Equal(t, []int64{2, 3, 4}, outs[2].Shape)
	require.Equal(t, []float32{0, 1, 2, 3}, shapeTF32(outs[2])[20:])
	require.Equal(t, []int64{3}, outs[3].Int64s())
}
