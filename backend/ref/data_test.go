package ref

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/llmc/llmc/ir"
)

func dataTI64s(t *ir.Tensor) []int64 { return append([]int64{}, t.AsInt64s()...) }

func TestDataGather(t *testing.T) {
	var g0, g1 *ir.Value
	x := shapeTIota(3, 4)
	outs := shapeTRun(t, 13, map[string]*ir.Tensor{"x": x}, func(b *ir.Builder) []*ir.Value {
		in := b.Input("x", shapeTF(ir.Sym("n"), ir.D(4)))
		g0 = b.Op("Gather", []*ir.Value{in, b.Const("i", ir.FromInt64s([]int64{2, 1}, []int64{2, -3}))})
		g1 = b.Op("Gather", []*ir.Value{in, b.Const("j", ir.ScalarInt64(-1))}, ir.AInt("axis", 1))
		return []*ir.Value{g0, g1}
	})
	require.Equal(t, "f32[2,1,4]", g0.Type.String())
	require.Equal(t, "f32[n]", g1.Type.String())
	require.Equal(t, []float32{8, 9, 10, 11, 0, 1, 2, 3}, shapeTF32(outs[0]))
	require.Equal(t, []float32{3, 7, 11}, shapeTF32(outs[1]))

	require.ErrorContains(t, shapeTBuildErr(13, func(b *ir.Builder) []*ir.Value {
		in := b.Input("x", shapeTF(ir.D(3)))
		return []*ir.Value{b.Op("Gather", []*ir.Value{in, b.Const("i", ir.ScalarInt64(0))}, ir.AInt("axis", 1))}
	}), "axis 1 out of range")
	require.ErrorContains(t, shapeTBuildErr(13, func(b *ir.Builder) []*ir.Value {
		in := b.Input("x", shapeTF(ir.D(3)))
		return []*ir.Value{b.Op("Gather", []*ir.Value{in, b.Const("i", ir.ScalarInt64(3))})}
	}), "out of range")
	// out-of-range indices only known at run time
	err := shapeTRunErr(t, 13, map[string]*ir.Tensor{"x": shapeTIota(3), "i": ir.FromInt64s([]int64{1}, []int64{-4})}, func(b *ir.Builder) []*ir.Value {
		in := b.Input("x", shapeTF(ir.D(3)))
		i := b.Input("i", ir.TensorType(ir.Int64, ir.Shape{ir.D(1)}))
		return []*ir.Value{b.Op("Gather", []*ir.Value{in, i})}
	})
	require.ErrorContains(t, err, "out of range")
}

func TestDataGatherElementsND(t *testing.T) {
	x := shapeTIota(2, 3)
	outs := shapeTRun(t, 13, map[string]*ir.Tensor{"x": x}, func(b *ir.Builder) []*ir.Value {
		in := b.Input("x", shapeTF(ir.D(2), ir.D(3)))
		ge := b.Op("GatherElements", []*ir.Value{in, b.Const("i", ir.FromInt64s([]int64{2, 2}, []int64{2, 0, -1, 1}))}, ir.AInt("axis", 1))
		gn := b.Op("GatherND", []*ir.Value{in, b.Const("j", ir.FromInt64s([]int64{2, 2}, []int64{1, 2, 0, 1}))})
		gs := b.Op("GatherND", []*ir.Value{in, b.Const("k", ir.FromInt64s([]int64{1, 1}, []int64{1}))})
		gb := b.Op("GatherND", []*ir.Value{in, b.Const("l", ir.FromInt64s([]int64{2, 1}, []int64{2, 0}))}, ir.AInt("batch_dims", 1))
		return []*ir.Value{ge, gn, gs, gb}
	})
	require.Equal(t, []float32{2, 0, 5, 4}, shapeTF32(outs[0]))
	require.Equal(t, []float32{5, 1}, shapeTF32(outs[1]))
	require.Equal(t, []int64{1, 3}, outs[2].Shape)
	require.Equal(t, []float32{3, 4, 5}, shapeTF32(outs[2]))
	require.Equal(t, []float32{2, 3}, shapeTF32(outs[3]))

	require.Error(t, shapeTBuildErr(13, func(b *ir.Builder) []*ir.Value {
		in := b.Input("x", shapeTF(ir.D(2), ir.D(3)))
		return []*ir.Value{b.Op("GatherND", []*ir.Value{in, b.Const("j", ir.FromInt64s([]int64{1, 3}, []int64{0, 0, 0}))})}
	}))
	require.Error(t, shapeTBuildErr(13, func(b *ir.Builder) []*ir.Value {
		in := b.Input("x", shapeTF(ir.D(2), ir.D(3)))
		return []*ir.Value{b.Op("GatherElements", []*ir.Value{in, b.Const("j", shapeTI64(0))})}
	}))
}

func TestDataScatter(t *testing.T) {
	x := ir.FromFloat32s([]int64{2, 3}, []float32{1, 2, 3, 4, 5, 6})
	upd := ir.FromFloat32s([]int64{2, 2}, []float32{10, 20, 30, 40})
	idx := ir.FromInt64s([]int64{2, 2}, []int64{0, 0, 2, -1})
	want := map[string][]float32{
		"none": {20, 2, 3, 4, 5, 40}, // duplicate index: the last update wins
		"add":  {31, 2, 3, 4, 5, 76},
		"mul":  {200, 2, 3, 4, 5, 7200},
		"max":  {20, 2, 3, 4, 5, 40},
		"min":  {1, 2, 3, 4, 5, 6},
	}
	for red, w := range want {
		outs := shapeTRun(t, 18, map[string]*ir.Tensor{"x": x}, func(b *ir.Builder) []*ir.Value {
			in := b.Input("x", shapeTF(ir.D(2), ir.D(3)))
			return []*ir.Value{b.Op("ScatterElements", []*ir.Value{in, b.Const("i", idx), b.Const("u", upd)}, ir.AInt("axis", 1), ir.AString("reduction", red))}
		})
		require.Equal(t, w, shapeTF32(outs[0]), red)
	}
	// ScatterND on integers (exact), whole rows and single elements
	xi := ir.FromInt64s([]int64{2, 2}, []int64{1, 2, 3, 4})
	outs := shapeTRun(t, 16, map[string]*ir.Tensor{"x": xi}, func(b *ir.Builder) []*ir.Value {
		in := b.Input("x", ir.TensorType(ir.Int64, ir.Shape{ir.D(2), ir.D(2)}))
		row := b.Op("ScatterND", []*ir.Value{in, b.Const("i", ir.FromInt64s([]int64{1, 1}, []int64{1})), b.Const("u", ir.FromInt64s([]int64{1, 2}, []int64{7, 8}))})
		el := b.Op("ScatterND", []*ir.Value{in, b.Const("j", ir.FromInt64s([]int64{2, 2}, []int64{0, 1, 0, 1})), b.Const("v", shapeTI64(1<<40, 5))}, ir.AString("reduction", "add"))
		return []*ir.Value{row, el}
	})
	require.Equal(t, []int64{1, 2, 7, 8}, dataTI64s(outs[0]))
	require.Equal(t, []int64{1, 2 + 1<<40 + 5, 3, 4}, dataTI64s(outs[1]))
	// Scatter (opset 9..10) is ScatterElements without reduction
	outs = shapeTRun(t, 10, map[string]*ir.Tensor{"x": x}, func(b *ir.Builder) []*ir.Value {
		in := b.Input("x", shapeTF(ir.D(2), ir.D(3)))
		return []*ir.Value{b.Op("Scatter", []*ir.Value{in, b.Const("i", ir.FromInt64s([]int64{1, 2}, []int64{1, 0})), b.Const("u", ir.FromFloat32s([]int64{1, 2}, []float32{-1, -2}))})}
	})
	require.Equal(t, []float32{1, -2, 3, -1, 5, 6}, shapeTF32(outs[0]))

	require.Error(t, shapeTBuildErr(18, func(b *ir.Builder) []*ir.Value {
		in := b.Input("x", shapeTF(ir.D(2), ir.D(3)))
		return []*ir.Value{b.Op("ScatterElements", []*ir.Value{in, b.Const("i", idx), b.Const("u", upd)}, ir.AString("reduction", "avg"))}
	}))
	err := shapeTRunErr(t, 18, map[string]*ir.Tensor{"x": x}, func(b *ir.Builder) []*ir.Value {
		in := b.Input("x", shapeTF(ir.D(2), ir.D(3)))
		return []*ir.Value{b.Op("ScatterElements", []*ir.Value{in, b.Const("i", ir.FromInt64s([]int64{2, 2}, []int64{0, 3, 0, 0})), b.Const("u", upd)}, ir.AInt("axis", 1))}
	})
	require.ErrorContains(t, err, "out of range")
}

func TestDataRangeConstantOfShapeConstant(t *testing.T) {
	var rg, cs *ir.Value
	outs := shapeTRun(t, 17, map[string]*ir.Tensor{"x": shapeTIota(2, 3)}, func(b *ir.Builder) []*ir.Value {
		in := b.Input("x", shapeTF(ir.Sym("n"), ir.D(3)))
		rg = b.Op("Range", []*ir.Value{b.Const("a", ir.ScalarInt64(10)), b.Const("l", ir.ScalarInt64(3)), b.Const("d", ir.ScalarInt64(-3))})
		rf := b.Op("Range", []*ir.Value{b.Const("fa", ir.ScalarFloat32(1)), b.Const("fl", ir.ScalarFloat32(2)), b.Const("fd", ir.ScalarFloat32(0.25))})
		cs = b.Op("ConstantOfShape", []*ir.Value{b.Op("Shape", []*ir.Value{in})}, ir.ATensor("value", ir.FromInt32s([]int64{1}, []int32{7})))
		return []*ir.Value{rg, rf, cs}
	})
	require.Equal(t, "i64[3]", rg.Type.String())
	require.Equal(t, []int64{10, 7, 4}, dataTI64s(outs[0]))
	require.Equal(t, []float32{1, 1.25, 1.5, 1.75}, shapeTF32(outs[1]))
	require.Equal(t, "i32[n,3]", cs.Type.String())
	require.Equal(t, []int32{7, 7, 7, 7, 7, 7}, outs[2].Int32s())

	sparse := &ir.SparseTensor{Values: ir.FromFloat32s([]int64{2}, []float32{5, 6}), Indices: shapeTI64(1, 3), Dims: []int64{2, 2}}
	outs = shapeTRun(t, 13, nil, func(b *ir.Builder) []*ir.Value {
		return []*ir.Value{
			b.Op("Constant", nil, ir.AInts("value_ints", 1, 2)),
			b.Op("Constant", nil, ir.AFloat("value_float", 2.5)),
			b.Op("Constant", nil, ir.Attr{Name: "value_strings", Kind: ir.AttrStrings, Strings: [][]byte{[]byte("a"), []byte("bc")}}),
			b.Op("Constant", nil, ir.Attr{Name: "sparse_value", Kind: ir.AttrSparseTensor, Sparse: sparse}),
		}
	})
	require.Equal(t, []int64{1, 2}, dataTI64s(outs[0]))
	require.Equal(t, []int64{}, outs[1].Shape)
	require.Equal(t, []float32{2.5}, shapeTF32(outs[1]))
	require.Equal(t, [][]byte{[]byte("a"), []byte("bc")}, outs[2].Strings)
	require.Equal(t, []float32{0, 5, 0, 6}, shapeTF32(outs[3]))

	require.Error(t, shapeTBuildErr(13, func(b *ir.Builder) []*ir.Value {
		return []*ir.Value{b.Op("Constant", nil, ir.AInts("value_ints", 1), ir.AInt("value_int", 1))}
	}))
	require.Error(t, shapeTBuildErr(13, func(b *ir.Builder) []*ir.Value {
		return []*ir.Value{b.Op("Range", []*ir.Value{b.Const("a", ir.ScalarInt64(0)), b.Const("l", ir.ScalarInt64(3)), b.Const("d", ir.ScalarInt64(0))})}
	}))
}

func TestDataSelection(t *testing.T) {
	x := ir.FromFloat32s([]int64{2, 3}, []float32{0, 2, 0, 3, 0, 4})
	var nz, cp *ir.Value
	outs := shapeTRun(t, 13, map[string]*ir.Tensor{"x": x}, func(b *ir.Builder) []*ir.Value {
		in := b.Input("x", shapeTF(ir.Sym("n"), ir.D(3)))
		nz = b.Op("NonZero", []*ir.Value{in})
		cond := b.Const("c", ir.FromBools([]int64{2}, []bool{false, true}))
		cp = b.Op("Compress", []*ir.Value{in, cond}, ir.AInt("axis", 1))
		flat := b.Op("Compress", []*ir.Value{in, b.Const("c2", ir.FromBools([]int64{4}, []bool{true, false, false, true}))})
		return []*ir.Value{nz, cp, flat}
	})
	require.Equal(t, "i64[2,?]", nz.Type.String())
	require.Equal(t, []int64{0, 1, 1, 1, 0, 2}, dataTI64s(outs[0]))
	require.Equal(t, "f32[n,?]", cp.Type.String())
	require.Equal(t, []float32{2, 0}, shapeTF32(outs[1]))
	require.Equal(t, []float32{0, 3}, shapeTF32(outs[2]))

	// OneHot: negative index wraps by depth; axis 0
	outs = shapeTRun(t, 11, nil, func(b *ir.Builder) []*ir.Value {
		idx := b.Const("i", shapeTI64(0, -1, 5))
		return []*ir.Value{b.Op("OneHot", []*ir.Value{idx, b.Const("d", ir.ScalarInt64(3)), b.Const("v", ir.FromFloat32s([]int64{2}, []float32{-1, 1}))}, ir.AInt("axis", 0))}
	})
	require.Equal(t, []int64{3, 3}, outs[0].Shape)
	require.Equal(t, []float32{1, -1, -1, -1, -1, -1, -1, 1, -1}, shapeTF32(outs[0]))

	// Trilu and EyeLike
	m := shapeTIota(3, 4)
	outs = shapeTRun(t, 14, map[string]*ir.Tensor{"m": m}, func(b *ir.Builder) []*ir.Value {
		in := b.Input("m", shapeTF(ir.D(3), ir.D(4)))
		up := b.Op("Trilu", []*ir.Value{in, b.Const("k", ir.ScalarInt64(1))})
		lo := b.Op("Trilu", []*ir.Value{in}, ir.AInt("upper", 0))
		ey := b.Op("EyeLike", []*ir.Value{in}, ir.AInt("k", -1), ir.AInt("dtype", int64(ir.Int32)))
		return []*ir.Value{up, lo, ey}
	})
	for i := 0; i < 3; i++ {
		for j := 0; j < 4; j++ {
			v := float32(i*4 + j)
			up, lo, ey := float32(0), float32(0), int32(0)
			if j-i >= 1 {
				up = v
			}
			if j <= i {
				lo = v
			}
			if j == i-1 {
				ey = 1
			}
			require.Equal(t, up, outs[0].Float32s()[i*4+j])
			require.Equal(t, lo, outs[1].Float32s()[i*4+j])
			require.Equal(t, ey, outs[2].Int32s()[i*4+j])
		}
	}
}

func TestDataUniqueTopKReverse(t *testing.T) {
	x := ir.FromFloat32s([]int64{6}, []float32{2, 1, 1, 3, 4, 3})
	for _, sorted := range []int64{0, 1} {
		outs := shapeTRun(t, 11, map[string]*ir.Tensor{"x": x}, func(b *ir.Builder) []*ir.Value {
			in := b.Input("x", shapeTF(ir.D(6)))
			return b.OpN("Unique", 4, []*ir.Value{in}, ir.AInt("sorted", sorted))
		})
		if sorted == 1 {
			require.Equal(t, []float32{1, 2, 3, 4}, shapeTF32(outs[0]))
			require.Equal(t, []int64{1, 0, 3, 4}, dataTI64s(outs[1]))
			require.Equal(t, []int64{1, 0, 0, 2, 3, 2}, dataTI64s(outs[2]))
			require.Equal(t, []int64{2, 1, 2, 1}, dataTI64s(outs[3]))
		} else {
			require.Equal(t, []float32{2, 1, 3, 4}, shapeTF32(outs[0]))
			require.Equal(t, []int64{0, 1, 3, 4}, dataTI64s(outs[1]))
			require.Equal(t, []int64{0, 1, 1, 2, 3, 2}, dataTI64s(outs[2]))
			require.Equal(t, []int64{1, 2, 2, 1}, dataTI64s(outs[3]))
		}
	}
	// TopK: ties keep the lower index first
	var v *ir.Value
	outs := shapeTRun(t, 11, map[string]*ir.Tensor{"x": x}, func(b *ir.Builder) []*ir.Value {
		in := b.Input("x", shapeTF(ir.D(6)))
		r := b.OpN("TopK", 2, []*ir.Value{in, b.Const("k", shapeTI64(3))})
		s := b.OpN("TopK", 2, []*ir.Value{in, b.Const("k2", shapeTI64(2))}, ir.AInt("largest", 0))
		v = r[0]
		return append(r, s...)
	})
	require.Equal(t, "f32[3]", v.Type.String())
	require.Equal(t, []float32{4, 3, 3}, shapeTF32(outs[0]))
	require.Equal(t, []int64{4, 3, 5}, dataTI64s(outs[1]))
	require.Equal(t, []float32{1, 1}, shapeTF32(outs[2]))
	require.Equal(t, []int64{1, 2}, dataTI64s(outs[3]))
	require.Error(t, shapeTBuildErr(11, func(b *ir.Builder) []*ir.Value {
		in := b.Input("x", shapeTF(ir.D(6)))
		return b.OpN("TopK", 2, []*ir.Value{in, b.Const("k", shapeTI64(7))})
	}))

	// ReverseSequence: time axis 0, batch axis 1
	s := shapeTIota(3, 2)
	outs = shapeTRun(t, 10, map[string]*ir.Tensor{"s": s}, func(b *ir.Builder) []*ir.Value {
		in := b.Input("s", shapeTF(ir.D(3), ir.D(2)))
		return []*ir.Value{b.Op("ReverseSequence", []*ir.Value{in, b.Const("l", shapeTI64(3, 2))})}
	})
	require.Equal(t, []float32{4, 3, 2, 1, 0, 5}, shapeTF32(outs[0]))
}

// TestDataConstantNodeInputs checks that inference reads shape-carrying inputs produced by
// Constant nodes (not only initializers).
func TestDataConstantNodeInputs(t *testing.T) {
	var us, tk, oh, rg *ir.Value
	outs := shapeTRun(t, 13, map[string]*ir.Tensor{"x": shapeTIota(4)}, func(b *ir.Builder) []*ir.Value {
		in := b.Input("x", shapeTF(ir.Sym("n")))
		us = b.Op("Unsqueeze", []*ir.Value{in, b.Op("Constant", nil, ir.ATensor("value", shapeTI64(0, 2)))})
		k := b.Op("Constant", nil, ir.AInts("value_ints", 2))
		tk = b.OpN("TopK", 2, []*ir.Value{in, k})[0]
		depth := b.Op("Constant", nil, ir.AInt("value_int", 5))
		oh = b.Op("OneHot", []*ir.Value{b.Op("Constant", nil, ir.AInts("value_ints", 1, 7)), depth, b.Op("Constant", nil, ir.AFloats("value_floats", 0, 1))})
		rg = b.Op("Range", []*ir.Value{b.Op("Constant", nil, ir.AInt("value_int", 0)), depth, b.Op("Constant", nil, ir.AInt("value_int", 2))})
		return []*ir.Value{us, tk, oh, rg}
	})
	require.Equal(t, "f32[1,n,1]", us.Type.String())
	require.Equal(t, "f32[2]", tk.Type.String())
	require.Equal(t, "f32[2,5]", oh.Type.String())
	require.Equal(t, "i64[3]", rg.Type.String())
	require.Equal(t, []float32{3, 2}, shapeTF32(outs[1]))
	require.Equal(t, []float32{0, 1, 0, 0, 0, 0, 0, 0, 0, 0}, shapeTF32(outs[2]))
	require.Equal(t, []int64{0, 2, 4}, dataTI64s(outs[3]))
}
