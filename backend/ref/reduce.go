package ref

import (
	"fmt"
	"math"

	"github.com/llmc/llmc/ir"
)

// Evaluation of reductions (ReduceX, ArgMax/ArgMin), CumSum and the Softmax family. Float sums
// accumulate in float64 with Neumaier compensation; integer reductions are exact (wrapping).

// reduceAxes returns the reduced-axis mask of a ReduceX node, or noop=true when the node is the
// identity (empty axes with noop_with_empty_axes=1).
func reduceAxes(n *ir.Node, in []*ir.Tensor, rank int) (mask []bool, noop bool, err error) {
	var axes []int64
	if a := n.Attr("axes"); a != nil {
		axes = a.Ints
	} else if t := elemIn(in, 1); t != nil {
		if t.DType != ir.Int64 {
			return nil, false, fmt.Errorf("axes input has element type %s, want i64", t.DType)
		}
		if len(t.Shape) != 1 {
			return nil, false, fmt.Errorf("axes input has shape %v, want rank 1", t.Shape)
		}
		axes = elemReadI(t)
	}
	if len(axes) == 0 {
		if n.AttrInt("noop_with_empty_axes", 0) != 0 {
			return nil, true, nil
		}
		mask = make([]bool, rank)
		for i := range mask {
			mask[i] = true
		}
		return mask, false, nil
	}
	mask, err = ir.ReduceNormAxes(axes, rank)
	return mask, false, err
}

// reduceAcc is a compensated float64 accumulator (Neumaier's variant of Kahan summation).
type reduceAcc struct{ sum, c float64 }

func (a *reduceAcc) add(v float64) {
	t := a.sum + v
	if math.Abs(a.sum) >= math.Abs(v) {
		a.c += (a.sum - t) + v
	} else {
		a.c += (v - t) + a.sum
	}
	a.sum = t
}

func (a *reduceAcc) value() float64 {
	if math.IsInf(a.sum, 0) || math.IsNaN(a.sum) {
		return a.sum
	}
	return a.sum + a.c
}

func reduceEval(ctx ir.EvalContext, n *ir.Node, in []*ir.Tensor) ([]*ir.Tensor, error) {
	x, err := elemNeed(in, 0)
	if err != nil {
		return nil, err
	}
	dt := x.DType
	isF := elemIsFloat(dt)
	switch {
	case isF, elemIsInt(dt):
	case dt == ir.Bool && (n.Op == "ReduceMax" || n.Op == "ReduceMin"):
	default:
		return nil, Unsupportedf("%s on element type %s", n.Op, dt)
	}
	mask, noop, err := reduceAxes(n, in, len(x.Shape))
	if err != nil {
		return nil, err
	}
	if noop {
		out, err := ctx.NewTensor(dt, x.Shape)
		if err != nil {
			return nil, err
		}
		copy(out.Raw, x.Raw)
		return []*ir.Tensor{out}, nil
	}
	keep := n.AttrInt("keepdims", 1) != 0
	keepShape := make([]int64, len(x.Shape))
	var outShape []int64
	for i, d := range x.Shape {
		keepShape[i] = d
		if mask[i] {
			keepShape[i] = 1
			if keep {
				outShape = append(outShape, 1)
			}
			continue
		}
		outShape = append(outShape, d)
	}
	out, err := ctx.NewTensor(dt, outShape)
	if err != nil {
		return nil, err
	}
	m := out.Len()
	idx := BroadcastIndex(x.Shape, keepShape) // input element -> output element
	if isF {
		v := elemReadF(x)
		res := make([]float64, m)
		reduceFloat(n.Op, v, idx, res)
		elemWriteF(out, res)
		return []*ir.Tensor{out}, nil
	}
	v := elemReadI(x)
	res := make([]int64, m)
	if err := reduceInt(n.Op, dt, v, idx, res); err != nil {
		return nil, err
	}
	elemWriteI(out, res)
	return []*ir.Tensor{out}, nil
}

// reduceFloat reduces v into res (res[idx[k]] gathers v[k]).
func reduceFloat(op string, v []float64, idx []int, res []float64) {
	m := len(res)
	count := make([]int, m)
	for _, o := range idx {
		count[o]++
	}
	switch op {
	case "ReduceMax", "ReduceMin":
		sign := 1.0
		if op == "ReduceMin" {
			sign = -1
		}
		for o := range res {
			res[o] = math.Inf(-1) * sign // the identity: an empty reduction gives it
		}
		for k, e := range v {
			o := idx[k]
			if math.IsNaN(e) || (!math.IsNaN(res[o]) && sign*e > sign*res[o]) {
				res[o] = e
			}
		}
		return
	case "ReduceProd":
		for o := range res {
			res[o] = 1
		}
		for k, e := range v {
			res[idx[k]] *= e
		}
		return
	case "ReduceLogSumExp":
		mx := make([]float64, m)
		for o := range mx {
			mx[o] = math.Inf(-1)
		}
		for k, e := range v {
			if o := idx[k]; e > mx[o] || math.IsNaN(e) {
				mx[o] = e
			}
		}
		accs := make([]reduceAcc, m)
		for k, e := range v {
			o := idx[k]
			if math.IsInf(mx[o], 0) {
				accs[o].add(math.Exp(e)) // all -inf (or +inf present): no shift needed or possible
			} else {
				accs[o].add(math.Exp(e - mx[o]))
			}
		}
		for o := range res {
			if math.IsInf(mx[o], 0) {
				res[o] = math.Log(accs[o].value())
			} else {
				res[o] = mx[o] + math.Log(accs[o].value())
			}
		}
		return
	}
	accs := make([]reduceAcc, m)
	for k, e := range v {
		switch op {
		case "ReduceL1":
			e = math.Abs(e)
		case "ReduceL2", "ReduceSumSquare":
			e *= e
		}
		accs[idx[k]].add(e)
	}
	for o := range res {
		s := accs[o].value()
		switch op {
		case "ReduceMean":
			s /= float64(count[o])
		case "ReduceL2":
			s = math.Sqrt(s)
		case "ReduceLogSum":
			s = math.Log(s)
		}
		res[o] = s
	}
}

// reduceInt reduces integers exactly (wrapping); L2, LogSum, LogSumExp and Mean compute in
// float64 and truncate.
func reduceInt(op string, dt ir.DType, v []int64, idx []int, res []int64) error {
	m := len(res)
	toF := func(e int64) float64 {
		if dt == ir.Uint64 {
			return float64(uint64(e))
		}
		return float64(e)
	}
	switch op {
	case "ReduceMax", "ReduceMin":
		lo, hi := reduceIntRange(dt)
		for o := range res {
			res[o] = lo
			if op == "ReduceMin" {
				res[o] = hi
			}
		}
		for k, e := range v {
			o := idx[k]
			if (op == "ReduceMax" && elemLess(dt, res[o], e)) || (op == "ReduceMin" && elemLess(dt, e, res[o])) {
				res[o] = e
			}
		}
	case "ReduceProd":
		for o := range res {
			res[o] = 1
		}
		for k, e := range v {
			res[idx[k]] *= e
		}
	case "ReduceSum", "ReduceL1", "ReduceSumSquare":
		for k, e := range v {
			switch {
			case op == "ReduceL1" && e < 0 && dt != ir.Uint64:
				e = -e
			case op == "ReduceSumSquare":
				e *= e
			}
			res[idx[k]] += e
		}
	default: // Mean, L2, LogSum, LogSumExp
		f := make([]float64, len(v))
		for k, e := range v {
			f[k] = toF(e)
		}
		r := make([]float64, m)
		reduceFloat(op, f, idx, r)
		for o := range res {
			res[o] = elemF64ToInt(r[o], dt)
		}
	}
	return nil
}

// reduceIntRange returns the smallest and largest values of an integer (or bool) type, as carried
// in int64 (uint64's largest is all ones).
func reduceIntRange(dt ir.DType) (lo, hi int64) {
	switch dt {
	case ir.Bool:
		return 0, 1
	case ir.Int8:
		return math.MinInt8, math.MaxInt8
	case ir.Uint8:
		return 0, math.MaxUint8
	case ir.Int16:
		return math.MinInt16, math.MaxInt16
	case ir.Uint16:
		return 0, math.MaxUint16
	case ir.Int32:
		return math.MinInt32, math.MaxInt32
	case ir.Uint32:
		return 0, math.MaxUint32
	case ir.Uint64:
		return 0, -1
	}
	return math.MinInt64, math.MaxInt64
}

// reduceSplit returns the sizes before, at and after axis.
func reduceSplit(shape []int64, axis int) (outer, length, inner int) {
	outer, length, inner = 1, 1, 1
	for i, d := range shape {
		switch {
		case i < axis:
			outer *= int(d)
		case i == axis:
			length = int(d)
		default:
			inner *= int(d)
		}
	}
	return
}

// reduceEvalArg evaluates ArgMax/ArgMin: the first (or, with select_last_index=1, last) index of
// the extreme value along axis; NaN counts as the extreme.
func reduceEvalArg(ctx ir.EvalContext, n *ir.Node, in []*ir.Tensor) ([]*ir.Tensor, error) {
	x, err := elemNeed(in, 0)
	if err != nil {
		return nil, err
	}
	dt := x.DType
	if !elemIsFloat(dt) && !elemIsInt(dt) {
		return nil, Unsupportedf("%s on element type %s", n.Op, dt)
	}
	axis, err := ir.NormalizeAxis(n.AttrInt("axis", 0), len(x.Shape))
	if err != nil {
		return nil, err
	}
	if x.Shape[axis] == 0 {
		return nil, fmt.Errorf("%s along axis %d of length 0", n.Op, axis)
	}
	var outShape []int64
	for i, d := range x.Shape {
		switch {
		case i != axis:
			outShape = append(outShape, d)
		case n.AttrInt("keepdims", 1) != 0:
			outShape = append(outShape, 1)
		}
	}
	out, err := ctx.NewTensor(ir.Int64, outShape)
	if err != nil {
		return nil, err
	}
	last := n.AttrInt("select_last_index", 0) != 0
	isMax := n.Op == "ArgMax"
	outer, length, inner := reduceSplit(x.Shape, axis)
	res := out.Int64s()
	// better reports whether a beats b; same whether they tie.
	var better, same func(a, b int) bool
	if elemIsFloat(dt) {
		v := elemReadF(x)
		better = func(a, b int) bool {
			if math.IsNaN(v[b]) {
				return false
			}
			if math.IsNaN(v[a]) {
				return true
			}
			if isMax {
				return v[a] > v[b]
			}
			return v[a] < v[b]
		}
		same = func(a, b int) bool { return v[a] == v[b] || (math.IsNaN(v[a]) && math.IsNaN(v[b])) }
	} else {
		v := elemReadI(x)
		better = func(a, b int) bool {
			if isMax {
				return elemLess(dt, v[b], v[a])
			}
			return elemLess(dt, v[a], v[b])
		}
		same = func(a, b int) bool { return v[a] == v[b] }
	}
	for o := 0; o < outer; o++ {
		for i := 0; i < inner; i++ {
			base := o * length * inner
			best := 0
			for j := 1; j < length; j++ {
				a, b := base+j*inner+i, base+best*inner+i
				if better(a, b) || (last && same(a, b)) {
					best = j
				}
			}
			res[o*inner+i] = int64(best)
		}
	}
	return []*ir.Tensor{out}, nil
}

// reduceEvalCumSum evaluates CumSum along the axis given as input 1.
func reduceEvalCumSum(ctx ir.EvalContext, n *ir.Node, in []*ir.Tensor) ([]*ir.Tensor, error) {
	x, err := elemNeed(in, 0)
	if err != nil {
		return nil, err
	}
	at, err := elemNeed(in, 1)
	if err != nil {
		return nil, err
	}
	if (at.DType != ir.Int32 && at.DType != ir.Int64) || at.Len() != 1 || len(at.Shape) > 1 {
		return nil, fmt.Errorf("axis input is %s%v, want an i32 or i64 scalar", at.DType, at.Shape)
	}
	dt := x.DType
	if !elemIsFloat(dt) && !elemIsInt(dt) {
		return nil, Unsupportedf("CumSum on element type %s", dt)
	}
	axis, err := ir.NormalizeAxis(elemReadI(at)[0], len(x.Shape))
	if err != nil {
		return nil, err
	}
	out, err := ctx.NewTensor(dt, x.Shape)
	if err != nil {
		return nil, err
	}
	excl, rev := n.AttrInt("exclusive", 0) != 0, n.AttrInt("reverse", 0) != 0
	outer, length, inner := reduceSplit(x.Shape, axis)
	// visit calls f(k) on the element offsets of one line in summation order.
	visit := func(o, i int, f func(k int)) {
		for j := 0; j < length; j++ {
			jj := j
			if rev {
				jj = length - 1 - j
			}
			f(o*length*inner + jj*inner + i)
		}
	}
	if elemIsFloat(dt) {
		v := elemReadF(x)
		res := make([]float64, len(v))
		for o := 0; o < outer; o++ {
			for i := 0; i < inner; i++ {
				var acc reduceAcc
				visit(o, i, func(k int) {
					if excl {
						res[k] = acc.value()
						acc.add(v[k])
					} else {
						acc.add(v[k])
						res[k] = acc.value()
					}
				})
			}
		}
		elemWriteF(out, res)
		return []*ir.Tensor{out}, nil
	}
	v := elemReadI(x)
	res := make([]int64, len(v))
	for o := 0; o < outer; o++ {
		for i := 0; i < inner; i++ {
			var acc int64
			visit(o, i, func(k int) {
				if excl {
					res[k] = acc
					acc += v[k]
				} else {
					acc += v[k]
					res[k] = acc
				}
			})
		}
	}
	elemWriteI(out, res)
	return []*ir.Tensor{out}, nil
}

// reduceEvalSoftmax evaluates Softmax, LogSoftmax and Hardmax. Before opset 13 the input is
// viewed as 2-D [prod(shape[:axis]), prod(shape[axis:])] and each row is normalised; from 13 the
// op works along the one axis.
func reduceEvalSoftmax(ctx ir.EvalContext, n *ir.Node, in []*ir.Tensor) ([]*ir.Tensor, error) {
	x, err := elemNeed(in, 0)
	if err != nil {
		return nil, err
	}
	if !elemIsFloat(x.DType) {
		return nil, Unsupportedf("%s on element type %s", n.Op, x.DType)
	}
	opset := ctx.Opset()
	axis64 := ir.SoftmaxAxis(n, opset)
	r := len(x.Shape)
	var outer, length, inner int
	if opset >= 1 && opset < 13 {
		if axis64 < -int64(r) || axis64 > int64(r) {
			return nil, fmt.Errorf("axis %d out of range for rank %d", axis64, r)
		}
		if axis64 < 0 {
			axis64 += int64(r)
		}
		outer, length, inner = 1, 1, 1
		for i, d := range x.Shape {
			if i < int(axis64) {
				outer *= int(d)
			} else {
				length *= int(d)
			}
		}
	} else {
		axis, err := ir.NormalizeAxis(axis64, r)
		if err != nil {
			return nil, err
		}
		outer, length, inner = reduceSplit(x.Shape, axis)
	}
	out, err := ctx.NewTensor(x.DType, x.Shape)
	if err != nil {
		return nil, err
	}
	v := elemReadF(x)
	res := make([]float64, len(v))
	for o := 0; o < outer; o++ {
		for i := 0; i < inner; i++ {
			at := func(j int) int { return o*length*inner + j*inner + i }
			mx, arg := math.Inf(-1), -1
			for j := 0; j < length; j++ {
				if e := v[at(j)]; e > mx || (arg < 0 && !(e < mx)) {
					mx, arg = e, j
				}
			}
			switch n.Op {
			case "Hardmax":
				if arg >= 0 {
					res[at(arg)] = 1
				}
				continue
			}
			var acc reduceAcc
			for j := 0; j < length; j++ {
				acc.add(math.Exp(v[at(j)] - mx))
			}
			s := acc.value()
			for j := 0; j < length; j++ {
				if n.Op == "Softmax" {
					res[at(j)] = math.Exp(v[at(j)]-mx) / s
				} else {
					res[at(j)] = v[at(j)] - mx - math.Log(s)
				}
			}
		}
	}
	elemWriteF(out, res)
	return []*ir.Tensor{out}, nil
}

func init() {
	for _, op := range []string{"ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL1", "ReduceL2", "ReduceLogSum", "ReduceLogSumExp", "ReduceSumSquare"} {
		SetEval("", op, reduceEval)
	}
	SetEval("", "ArgMax", reduceEvalArg)
	SetEval("", "ArgMin", reduceEvalArg)
	SetEval("", "CumSum", reduceEvalCumSum)
	for _, op := range []string{"Softmax", "LogSoftmax", "Hardmax"} {
		SetEval("", op, reduceEvalSoftmax)
	}
}
