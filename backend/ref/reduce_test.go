package ref

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/llmc/llmc/ir"
)

// reduceTInput returns a [2,3,4] float64 tensor holding i*i - 7*i + 3 at flat index i.
func reduceTInput() *ir.Tensor {
	t := ir.MustTensor(ir.Float64, 2, 3, 4)
	v := t.Float64s()
	for i := range v {
		v[i] = float64(i*i-7*i+3) / 10
	}
	return t
}

// reduceTNaive reduces the [2,3,4] input over axis 1 with a per-op fold written out directly.
func reduceTNaive(x []float64, op string) []float64 {
	out := make([]float64, 8)
	for i := 0; i < 2; i++ {
		for k := 0; k < 4; k++ {
			var vals []float64
			for j := 0; j < 3; j++ {
				vals = append(vals, x[i*12+j*4+k])
			}
			var r float64
			switch op {
			case "ReduceSum":
				r = vals[0] + vals[1] + vals[2]
			case "ReduceMean":
				r = (vals[0] + vals[1] + vals[2]) / 3
			case "ReduceMax":
				r = math.Max(vals[0], math.Max(vals[1], vals[2]))
			case "ReduceMin":
				r = math.Min(vals[0], math.Min(vals[1], vals[2]))
			case "ReduceProd":
				r = vals[0] * vals[1] * vals[2]
			case "ReduceL1":
				r = math.Abs(vals[0]) + math.Abs(vals[1]) + math.Abs(vals[2])
			case "ReduceL2":
				r = math.Sqrt(vals[0]*vals[0] + vals[1]*vals[1] + vals[2]*vals[2])
			case "ReduceLogSum":
				r = math.Log(vals[0] + vals[1] + vals[2])
			case "ReduceLogSumExp":
				r = math.Log(math.Exp(vals[0]) + math.Exp(vals[1]) + math.Exp(vals[2]))
			case "ReduceSumSquare":
				r = vals[0]*vals[0] + vals[1]*vals[1] + vals[2]*vals[2]
			}
			out[i*4+k] = r
		}
	}
	return out
}

func TestReduceOpsAgainstNaive(t *testing.T) {
	x := reduceTInput()
	for _, op := range []string{"ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL1", "ReduceL2", "ReduceLogSum", "ReduceLogSumExp", "ReduceSumSquare"} {
		want := reduceTNaive(x.Float64s(), op)
		// axes as an attribute (opset 11) and as a constant input (opset 18), keepdims both ways
		out := elemTRun(t, 11, op, elemTIns(x), ir.AInts("axes", 1))
		require.Equal(t, []int64{2, 1, 4}, out.Shape, op)
		elemTNear(t, want, out.Float64s(), 1e-13)
		out = elemTRun(t, 18, op, []elemTArg{elemTIn(x), elemTConst(elemI64([]int64{1}, -2))}, ir.AInt("keepdims", 0))
		require.Equal(t, []int64{2, 4}, out.Shape, op)
		elemTNear(t, want, out.Float64s(), 1e-13)
	}
	// ReduceSum takes axes as an input from opset 13 (and as a runtime, non-constant input)
	out := elemTRun(t, 13, "ReduceSum", elemTIns(x, elemI64([]int64{2}, 0, 2)), ir.AInt("keepdims", 0))
	require.Equal(t, []int64{3}, out.Shape)
	want := make([]float64, 3)
	for i, v := range x.Float64s() {
		want[(i/4)%3] += v
	}
	elemTNear(t, want, out.Float64s(), 1e-13)
}

func TestReduceAxesEdgeCases(t *testing.T) {
	x := elemF32([]int64{2, 2}, 1, 2, 3, 4)
	// no axes: reduce everything
	out := elemTRun(t, 13, "ReduceSum", elemTIns(x))
	require.Equal(t, []int64{1, 1}, out.Shape)
	require.Equal(t, []float32{10}, out.Float32s())
	out = elemTRun(t, 11, "ReduceMax", elemTIns(x), ir.AInt("keepdims", 0))
	require.Equal(t, []int64{}, out.Shape)
	require.Equal(t, []float32{4}, out.Float32s())
	// empty axes with noop_with_empty_axes=1: identity
	out = elemTRun(t, 13, "ReduceSum", []elemTArg{elemTIn(x), elemTConst(elemI64([]int64{0}))}, ir.AInt("noop_with_empty_axes", 1))
	require.Equal(t, []int64{2, 2}, out.Shape)
	require.Equal(t, []float32{1, 2, 3, 4}, out.Float32s())
	out = elemTRun(t, 18, "ReduceMean", []elemTArg{elemTIn(x), elemTConst(elemI64([]int64{0}))})
	require.Equal(t, []float32{2.5}, out.Float32s())
	// reductions over an empty axis give the identity
	e := ir.MustTensor(ir.Float32, 2, 0)
	require.Equal(t, []float32{0, 0}, elemTRun(t, 13, "ReduceSum", []elemTArg{elemTIn(e), elemTConst(elemI64([]int64{1}, 1))}).Float32s())
	require.Equal(t, []float32{1, 1}, elemTRun(t, 18, "ReduceProd", []elemTArg{elemTIn(e), elemTConst(elemI64([]int64{1}, 1))}).Float32s())
	mx := elemTRun(t, 18, "ReduceMax", []elemTArg{elemTIn(e), elemTConst(elemI64([]int64{1}, 1))}).Float32s()
	require.True(t, math.IsInf(float64(mx[0]), -1))
	// NaN propagates through max/min
	n := elemF64([]int64{3}, 1, math.NaN(), 3)
	require.True(t, math.IsNaN(elemTRun(t, 13, "ReduceMax", elemTIns(n)).Float64s()[0]))
	require.True(t, math.IsNaN(elemTRun(t, 13, "ReduceMin", elemTIns(n)).Float64s()[0]))
	// log-sum-exp of large values does not overflow
	big := elemF64([]int64{2}, 1000, 1000)
	elemTNear(t, []float64{1000 + math.Ln2}, elemTRun(t, 13, "ReduceLogSumExp", elemTIns(big)).Float64s(), 1e-15)
	// errors: out of range and repeated axes
	_, err := elemTRunErr(13, "ReduceSum", []elemTArg{elemTIn(x), elemTConst(elemI64([]int64{1}, 2))})
	require.ErrorContains(t, err, "out of range")
	_, err = elemTRunErr(11, "ReduceMean", elemTIns(x), ir.AInts("axes", 0, -2))
	require.ErrorContains(t, err, "twice")
	_, err = elemTRunErr(13, "ReduceSum", elemTIns(x, elemI64([]int64{1}, 5))) // runtime axes
	require.ErrorContains(t, err, "out of range")
}

func TestReduceIntegers(t *testing.T) {
	x := elemI64([]int64{3}, 1<<60, 1<<60, 1)
	require.Equal(t, []int64{1<<61 + 1}, elemTRun(t, 13, "ReduceSum", elemTIns(x)).Int64s()) // exact beyond 2^53
	require.Equal(t, []int64{1 << 60}, elemTRun(t, 13, "ReduceMax", elemTIns(x)).Int64s())
	require.Equal(t, []int64{1}, elemTRun(t, 13, "ReduceMin", elemTIns(x)).Int64s())
	y := elemI64([]int64{4}, -3, 2, 5, -1)
	require.Equal(t, []int64{30}, elemTRun(t, 13, "ReduceProd", elemTIns(y)).Int64s())
	require.Equal(t, []int64{11}, elemTRun(t, 13, "ReduceL1", elemTIns(y)).Int64s())
	require.Equal(t, []int64{39}, elemTRun(t, 13, "ReduceSumSquare", elemTIns(y)).Int64s())
	require.Equal(t, []int64{0}, elemTRun(t, 13, "ReduceMean", elemTIns(y)).Int64s()) // 3/4 truncates
	u := elemTRaw(ir.Uint64, []int64{2}, 1<<63, 3)
	require.Equal(t, []uint64{1 << 63}, elemTWords(elemTRun(t, 13, "ReduceMax", elemTIns(u))))
	b := ir.FromBools([]int64{2, 2}, []bool{false, true, false, false})
	out := elemTRun(t, 20, "ReduceMax", []elemTArg{elemTIn(b), elemTConst(elemI64([]int64{1}, 1))}, ir.AInt("keepdims", 0))
	require.Equal(t, []bool{true, false}, out.Bools())
}

func TestReduceArgMaxMin(t *testing.T) {
	x := elemF32([]int64{2, 3}, 1, 5, 5, 7, 2, 7)
	out := elemTRun(t, 13, "ArgMax", elemTIns(x), ir.AInt("axis", 1))
	require.Equal(t, []int64{2, 1}, out.Shape)
	require.Equal(t, []int64{1, 0}, out.Int64s())
	out = elemTRun(t, 13, "ArgMax", elemTIns(x), ir.AInt("axis", -1), ir.AInt("select_last_index", 1), ir.AInt("keepdims", 0))
	require.Equal(t, []int64{2}, out.Shape)
	require.Equal(t, []int64{2, 2}, out.Int64s())
	out = elemTRun(t, 13, "ArgMin", elemTIns(x), ir.AInt("axis", 0))
	require.Equal(t, []int64{1, 3}, out.Shape)
	require.Equal(t, []int64{0, 1, 0}, out.Int64s())
	n := elemF64([]int64{3}, 1, math.NaN(), 3)
	require.Equal(t, []int64{1}, elemTRun(t, 13, "ArgMax", elemTIns(n)).Int64s())
	xi := elemTRaw(ir.Uint64, []int64{3}, 1, 1<<63, 2)
	require.Equal(t, []int64{1}, elemTRun(t, 13, "ArgMax", elemTIns(xi)).Int64s())
	_, err := elemTRunErr(13, "ArgMax", elemTIns(x), ir.AInt("axis", 2))
	require.ErrorContains(t, err, "out of range")
}

func TestReduceCumSum(t *testing.T) {
	x := elemF32([]int64{2, 3}, 1, 2, 3, 4, 5, 6)
	ax := func(a int64) elemTArg { return elemTConst(elemI64(nil, a)) }
	cases := []struct {
		axis      int64
		excl, rev int64
		want      []float32
		name      string
	}{
		{1, 0, 0, []float32{1, 3, 6, 4, 9, 15}, "plain"},
		{1, 1, 0, []float32{0, 1, 3, 0, 4, 9}, "exclusive"},
		{1, 0, 1, []float32{6, 5, 3, 15, 11, 6}, "reverse"},
		{1, 1, 1, []float32{5, 3, 0, 11, 6, 0}, "reverse exclusive"},
		{0, 0, 0, []float32{1, 2, 3, 5, 7, 9}, "axis 0"},
		{-2, 0, 0, []float32{1, 2, 3, 5, 7, 9}, "negative axis"},
	}
	for _, c := range cases {
		out := elemTRun(t, 14, "CumSum", []elemTArg{elemTIn(x), ax(c.axis)}, ir.AInt("exclusive", c.excl), ir.AInt("reverse", c.rev))
		require.Equal(t, c.want, out.Float32s(), c.name)
	}
	xi := elemI64([]int64{3}, 1<<60, 1<<60, 1)
	out := elemTRun(t, 14, "CumSum", []elemTArg{elemTIn(xi), elemTConst(ir.FromInt32s(nil, []int32{0}))})
	require.Equal(t, []int64{1 << 60, 1 << 61, 1<<61 + 1}, out.Int64s())
	_, err := elemTRunErr(14, "CumSum", []elemTArg{elemTIn(x), ax(2)})
	require.ErrorContains(t, err, "out of range")
	_, err = elemTRunErr(14, "CumSum", []elemTArg{elemTIn(x), elemTIn(elemI64(nil, 5))})
	require.ErrorContains(t, err, "out of range")
}

func TestReduceSoftmax(t *testing.T) {
	x := elemF64([]int64{2, 2, 2}, 0, 1, 2, 3, 0, 0, 1, 1)
	e := math.E
	// opset 13: along the last axis
	out := elemTRun(t, 13, "Softmax", elemTIns(x))
	p := 1 / (1 + e) // e^0/(e^0+e^1)
	elemTNear(t, []float64{p, 1 - p, p, 1 - p, 0.5, 0.5, 0.5, 0.5}, out.Float64s(), 1e-15)
	// opset 11, default axis 1: each of the 2 rows of 4 is normalised together
	out = elemTRun(t, 11, "Softmax", elemTIns(x))
	s1 := 1 + e + e*e + e*e*e
	s2 := 2 + 2*e
	elemTNear(t, []float64{1 / s1, e / s1, e * e / s1, e * e * e / s1, 1 / s2, 1 / s2, e / s2, e / s2}, out.Float64s(), 1e-15)
	// opset 13 with axis 1 differs: pairs along the middle axis
	out = elemTRun(t, 13, "Softmax", elemTIns(x), ir.AInt("axis", 1))
	q := 1 / (1 + e*e) // e^0/(e^0+e^2)
	elemTNear(t, []float64{q, q, 1 - q, 1 - q, p, p, 1 - p, 1 - p}, out.Float64s(), 1e-15)
	// LogSoftmax = log(Softmax), robust to large inputs
	big := elemF64([]int64{2}, 1000, 1000)
	elemTNear(t, []float64{-math.Ln2, -math.Ln2}, elemTRun(t, 13, "LogSoftmax", elemTIns(big)).Float64s(), 1e-15)
	elemTNear(t, []float64{0.5, 0.5}, elemTRun(t, 13, "Softmax", elemTIns(big)).Float64s(), 1e-15)
	out = elemTRun(t, 11, "LogSoftmax", elemTIns(x))
	elemTNear(t, []float64{-math.Log(s1), 1 - math.Log(s1)}, out.Float64s()[:2], 1e-14)
	// Hardmax: one-hot of the first maximum
	h := elemF32([]int64{2, 3}, 1, 3, 3, -1, -2, -3)
	require.Equal(t, []float32{0, 1, 0, 1, 0, 0}, elemTRun(t, 13, "Hardmax", elemTIns(h)).Float32s())
	require.Equal(t, []float32{0, 1, 0, 0, 0, 0}, elemTRun(t, 11, "Hardmax", elemTIns(h), ir.AInt("axis", 0)).Float32s())
	// errors
	_, err := elemTRunErr(13, "Softmax", elemTIns(x), ir.AInt("axis", 3))
	require.ErrorContains(t, err, "out of range")
}

func TestReduceInference(t *testing.T) {
	batch, seq := ir.Sym("batch"), ir.Sym("seq")
	xt := ir.TensorType(ir.Float32, ir.Shape{batch, seq, ir.D(768)})
	infer := func(opset int64, op string, withAxes *ir.Tensor, runtimeAxes bool, attrs ...ir.Attr) (ir.Type, error) {
		b := ir.NewBuilder("t", map[string]int64{"": opset})
		ins := []*ir.Value{b.Input("x", xt)}
		switch {
		case runtimeAxes:
			ins = append(ins, b.Input("axes", ir.TensorType(ir.Int64, ir.ConcreteShape(1))))
		case withAxes != nil:
			ins = append(ins, b.Const("axes", withAxes))
		}
		v := b.Op(op, ins, attrs...)
		b.Output(v)
		_, err := b.Graph()
		return v.Type, err
	}
	ty, err := infer(18, "ReduceMean", elemI64([]int64{1}, -1), false)
	require.NoError(t, err)
	require.Equal(t, "f32[batch,seq,1]", ty.String())
	ty, err = infer(13, "ReduceSum", elemI64([]int64{1}, 1), false, ir.AInt("keepdims", 0))
	require.NoError(t, err)
	require.Equal(t, "f32[batch,768]", ty.String())
	ty, err = infer(11, "ReduceMax", nil, false, ir.AInts("axes", 0))
	require.NoError(t, err)
	require.Equal(t, "f32[1,seq,768]", ty.String())
	ty, err = infer(13, "ReduceSum", nil, true)
	require.NoError(t, err)
	require.Equal(t, "f32[?,?,?]", ty.String()) // runtime axes: rank kept, dims unknown
	ty, err = infer(13, "ReduceSum", nil, true, ir.AInt("keepdims", 0))
	require.NoError(t, err)
	require.Equal(t, "f32[*]", ty.String())
	ty, err = infer(13, "ReduceSum", elemI64([]int64{0}), false, ir.AInt("noop_with_empty_axes", 1))
	require.NoError(t, err)
	require.Equal(t, "f32[batch,seq,768]", ty.String())
	ty, err = infer(13, "ArgMax", nil, false, ir.AInt("axis", -1), ir.AInt("keepdims", 0))
	require.NoError(t, err)
	require.Equal(t, "i64[batch,seq]", ty.String())
	ty, err = infer(13, "Softmax", nil, false)
	require.NoError(t, err)
	require.Equal(t, "f32[batch,seq,768]", ty.String())
	ty, err = infer(14, "CumSum", elemI64(nil, 1), false)
	require.NoError(t, err)
	require.Equal(t, "f32[batch,seq,768]", ty.String())

	_, err = infer(18, "ReduceMean", elemI64([]int64{1}, 3), false)
	require.ErrorContains(t, err, "axis 3 out of range for rank 3")
	_, err = infer(11, "ReduceMean", nil, false, ir.AInts("axes", 1, 1))
	require.ErrorContains(t, err, "twice")
	_, err = infer(13, "ArgMin", nil, false, ir.AInt("axis", -4))
	require.ErrorContains(t, err, "out of range")
	_, err = infer(13, "Softmax", nil, false, ir.AInt("axis", 3))
	require.ErrorContains(t, err, "out of range")
	_, err = infer(11, "Softmax", nil, false, ir.AInt("axis", 3)) // legacy: axis == rank is allowed
	require.NoError(t, err)
	_, err = infer(14, "CumSum", elemI64(nil, 5), false)
	require.ErrorContains(t, err, "out of range")
	_, err = infer(13, "ReduceSum", elemF32([]int64{1}, 0), false)
	require.ErrorContains(t, err, "i64")
}
