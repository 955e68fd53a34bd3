package ref

import (
	"fmt"
	"math"
	"math/rand"
	"runtime/debug"
	"strings"
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
	require.Equal(t, "f32[batch*seq,6]", flat.Type.String()) // a product of two symbols
	require.Equal(t, "f32[batch*seq,6]", back.Type.String())
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
		{ir.Shape{ir.Sym("b"), ir.D(12), ir.D(64)}, []int64{-1, 64}, 0, "f32[12*b,64]"},
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
	require.Equal(t, "f32[3*n,4]", fl.Type.String())
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
	y, ty = run(18, nil, []int64{4, 8}, ir.AInts("axes", 2, 3), ir.AString("keep_aspect_ratio_policy", "not_larger"))
	require.Equal(t, "f32[n,1,4,4]", ty)
	// scale min(4/2, 8/2) = 2 on both axes; half_pixel nearest maps output 0..3 to input 0,0,1,1
	require.Equal(t, []float32{1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4}, shapeTF32(y))
	y, ty = run(18, nil, []int64{4, 8}, ir.AInts("axes", 2, 3), ir.AString("keep_aspect_ratio_policy", "not_smaller"))
	require.Equal(t, "f32[n,1,8,8]", ty)
	require.Equal(t, []int64{1, 1, 8, 8}, y.Shape)

	require.Error(t, shapeTBuildErr(13, func(b *ir.Builder) []*ir.Value {
		in := b.Input("x", shapeTF(ir.D(2)))
		return []*ir.Value{b.Op("Resize", []*ir.Value{in, nil, b.Const("s", ir.FromFloat32s([]int64{1}, []float32{2}))}, ir.AString("mode", "area"))}
	}))
	require.ErrorContains(t, shapeTBuildErr(13, func(b *ir.Builder) []*ir.Value {
		in := b.Input("x", shapeTF(ir.D(2)))
		return []*ir.Value{b.Op("Resize", []*ir.Value{in, nil, b.Const("s", ir.FromFloat32s([]int64{1}, []float32{2}))},
			ir.AString("coordinate_transformation_mode", "bogus"))}
	}), "bogus")
	// strings cannot be interpolated
	str := &ir.Tensor{DType: ir.String, Shape: []int64{2}, Strings: [][]byte{[]byte("a"), []byte("b")}}
	err := shapeTRunErr(t, 13, map[string]*ir.Tensor{"x": str}, func(b *ir.Builder) []*ir.Value {
		in := b.Input("x", ir.TensorType(ir.String, ir.Shape{ir.D(2)}))
		return []*ir.Value{b.Op("Resize", []*ir.Value{in, nil, b.Const("s", ir.FromFloat32s([]int64{1}, []float32{2}))})}
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

// TestShapeResizeAntialias checks antialiased linear downsampling by 2: a triangle kernel of
// half-width 2 input pixels, weights 1/8, 3/8, 3/8, 1/8, with edge clamping.
func TestShapeResizeAntialias(t *testing.T) {
	x := ir.FromFloat32s([]int64{8}, []float32{1, 2, 3, 4, 5, 6, 7, 8})
	outs := shapeTRun(t, 18, map[string]*ir.Tensor{"x": x}, func(b *ir.Builder) []*ir.Value {
		in := b.Input("x", shapeTF(ir.D(8)))
		return []*ir.Value{b.Op("Resize", []*ir.Value{in, nil, b.Const("s", ir.FromFloat32s([]int64{1}, []float32{0.5}))},
			ir.AString("mode", "linear"), ir.AInt("antialias", 1))}
	})
	want := []float32{
		(1*1 + 3*1 + 3*2 + 1*3) / 8.0,
		(1*2 + 3*3 + 3*4 + 1*5) / 8.0,
		(1*4 + 3*5 + 3*6 + 1*7) / 8.0,
		(1*6 + 3*7 + 3*8 + 1*8) / 8.0,
	}
	require.InDeltaSlice(t, []float64{float64(want[0]), float64(want[1]), float64(want[2]), float64(want[3])},
		[]float64{float64(outs[0].Float32s()[0]), float64(outs[0].Float32s()[1]), float64(outs[0].Float32s()[2]), float64(outs[0].Float32s()[3])}, 1e-6)
}

// TestShapePackedInt4 moves packed 4-bit elements (two per byte, low nibble first).
func TestShapePackedInt4(t *testing.T) {
	x := &ir.Tensor{DType: ir.Int4, Shape: []int64{2, 3}, Raw: []byte{0x21, 0x43, 0x65}} // 1..6
	outs := shapeTRun(t, 21, map[string]*ir.Tensor{"x": x}, func(b *ir.Builder) []*ir.Value {
		in := b.Input("x", ir.TensorType(ir.Int4, ir.Shape{ir.D(2), ir.D(3)}))
		tr := b.Op("Transpose", []*ir.Value{in})
		rs := b.Op("Reshape", []*ir.Value{tr, b.Const("s", shapeTI64(-1))})
		return []*ir.Value{rs}
	})
	got := make([]float64, 6)
	for i := range got {
		got[i] = outs[0].Float64At(i)
	}
	require.Equal(t, []float64{1, 4, 2, 5, 3, 6}, got)
}

// TestShapeSymbolicWhereExpand follows the Where(Equal(shape, -1), ConstantOfShape, shape) pattern
// PyTorch exports for expand() into a symbolic Expand shape.
func TestShapeSymbolicWhereExpand(t *testing.T) {
	var ex *ir.Value
	outs := shapeTRun(t, 13, map[string]*ir.Tensor{"x": shapeTIota(2, 1)}, func(b *ir.Builder) []*ir.Value {
		in := b.Input("x", shapeTF(ir.Sym("batch"), ir.D(1)))
		s := b.Op("Shape", []*ir.Value{in})
		target := b.Op("Concat", []*ir.Value{b.Op("Slice", []*ir.Value{s, b.Const("z", shapeTI64(0)), b.Const("o", shapeTI64(1))}), b.Const("three", shapeTI64(3))}, ir.AInt("axis", 0))
		ones := b.Op("ConstantOfShape", []*ir.Value{b.Const("two", shapeTI64(2))}, ir.ATensor("value", ir.FromInt64s([]int64{1}, []int64{1})))
		isNeg := b.Op("Equal", []*ir.Value{target, b.Const("m1", ir.ScalarInt64(-1))})
		shape := b.Op("Where", []*ir.Value{isNeg, ones, target})
		ex = b.Op("Expand", []*ir.Value{in, shape})
		return []*ir.Value{ex}
	})
	require.Equal(t, "f32[batch,3]", ex.Type.String())
	require.Equal(t, []float32{0, 0, 0, 1, 1, 1}, shapeTF32(outs[0]))
}

// shapeTFuzzCtx is a minimal evaluation context for calling hooks directly (no recovery).
type shapeTFuzzCtx struct{}

func (shapeTFuzzCtx) Opset() int64 { return shapeTFuzzOpset }
func (shapeTFuzzCtx) NewTensor(dt ir.DType, shape []int64) (*ir.Tensor, error) {
	return ir.NewTensor(dt, shape, 1<<26)
}
func (shapeTFuzzCtx) RunGraph(g *ir.Graph, inputs []ir.Datum) ([]ir.Datum, error) { return nil, nil }
func (shapeTFuzzCtx) Rand() float64                                               { return 0.5 }

var shapeTFuzzOpset int64

// TestShapeFuzzNoPanic calls the inference and evaluation hooks of this family on random,
// mostly invalid, inputs and attributes: they must return errors, never panic.
func TestShapeFuzzNoPanic(t *testing.T) {
	ops := strings.Fields("Shape Size Reshape Flatten Transpose Squeeze Unsqueeze Concat Split Slice Gather GatherElements GatherND Scatter ScatterElements ScatterND Expand Tile Pad Range ConstantOfShape Constant NonZero Compress OneHot Trilu EyeLike Unique TopK ReverseSequence DepthToSpace SpaceToDepth Resize Upsample CenterCropPad")
	rng := rand.New(rand.NewSource(int64(len(ops)) * 7))
	randInts := func(n int) []int64 {
		v := make([]int64, n)
		for i := range v {
			v[i] = int64(rng.Intn(9) - 4)
			if rng.Intn(10) == 0 {
				v[i] = 1 << 40
			}
		}
		return v
	}
	randTensor := func() *ir.Tensor {
		r := rng.Intn(4)
		shape := make([]int64, r)
		for i := range shape {
			shape[i] = int64(rng.Intn(4))
		}
		dts := []ir.DType{ir.Float32, ir.Int64, ir.Int32, ir.Bool, ir.Float16, ir.Uint8, ir.String, ir.Int4}
		dt := dts[rng.Intn(len(dts))]
		t := ir.MustTensor(dt, shape...)
		for i := range t.Raw {
			t.Raw[i] = byte(rng.Intn(3))
		}
		for i := range t.Strings {
			t.Strings[i] = []byte{byte('a' + rng.Intn(2))}
		}
		return t
	}
	panics := 0
	for _, op := range ops {
		s := ir.MustOp("", op)
		for iter := 0; iter < 800; iter++ {
			shapeTFuzzOpset = int64(rng.Intn(21) + 1)
			nin := s.MinIn + rng.Intn(max(s.MaxIn-s.MinIn+1, 1))
			if s.MaxIn < 0 {
				nin = s.MinIn + rng.Intn(3)
			}
			nout := s.MinOut
			if s.MaxOut != s.MinOut {
				nout = s.MinOut + rng.Intn(3)
			}
			n := &ir.Node{Op: op}
			ins := make([]ir.Datum, nin)
			tins := make([]*ir.Tensor, nin)
			c := &ir.InferContext{Node: n, Opset: shapeTFuzzOpset, In: make([]ir.Type, nin), Consts: make([]*ir.Tensor, nin)}
			for i := 0; i < nin; i++ {
				tt := randTensor()
				if rng.Intn(3) == 0 {
					v := randInts(rng.Intn(4))
					tt = ir.FromInt64s([]int64{int64(len(v))}, v)
				}
				v := &ir.Value{Name: fmt.Sprint("in", i), Type: tt.Type()}
				if rng.Intn(3) == 0 {
					v.Const = tt
					c.Consts[i] = tt
				}
				switch rng.Intn(5) {
				case 0:
					v.Type = ir.Type{}
				case 1:
					v.Type = ir.UnrankedTensor(tt.DType)
				case 2:
					sh := v.Type.Shape.Clone()
					for k := range sh {
						if rng.Intn(2) == 0 {
							sh[k] = ir.Sym("s")
						}
					}
					v.Type.Shape = sh
				}
				if rng.Intn(8) == 0 && i >= s.MinIn {
					v = nil
					tt = nil
				}
				n.Inputs = append(n.Inputs, v)
				if v != nil {
					c.In[i] = v.Type
					ins[i] = tt
					tins[i] = tt
				}
			}
			for i := 0; i < nout; i++ {
				n.Outputs = append(n.Outputs, &ir.Value{Name: fmt.Sprint("o", i), Def: n})
			}
			for _, a := range s.Attrs {
				if rng.Intn(2) == 0 {
					continue
				}
				switch a.Kind {
				case ir.AttrInt:
					n.SetAttr(ir.AInt(a.Name, randInts(1)[0]))
				case ir.AttrInts:
					n.SetAttr(ir.AInts(a.Name, randInts(rng.Intn(4))...))
				case ir.AttrFloat:
					n.SetAttr(ir.AFloat(a.Name, float32(rng.Intn(5))-1))
				case ir.AttrFloats:
					n.SetAttr(ir.AFloats(a.Name, float32(rng.Intn(5)), float32(rng.Intn(3))))
				case ir.AttrString:
					vals := []string{"constant", "reflect", "edge", "wrap", "linear", "cubic", "nearest", "CRD", "add", "max", "align_corners", "tf_crop_and_resize", "not_larger", "x"}
					n.SetAttr(ir.AString(a.Name, vals[rng.Intn(len(vals))]))
				case ir.AttrTensor:
					n.SetAttr(ir.ATensor(a.Name, randTensor()))
				case ir.AttrStrings:
					n.SetAttr(ir.Attr{Name: a.Name, Kind: ir.AttrStrings, Strings: [][]byte{[]byte("q")}})
				case ir.AttrSparseTensor:
					n.SetAttr(ir.Attr{Name: a.Name, Kind: ir.AttrSparseTensor, Sparse: &ir.SparseTensor{Values: randTensor(), Indices: randTensor(), Dims: randInts(2)}})
				}
			}
			func() {
				defer func() {
					if r := recover(); r != nil {
						panics++
						if panics < 15 {
							t.Errorf("infer %s opset %d attrs %v: panic %v", op, shapeTFuzzOpset, n.Attrs, r)
						}
					}
				}()
				s.Infer(c)
			}()
			func() {
				defer func() {
					if r := recover(); r != nil {
						panics++
						if panics < 15 {
							t.Errorf("eval %s opset %d: panic %v\n%s", op, shapeTFuzzOpset, r, debug.Stack())
						}
					}
				}()
				s.Eval(shapeTFuzzCtx{}, n, ins)
			}()
		}
	}
}

// TestShapeFuzzValueTrace feeds shape-consuming inference hooks random (malformed) producer
// chains, which shapeValue follows: no panic allowed.
func TestShapeFuzzValueTrace(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	kinds := strings.Fields("Shape Gather Concat Slice Add Sub Mul Div Where Equal ConstantOfShape Cast Squeeze Unsqueeze Constant Size Identity Max")
	var mk func(depth int) *ir.Value
	mk = func(depth int) *ir.Value {
		if depth > 4 || rng.Intn(4) == 0 {
			switch rng.Intn(3) {
			case 0:
				v := make([]int64, rng.Intn(4))
				for i := range v {
					v[i] = int64(rng.Intn(7) - 3)
				}
				return &ir.Value{Name: "c", Const: ir.FromInt64s([]int64{int64(len(v))}, v), Type: ir.TensorType(ir.Int64, ir.Shape{ir.D(int64(len(v)))})}
			case 1:
				return &ir.Value{Name: "x", Type: ir.TensorType(ir.Float32, ir.Shape{ir.Sym("a"), ir.D(int64(rng.Intn(3))), ir.UnknownDim()})}
			}
			return nil
		}
		n := &ir.Node{Op: kinds[rng.Intn(len(kinds))]}
		for i := 0; i < rng.Intn(4); i++ {
			n.Inputs = append(n.Inputs, mk(depth+1))
		}
		switch rng.Intn(4) {
		case 0:
			n.SetAttr(ir.AInt("axis", int64(rng.Intn(3)-1)))
		case 1:
			n.SetAttr(ir.AInt("start", int64(rng.Intn(5)-2)))
			n.SetAttr(ir.AInt("end", int64(rng.Intn(5)-2)))
		case 2:
			n.SetAttr(ir.ATensor("value", ir.FromInt64s([]int64{1}, []int64{int64(rng.Intn(3))})))
		case 3:
			n.SetAttr(ir.AInts("value_ints", 1, 2))
			n.SetAttr(ir.AInts("starts", 0))
			n.SetAttr(ir.AInts("ends", 1))
		}
		v := &ir.Value{Name: "o", Def: n, Type: ir.TensorType(ir.Int64, ir.Shape{ir.D(int64(rng.Intn(3)))})}
		n.Outputs = []*ir.Value{v}
		return v
	}
	for _, op := range strings.Fields("Reshape Expand ConstantOfShape CenterCropPad Slice Tile Split Pad Resize Unsqueeze Squeeze") {
		s := ir.MustOp("", op)
		for iter := 0; iter < 800; iter++ {
			x := &ir.Value{Name: "x", Type: ir.TensorType(ir.Float32, ir.Shape{ir.Sym("a"), ir.D(2), ir.Sym("b")})}
			n := &ir.Node{Op: op, Inputs: []*ir.Value{x}}
			if op == "ConstantOfShape" {
				n.Inputs = nil
			}
			for i := 0; i < 4; i++ {
				n.Inputs = append(n.Inputs, mk(0))
			}
			n.Outputs = []*ir.Value{{Name: "y", Def: n}, {Name: "z", Def: n}}
			c := &ir.InferContext{Node: n, Opset: 18, In: make([]ir.Type, len(n.Inputs)), Consts: make([]*ir.Tensor, len(n.Inputs))}
			for i, v := range n.Inputs {
				if v != nil {
					c.In[i] = v.Type
					c.Consts[i] = v.Const
				}
			}
			func() {
				defer func() {
					if r := recover(); r != nil {
						t.Fatalf("infer %s: panic %v\n%s", op, r, debug.Stack())
					}
				}()
				s.Infer(c)
			}()
		}
	}
}
