package ref

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"sort"

	"github.com/llmc/llmc/ir"
)

// Reference evaluation of the data-movement and data-producing ops (see ir/ops_data.go).

func init() {
	SetEval("", "Gather", dataEvalGather)
	SetEval("", "GatherElements", dataEvalGatherElements)
	SetEval("", "GatherND", dataEvalGatherND)
	SetEval("", "Scatter", dataEvalScatterElements)
	SetEval("", "ScatterElements", dataEvalScatterElements)
	SetEval("", "ScatterND", dataEvalScatterND)
	SetEval("", "Range", dataEvalRange)
	SetEval("", "ConstantOfShape", dataEvalConstantOfShape)
	SetEval("", "Constant", dataEvalConstant)
	SetEval("", "NonZero", dataEvalNonZero)
	SetEval("", "Compress", dataEvalCompress)
	SetEval("", "OneHot", dataEvalOneHot)
	SetEval("", "Trilu", dataEvalTrilu)
	SetEval("", "EyeLike", dataEvalEyeLike)
	SetEval("", "Unique", dataEvalUnique)
	SetEval("", "TopK", dataEvalTopK)
	SetEval("", "ReverseSequence", dataEvalReverseSequence)
}

// dataIndex resolves a possibly negative index into [0, n).
func dataIndex(k, n int64, what string) (int64, error) {
	if k < -n || k >= n {
		return 0, fmt.Errorf("%s %d out of range for a dim of size %d", what, k, n)
	}
	if k < 0 {
		k += n
	}
	return k, nil
}

// dataProd is the product of dims.
func dataProd(dims []int64) int64 {
	p := int64(1)
	for _, d := range dims {
		p *= d
	}
	return p
}

func dataEvalGather(ctx ir.EvalContext, n *ir.Node, in []*ir.Tensor) ([]*ir.Tensor, error) {
	x, err := shapeNeed(in, 0, "data")
	if err != nil {
		return nil, err
	}
	it, err := shapeNeed(in, 1, "indices")
	if err != nil {
		return nil, err
	}
	if err := shapeMovable(x); err != nil {
		return nil, err
	}
	idx, err := shapeInts(it, "indices")
	if err != nil {
		return nil, err
	}
	if len(x.Shape) == 0 {
		return nil, fmt.Errorf("data is a scalar, want rank >= 1")
	}
	ax, err := ir.NormalizeAxis(n.AttrInt("axis", 0), len(x.Shape))
	if err != nil {
		return nil, err
	}
	out := append(append(append([]int64{}, x.Shape[:ax]...), it.Shape...), x.Shape[ax+1:]...)
	y, err := shapeAlloc(ctx, x.DType, out)
	if err != nil || y.Len() == 0 {
		return []*ir.Tensor{y}, err
	}
	outer, inner, d := dataProd(x.Shape[:ax]), dataProd(x.Shape[ax+1:]), x.Shape[ax]
	for i, k := range idx {
		if idx[i], err = dataIndex(k, d, "index"); err != nil {
			return nil, err
		}
	}
	m := int64(len(idx))
	for o := int64(0); o < outer; o++ {
		for i, k := range idx {
			shapeCopyElems(y, int((o*m+int64(i))*inner), x, int((o*d+k)*inner), int(inner))
		}
	}
	return []*ir.Tensor{y}, nil
}

func dataEvalGatherElements(ctx ir.EvalContext, n *ir.Node, in []*ir.Tensor) ([]*ir.Tensor, error) {
	x, err := shapeNeed(in, 0, "data")
	if err != nil {
		return nil, err
	}
	it, err := shapeNeed(in, 1, "indices")
	if err != nil {
		return nil, err
	}
	idx, err := shapeInts(it, "indices")
	if err != nil {
		return nil, err
	}
	r := len(x.Shape)
	if len(it.Shape) != r {
		return nil, fmt.Errorf("indices have rank %d, data has rank %d", len(it.Shape), r)
	}
	ax, err := ir.NormalizeAxis(n.AttrInt("axis", 0), r)
	if err != nil {
		return nil, err
	}
	for i := range it.Shape {
		if i != ax && it.Shape[i] > x.Shape[i] {
			return nil, fmt.Errorf("indices shape %v exceeds data shape %v at dim %d", it.Shape, x.Shape, i)
		}
	}
	for i, k := range idx {
		if idx[i], err = dataIndex(k, x.Shape[ax], "index"); err != nil {
			return nil, err
		}
	}
	strides := Strides(x.Shape)
	k := 0
	y, err := shapeMove(ctx, x, it.Shape, func(c []int64) int {
		off := int64(0)
		for i, v := range c {
			if i == ax {
				v = idx[k]
			}
			off += v * strides[i]
		}
		k++
		return int(off)
	})
	return []*ir.Tensor{y}, err
}

// dataNDOffsets resolves GatherND/ScatterND indices: for each index tuple, the linear offset (in
// units of slice elements) of the addressed slice, together with the batch it belongs to.
func dataNDOffsets(x []int64, it *ir.Tensor, b int) (offsets []int64, sliceShape []int64, err error) {
	idx, err := shapeInts(it, "indices")
	if err != nil {
		return nil, nil, err
	}
	q := len(it.Shape)
	r := len(x)
	if q < 1 || r < 1 {
		return nil, nil, fmt.Errorf("data (rank %d) and indices (rank %d) must have rank >= 1", r, q)
	}
	if b < 0 || b >= min(q, r) {
		return nil, nil, fmt.Errorf("batch_dims %d must be less than the ranks of data (%d) and indices (%d)", b, r, q)
	}
	for i := 0; i < b; i++ {
		if x[i] != it.Shape[i] {
			return nil, nil, fmt.Errorf("batch dim %d differs: data %v, indices %v", i, x, it.Shape)
		}
	}
	k := int(it.Shape[q-1])
	if k < 1 || b+k > r {
		return nil, nil, fmt.Errorf("indices address %d dims after %d batch dims of a rank-%d tensor", k, b, r)
	}
	sliceShape = x[b+k:]
	slice := dataProd(sliceShape)
	perBatch := dataProd(x[b : b+k]) // slices per batch
	nTuples := len(idx) / k
	batchTuples := 1
	for _, d := range it.Shape[b : q-1] {
		batchTuples *= int(d)
	}
	offsets = make([]int64, nTuples)
	for t := 0; t < nTuples; t++ {
		batch := int64(t / max(batchTuples, 1))
		off := int64(0)
		for j := 0; j < k; j++ {
			v, err := dataIndex(idx[t*k+j], x[b+j], "index")
			if err != nil {
				return nil, nil, err
			}
			off = off*x[b+j] + v
		}
		offsets[t] = (batch*perBatch + off) * slice
	}
	return offsets, sliceShape, nil
}

func dataEvalGatherND(ctx ir.EvalContext, n *ir.Node, in []*ir.Tensor) ([]*ir.Tensor, error) {
	x, err := shapeNeed(in, 0, "data")
	if err != nil {
		return nil, err
	}
	it, err := shapeNeed(in, 1, "indices")
	if err != nil {
		return nil, err
	}
	if err := shapeMovable(x); err != nil {
		return nil, err
	}
	b := int(n.AttrInt("batch_dims", 0))
	offsets, sliceShape, err := dataNDOffsets(x.Shape, it, b)
	if err != nil {
		return nil, err
	}
	out := append(append([]int64{}, it.Shape[:len(it.Shape)-1]...), sliceShape...)
	y, err := shapeAlloc(ctx, x.DType, out)
	if err != nil {
		return nil, err
	}
	slice := int(dataProd(sliceShape))
	for t, off := range offsets {
		shapeCopyElems(y, t*slice, x, int(off), slice)
	}
	return []*ir.Tensor{y}, nil
}

// dataReducer combines an existing element with an update for the scatter reductions, exactly for
// integers and in float64 (rounded once) for floats.
type dataReducer struct {
	t   *ir.Tensor
	red string
}

func (r dataReducer) apply(dst int, upd *ir.Tensor, src int) {
	if r.red == "none" {
		shapeCopyElems(r.t, dst, upd, src, 1)
		return
	}
	if r.t.DType.IsInt() || r.t.DType == ir.Bool {
		a, b := r.t.Int64At(dst), upd.Int64At(src)
		unsigned := !r.t.DType.IsSigned() && r.t.DType != ir.Bool
		var v int64
		switch r.red {
		case "add":
			v = a + b
		case "mul":
			v = a * b
		case "max":
			if (unsigned && uint64(b) > uint64(a)) || (!unsigned && b > a) {
				v = b
			} else {
				v = a
			}
		case "min":
			if (unsigned && uint64(b) < uint64(a)) || (!unsigned && b < a) {
				v = b
			} else {
				v = a
			}
		}
		if r.t.DType == ir.Bool && v != 0 {
			v = 1
		}
		shapePutI64(r.t, dst, v)
		return
	}
	a, b := r.t.Float64At(dst), upd.Float64At(src)
	var v float64
	switch r.red {
	case "add":
		v = a + b
	case "mul":
		v = a * b
	case "max":
		v = math.Max(a, b)
	case "min":
		v = math.Min(a, b)
	}
	dataPutF64(r.t, dst, v)
}

// dataPutF64 stores v at element i of a float tensor, rounding once.
func dataPutF64(t *ir.Tensor, i int, v float64) {
	r := t.Raw
	switch t.DType {
	case ir.Float32:
		binary.LittleEndian.PutUint32(r[4*i:], math.Float32bits(float32(v)))
	case ir.Float64:
		binary.LittleEndian.PutUint64(r[8*i:], math.Float64bits(v))
	case ir.Float16:
		binary.LittleEndian.PutUint16(r[2*i:], ir.Float32ToFloat16(float32(v)))
	case ir.BFloat16:
		binary.LittleEndian.PutUint16(r[2*i:], ir.Float32ToBFloat16(float32(v)))
	}
}

// dataScatterSetup validates the common parts of the scatter ops and returns a copy of data and
// the reducer writing into it.
func dataScatterSetup(ctx ir.EvalContext, n *ir.Node, x, upd *ir.Tensor) (*ir.Tensor, dataReducer, error) {
	red := n.AttrString("reduction", "none")
	switch red {
	case "none":
	case "add", "mul", "max", "min":
		if x.DType == ir.String || x.DType.Bits() == 4 || (!shapeFloatOK(x.DType) && x.DType != ir.Bool) {
			return nil, dataReducer{}, Unsupportedf("scatter reduction %q on %s", red, x.DType)
		}
		if (red == "max" || red == "min") && ctx.Opset() < 18 {
			return nil, dataReducer{}, fmt.Errorf("reduction %q needs opset 18", red)
		}
	default:
		return nil, dataReducer{}, fmt.Errorf("unknown reduction %q (want none, add, mul, max or min)", red)
	}
	if upd.DType != x.DType {
		return nil, dataReducer{}, fmt.Errorf("updates have element type %s, data has %s", upd.DType, x.DType)
	}
	if err := shapeMovable(x); err != nil {
		return nil, dataReducer{}, err
	}
	y, err := shapeWithData(ctx, x, x.Shape)
	if err != nil {
		return nil, dataReducer{}, err
	}
	return y, dataReducer{t: y, red: red}, nil
}

func dataEvalScatterElements(ctx ir.EvalContext, n *ir.Node, in []*ir.Tensor) ([]*ir.Tensor, error) {
	x, err := shapeNeed(in, 0, "data")
	if err != nil {
		return nil, err
	}
	it, err := shapeNeed(in, 1, "indices")
	if err != nil {
		return nil, err
	}
	upd, err := shapeNeed(in, 2, "updates")
	if err != nil {
		return nil, err
	}
	idx, err := shapeInts(it, "indices")
	if err != nil {
		return nil, err
	}
	r := len(x.Shape)
	if len(it.Shape) != r {
		return nil, fmt.Errorf("indices have rank %d, data has rank %d", len(it.Shape), r)
	}
	if len(upd.Shape) != len(it.Shape) {
		return nil, fmt.Errorf("updates shape %v differs from indices shape %v", upd.Shape, it.Shape)
	}
	for i := range it.Shape {
		if upd.Shape[i] != it.Shape[i] {
			return nil, fmt.Errorf("updates shape %v differs from indices shape %v", upd.Shape, it.Shape)
		}
	}
	ax, err := ir.NormalizeAxis(n.AttrInt("axis", 0), r)
	if err != nil {
		return nil, err
	}
	for i := range it.Shape {
		if i != ax && it.Shape[i] > x.Shape[i] {
			return nil, fmt.Errorf("indices shape %v exceeds data shape %v at dim %d", it.Shape, x.Shape, i)
		}
	}
	y, red, err := dataScatterSetup(ctx, n, x, upd)
	if err != nil {
		return nil, err
	}
	for i, k := range idx {
		if idx[i], err = dataIndex(k, x.Shape[ax], "index"); err != nil {
			return nil, err
		}
	}
	strides := Strides(x.Shape)
	shapeWalk(it.Shape, func(c []int64) int {
		off := int64(0)
		for i, v := range c {
			if i != ax {
				off += v * strides[i]
			}
		}
		return int(off)
	}, func(k, base int) {
		red.apply(base+int(idx[k]*strides[ax]), upd, k)
	})
	return []*ir.Tensor{y}, nil
}

func dataEvalScatterND(ctx ir.EvalContext, n *ir.Node, in []*ir.Tensor) ([]*ir.Tensor, error) {
	x, err := shapeNeed(in, 0, "data")
	if err != nil {
		return nil, err
	}
	it, err := shapeNeed(in, 1, "indices")
	if err != nil {
		return nil, err
	}
	upd, err := shapeNeed(in, 2, "updates")
	if err != nil {
		return nil, err
	}
	offsets, sliceShape, err := dataNDOffsets(x.Shape, it, 0)
	if err != nil {
		return nil, err
	}
	want := append(append([]int64{}, it.Shape[:len(it.Shape)-1]...), sliceShape...)
	if len(want) != len(upd.Shape) {
		return nil, fmt.Errorf("updates have shape %v, want %v", upd.Shape, want)
	}
	for i := range want {
		if want[i] != upd.Shape[i] {
			return nil, fmt.Errorf("updates have shape %v, want %v", upd.Shape, want)
		}
	}
	y, red, err := dataScatterSetup(ctx, n, x, upd)
	if err != nil {
		return nil, err
	}
	slice := int(dataProd(sliceShape))
	for t, off := range offsets {
		for e := 0; e < slice; e++ {
			red.apply(int(off)+e, upd, t*slice+e)
		}
	}
	return []*ir.Tensor{y}, nil
}

func dataEvalRange(ctx ir.EvalContext, n *ir.Node, in []*ir.Tensor) ([]*ir.Tensor, error) {
	var ts [3]*ir.Tensor
	for i, what := range []string{"start", "limit", "delta"} {
		t, err := shapeNeed(in, i, what)
		if err != nil {
			return nil, err
		}
		if t.Len() != 1 {
			return nil, fmt.Errorf("%s has shape %v, want a scalar", what, t.Shape)
		}
		if t.DType != in[0].DType {
			return nil, fmt.Errorf("%s has element type %s, start has %s", what, t.DType, in[0].DType)
		}
		ts[i] = t
	}
	dt := ts[0].DType
	switch {
	case dt.IsInt():
		a, b, d := ts[0].Int64At(0), ts[1].Int64At(0), ts[2].Int64At(0)
		cnt, err := ir.RangeCountInt(a, b, d)
		if err != nil {
			return nil, err
		}
		y, err := shapeAlloc(ctx, dt, []int64{cnt})
		if err != nil {
			return nil, err
		}
		for i := int64(0); i < cnt; i++ {
			shapePutI64(y, int(i), a+i*d)
		}
		return []*ir.Tensor{y}, nil
	case dt == ir.Float32 || dt == ir.Float64 || dt == ir.Float16 || dt == ir.BFloat16:
		a, b, d := ts[0].Float64At(0), ts[1].Float64At(0), ts[2].Float64At(0)
		cnt, err := ir.RangeCount(a, b, d)
		if err != nil {
			return nil, err
		}
		y, err := shapeAlloc(ctx, dt, []int64{cnt})
		if err != nil {
			return nil, err
		}
		vals := make([]float64, cnt)
		for i := range vals {
			vals[i] = a + float64(i)*d
		}
		SetF64s(y, vals)
		return []*ir.Tensor{y}, nil
	}
	return nil, Unsupportedf("range of element type %s", dt)
}

func dataEvalConstantOfShape(ctx ir.EvalContext, n *ir.Node, in []*ir.Tensor) ([]*ir.Tensor, error) {
	st, err := shapeNeed(in, 0, "input")
	if err != nil {
		return nil, err
	}
	if st.DType != ir.Int64 || len(st.Shape) != 1 {
		return nil, fmt.Errorf("input must be a 1-D i64 shape, got %s%v", st.DType, st.Shape)
	}
	shape := st.Int64s()
	for _, d := range shape {
		if d < 0 {
			return nil, fmt.Errorf("shape %v has a negative dim", shape)
		}
	}
	v := n.AttrTensor("value")
	dt := ir.Float32
	if v != nil {
		if v.Len() != 1 {
			return nil, fmt.Errorf("value must hold one element, has shape %v", v.Shape)
		}
		if err := shapeMovable(v); err != nil {
			return nil, err
		}
		dt = v.DType
	}
	y, err := shapeAlloc(ctx, dt, shape)
	if err != nil {
		return nil, err
	}
	if v != nil {
		shapeFill(y, v, 0)
	}
	return []*ir.Tensor{y}, nil
}

func dataEvalConstant(ctx ir.EvalContext, n *ir.Node, in []*ir.Tensor) ([]*ir.Tensor, error) {
	t, err := ir.ConstantValue(n)
	if err != nil {
		return nil, err
	}
	y, err := shapeAlloc(ctx, t.DType, t.Shape)
	if err != nil {
		return nil, err
	}
	copy(y.Raw, t.Raw)
	copy(y.Strings, t.Strings)
	return []*ir.Tensor{y}, nil
}

// dataNonzero reports whether element i of t is nonzero (non-empty for strings).
func dataNonzero(t *ir.Tensor, i int) bool {
	switch {
	case t.DType == ir.String:
		return len(t.Strings[i]) > 0
	case t.DType.IsInt() || t.DType == ir.Bool:
		return t.Int64At(i) != 0
	}
	return t.Float64At(i) != 0
}

func dataEvalNonZero(ctx ir.EvalContext, n *ir.Node, in []*ir.Tensor) ([]*ir.Tensor, error) {
	x, err := shapeNeed(in, 0, "X")
	if err != nil {
		return nil, err
	}
	if err := shapeMovable(x); err != nil {
		return nil, err
	}
	var hits []int
	for i := 0; i < x.Len(); i++ {
		if dataNonzero(x, i) {
			hits = append(hits, i)
		}
	}
	r := len(x.Shape)
	y, err := shapeAlloc(ctx, ir.Int64, []int64{int64(r), int64(len(hits))})
	if err != nil {
		return nil, err
	}
	out := y.Int64s()
	strides := Strides(x.Shape)
	for k, h := range hits {
		rem := int64(h)
		for a := 0; a < r; a++ {
			out[a*len(hits)+k] = rem / strides[a]
			rem %= strides[a]
		}
	}
	return []*ir.Tensor{y}, nil
}

func dataEvalCompress(ctx ir.EvalContext, n *ir.Node, in []*ir.Tensor) ([]*ir.Tensor, error) {
	x, err := shapeNeed(in, 0, "input")
	if err != nil {
		return nil, err
	}
	ct, err := shapeNeed(in, 1, "condition")
	if err != nil {
		return nil, err
	}
	if ct.DType != ir.Bool || len(ct.Shape) != 1 {
		return nil, fmt.Errorf("condition must be a 1-D bool tensor, got %s%v", ct.DType, ct.Shape)
	}
	if err := shapeMovable(x); err != nil {
		return nil, err
	}
	cond := ct.Bools()
	src := x
	ax := 0
	if a := n.Attr("axis"); a != nil {
		if ax, err = ir.NormalizeAxis(a.I, len(x.Shape)); err != nil {
			return nil, err
		}
	} else {
		flat := *x
		flat.Shape = []int64{int64(x.Len())}
		src = &flat
	}
	d := src.Shape[ax]
	if int64(len(cond)) > d {
		return nil, fmt.Errorf("condition has %d entries, axis %d has size %d", len(cond), ax, d)
	}
	var keep []int64
	for i, c := range cond {
		if c {
			keep = append(keep, int64(i))
		}
	}
	out := append([]int64{}, src.Shape...)
	out[ax] = int64(len(keep))
	y, err := shapeAlloc(ctx, x.DType, out)
	if err != nil || y.Len() == 0 {
		return []*ir.Tensor{y}, err
	}
	outer, inner := dataProd(src.Shape[:ax]), dataProd(src.Shape[ax+1:])
	m := int64(len(keep))
	for o := int64(0); o < outer; o++ {
		for i, k := range keep {
			shapeCopyElems(y, int((o*m+int64(i))*inner), src, int((o*d+k)*inner), int(inner))
		}
	}
	return []*ir.Tensor{y}, nil
}

func dataEvalOneHot(ctx ir.EvalContext, n *ir.Node, in []*ir.Tensor) ([]*ir.Tensor, error) {
	it, err := shapeNeed(in, 0, "indices")
	if err != nil {
		return nil, err
	}
	dt, err := shapeNeed(in, 1, "depth")
	if err != nil {
		return nil, err
	}
	vt, err := shapeNeed(in, 2, "values")
	if err != nil {
		return nil, err
	}
	if dt.Len() != 1 || dt.DType == ir.String {
		return nil, fmt.Errorf("depth must be a numeric scalar, got %s%v", dt.DType, dt.Shape)
	}
	depthF := dt.Float64At(0)
	if dt.DType.IsInt() {
		depthF = float64(dt.Int64At(0))
	}
	if depthF < 1 || depthF > 1<<40 {
		return nil, fmt.Errorf("depth %g must be at least 1", depthF)
	}
	depth := int64(depthF)
	if vt.Len() != 2 {
		return nil, fmt.Errorf("values has %d elements, want 2", vt.Len())
	}
	if err := shapeMovable(vt); err != nil {
		return nil, err
	}
	if it.DType == ir.String {
		return nil, fmt.Errorf("indices must be numeric")
	}
	r := len(it.Shape) + 1
	ax, err := ir.NormalizeAxis(n.AttrInt("axis", -1), r)
	if err != nil {
		return nil, err
	}
	out := append(append(append([]int64{}, it.Shape[:ax]...), depth), it.Shape[ax:]...)
	y, err := shapeAlloc(ctx, vt.DType, out)
	if err != nil || y.Len() == 0 {
		return []*ir.Tensor{y}, err
	}
	outer, inner := dataProd(it.Shape[:ax]), dataProd(it.Shape[ax:])
	for o := int64(0); o < outer; o++ {
		for d := int64(0); d < depth; d++ {
			for i := int64(0); i < inner; i++ {
				src := o*inner + i
				var k int64
				if it.DType.IsInt() {
					k = it.Int64At(int(src))
				} else {
					k = int64(it.Float64At(int(src))) // float indices are cast to integers
				}
				if k < 0 {
					k += depth
				}
				v := 0
				if k == d {
					v = 1
				}
				shapeCopyElems(y, int((o*depth+d)*inner+i), vt, v, 1)
			}
		}
	}
	return []*ir.Tensor{y}, nil
}

func dataEvalTrilu(ctx ir.EvalContext, n *ir.Node, in []*ir.Tensor) ([]*ir.Tensor, error) {
	x, err := shapeNeed(in, 0, "input")
	if err != nil {
		return nil, err
	}
	if len(x.Shape) < 2 {
		return nil, fmt.Errorf("input has rank %d, want >= 2", len(x.Shape))
	}
	if err := shapeMovable(x); err != nil {
		return nil, err
	}
	k := int64(0)
	if len(in) > 1 && in[1] != nil {
		kv, err := shapeInts(in[1], "k")
		if err != nil {
			return nil, err
		}
		if len(kv) != 1 {
			return nil, fmt.Errorf("k must be a scalar, has shape %v", in[1].Shape)
		}
		k = kv[0]
	}
	upper := n.AttrInt("upper", 1) != 0
	r := len(x.Shape)
	rows, cols := x.Shape[r-2], x.Shape[r-1]
	y, err := shapeMove(ctx, x, x.Shape, func(c []int64) int {
		i, j := c[r-2], c[r-1]
		keep := j-i >= k
		if !upper {
			keep = j-i <= k
		}
		if !keep {
			return -1
		}
		off := int64(0)
		for a := 0; a < r-2; a++ {
			off = off*x.Shape[a] + c[a]
		}
		return int((off*rows+i)*cols + j)
	})
	return []*ir.Tensor{y}, err
}

func dataEvalEyeLike(ctx ir.EvalContext, n *ir.Node, in []*ir.Tensor) ([]*ir.Tensor, error) {
	x, err := shapeNeed(in, 0, "input")
	if err != nil {
		return nil, err
	}
	if len(x.Shape) != 2 {
		return nil, fmt.Errorf("input has shape %v, want rank 2", x.Shape)
	}
	dt := x.DType
	if a := n.Attr("dtype"); a != nil {
		dt = ir.DType(a.I)
	}
	if !shapeFloatOK(dt) && dt != ir.Bool {
		return nil, Unsupportedf("EyeLike of element type %s", dt)
	}
	y, err := shapeAlloc(ctx, dt, x.Shape)
	if err != nil || y.Len() == 0 {
		return []*ir.Tensor{y}, err
	}
	k := n.AttrInt("k", 0)
	one := make([]float64, 1)
	one[0] = 1
	ones, _ := ir.NewTensor(dt, []int64{1}, 0)
	SetF64s(ones, one)
	for i := int64(0); i < x.Shape[0]; i++ {
		j := i + k
		if j >= 0 && j < x.Shape[1] {
			shapeCopyElems(y, int(i*x.Shape[1]+j), ones, 0, 1)
		}
	}
	return []*ir.Tensor{y}, nil
}

// dataCompare orders elements i and j of t (-1, 0, 1): integers exactly, floats by value (NaN
// last), strings bytewise.
func dataCompare(t *ir.Tensor, i, j int) int {
	switch {
	case t.DType == ir.String:
		return bytes.Compare(t.Strings[i], t.Strings[j])
	case t.DType == ir.Uint64:
		a, b := uint64(t.Int64At(i)), uint64(t.Int64At(j))
		switch {
		case a < b:
			return -1
		case a > b:
			return 1
		}
		return 0
	case t.DType.IsInt() || t.DType == ir.Bool:
		a, b := t.Int64At(i), t.Int64At(j)
		switch {
		case a < b:
			return -1
		case a > b:
			return 1
		}
		return 0
	}
	a, b := t.Float64At(i), t.Float64At(j)
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	case a == b:
		return 0
	case math.IsNaN(a) && math.IsNaN(b):
		return 0
	case math.IsNaN(a):
		return 1
	}
	return -1
}

func dataEvalUnique(ctx ir.EvalContext, n *ir.Node, in []*ir.Tensor) ([]*ir.Tensor, error) {
	x, err := shapeNeed(in, 0, "X")
	if err != nil {
		return nil, err
	}
	if err := shapeMovable(x); err != nil {
		return nil, err
	}
	src := x
	ax := 0
	if a := n.Attr("axis"); a != nil {
		if ax, err = ir.NormalizeAxis(a.I, len(x.Shape)); err != nil {
			return nil, err
		}
	} else {
		flat := *x
		flat.Shape = []int64{int64(x.Len())}
		src = &flat
	}
	d := int(src.Shape[ax])
	outer, inner := int(dataProd(src.Shape[:ax])), int(dataProd(src.Shape[ax+1:]))
	if outer*inner == 0 && d > 0 {
		return nil, Unsupportedf("Unique along axis %d of size %d whose slices are empty (shape %v)", ax, d, x.Shape)
	}
	// cmpSlices orders slices a and b along the axis lexicographically
	cmpSlices := func(a, b int) int {
		for o := 0; o < outer; o++ {
			for i := 0; i < inner; i++ {
				if c := dataCompare(src, (o*d+a)*inner+i, (o*d+b)*inner+i); c != 0 {
					return c
				}
			}
		}
		return 0
	}
	// group equal slices: a stable sort keeps each group's first occurrence at its head
	byValue := make([]int, d)
	for i := range byValue {
		byValue[i] = i
	}
	sort.SliceStable(byValue, func(a, b int) bool { return cmpSlices(byValue[a], byValue[b]) < 0 })
	var firsts []int // first occurrence of each distinct slice, in sorted order
	inverse := make([]int64, d)
	for i, s := range byValue {
		if i == 0 || cmpSlices(byValue[i-1], s) != 0 {
			firsts = append(firsts, s)
		}
		inverse[s] = int64(len(firsts) - 1)
	}
	order := make([]int, len(firsts)) // order[k] = which distinct slice is output k
	for i := range order {
		order[i] = i
	}
	if n.AttrInt("sorted", 1) == 0 {
		sort.Slice(order, func(a, b int) bool { return firsts[order[a]] < firsts[order[b]] })
	}
	rank := make([]int64, len(order)) // distinct slice -> output position
	for k, u := range order {
		rank[u] = int64(k)
	}
	m := len(order)
	out := append([]int64{}, src.Shape...)
	out[ax] = int64(m)
	y, err := shapeAlloc(ctx, x.DType, out)
	if err != nil {
		return nil, err
	}
	for o := 0; o < outer; o++ {
		for k, u := range order {
			shapeCopyElems(y, (o*m+k)*inner, src, (o*d+firsts[u])*inner, inner)
		}
	}
	results := []*ir.Tensor{y}
	if len(n.Outputs) > 1 {
		t, err := shapeAlloc(ctx, ir.Int64, []int64{int64(m)})
		if err != nil {
			return nil, err
		}
		for k, u := range order {
			t.Int64s()[k] = int64(firsts[u])
		}
		results = append(results, t)
	}
	if len(n.Outputs) > 2 {
		t, err := shapeAlloc(ctx, ir.Int64, []int64{int64(d)})
		if err != nil {
			return nil, err
		}
		for s := range inverse {
			t.Int64s()[s] = rank[inverse[s]]
		}
		results = append(results, t)
	}
	if len(n.Outputs) > 3 {
		t, err := shapeAlloc(ctx, ir.Int64, []int64{int64(m)})
		if err != nil {
			return nil, err
		}
		for s := range inverse {
			t.Int64s()[rank[inverse[s]]]++
		}
		results = append(results, t)
	}
	return results, nil
}

func dataEvalTopK(ctx ir.EvalContext, n *ir.Node, in []*ir.Tensor) ([]*ir.Tensor, error) {
	x, err := shapeNeed(in, 0, "X")
	if err != nil {
		return nil, err
	}
	if err := shapeMovable(x); err != nil {
		return nil, err
	}
	if x.DType == ir.String {
		return nil, fmt.Errorf("TopK of strings")
	}
	var k int64
	if len(in) > 1 && in[1] != nil {
		kv, err := shapeInts(in[1], "k")
		if err != nil {
			return nil, err
		}
		if len(kv) != 1 {
			return nil, fmt.Errorf("k must have one element, has shape %v", in[1].Shape)
		}
		k = kv[0]
	} else if a := n.Attr("k"); a != nil {
		k = a.I
	} else {
		return nil, fmt.Errorf("k is required")
	}
	if len(x.Shape) == 0 {
		return nil, fmt.Errorf("input is a scalar, want rank >= 1")
	}
	ax, err := ir.NormalizeAxis(n.AttrInt("axis", -1), len(x.Shape))
	if err != nil {
		return nil, err
	}
	d := x.Shape[ax]
	if k < 0 || k > d {
		return nil, fmt.Errorf("k %d out of range for axis %d of size %d", k, ax, d)
	}
	largest := n.AttrInt("largest", 1) != 0
	out := append([]int64{}, x.Shape...)
	out[ax] = k
	vals, err := shapeAlloc(ctx, x.DType, out)
	if err != nil {
		return nil, err
	}
	inds, err := shapeAlloc(ctx, ir.Int64, out)
	if err != nil {
		return nil, err
	}
	outer, inner := dataProd(x.Shape[:ax]), dataProd(x.Shape[ax+1:])
	if outer*inner == 0 || k == 0 {
		return []*ir.Tensor{vals, inds}, nil
	}
	iv := inds.Int64s()
	pos := make([]int, d)
	for o := int64(0); o < outer; o++ {
		for i := int64(0); i < inner; i++ {
			at := func(j int) int { return int((o*d+int64(j))*inner + i) }
			for j := range pos {
				pos[j] = j
			}
			// ties keep the lower index first (stable sort over increasing indices)
			sort.SliceStable(pos, func(a, b int) bool {
				c := dataCompare(x, at(pos[a]), at(pos[b]))
				if largest {
					return c > 0
				}
				return c < 0
			})
			for j := int64(0); j < k; j++ {
				dst := int((o*k+j)*inner + i)
				shapeCopyElems(vals, dst, x, at(pos[j]), 1)
				iv[dst] = int64(pos[j])
			}
		}
	}
	return []*ir.Tensor{vals, inds}, nil
}

func dataEvalReverseSequence(ctx ir.EvalContext, n *ir.Node, in []*ir.Tensor) ([]*ir.Tensor, error) {
	x, err := shapeNeed(in, 0, "input")
	if err != nil {
		return nil, err
	}
	lt, err := shapeNeed(in, 1, "sequence_lens")
	if err != nil {
		return nil, err
	}
	lens, err := shapeInts(lt, "sequence_lens")
	if err != nil {
		return nil, err
	}
	if len(x.Shape) < 2 {
		return nil, fmt.Errorf("input has rank %d, want >= 2", len(x.Shape))
	}
	ba, ta := n.AttrInt("batch_axis", 1), n.AttrInt("time_axis", 0)
	if (ba != 0 && ba != 1) || (ta != 0 && ta != 1) || ba == ta {
		return nil, fmt.Errorf("batch_axis %d and time_axis %d must be 0 and 1 in some order", ba, ta)
	}
	if int64(len(lens)) != x.Shape[ba] {
		return nil, fmt.Errorf("sequence_lens has %d entries, batch axis has size %d", len(lens), x.Shape[ba])
	}
	for _, l := range lens {
		if l < 0 || l > x.Shape[ta] {
			return nil, fmt.Errorf("sequence length %d out of range for time axis of size %d", l, x.Shape[ta])
		}
	}
	strides := Strides(x.Shape)
	y, err := shapeMove(ctx, x, x.Shape, func(c []int64) int {
		off := int64(0)
		for a, v := range c {
			if int64(a) == ta {
				if l := lens[c[ba]]; v < l {
					v = l - 1 - v
				}
			}
			off += v * strides[a]
		}
		return int(off)
	})
	return []*ir.Tensor{y}, err
}
