package lower

import (
	"math"
	"sort"

	"github.com/llmc/llmc/ir"
)

func init() {
	for _, op := range []string{"Equal", "Less", "LessOrEqual", "Greater", "GreaterOrEqual"} {
		register("", op, (*lowerer).compare)
	}
	for _, op := range []string{"And", "Or", "Xor", "Not"} {
		register("", op, (*lowerer).logical)
	}
	register("", "Where", (*lowerer).where)
	register("", "Expand", (*lowerer).expand)
	for _, op := range reduceOps {
		register("", op, (*lowerer).reduce)
	}
	register("", "Transpose", (*lowerer).transposeAny)
	register("", "Concat", (*lowerer).concat)
	register("", "Slice", (*lowerer).slice)
	register("", "Split", (*lowerer).split)
	register("", "CumSum", (*lowerer).cumsum)
	register("", "Cast", (*lowerer).castAny)
}

var reduceOps = []string{"ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceSumSquare",
	"ReduceL1", "ReduceL2", "ReduceLogSum", "ReduceLogSumExp"}

// operands resolves a step's inputs (nil stays nil) and defines its outputs: the first always,
// the others when they are read (nil otherwise).
func (l *lowerer) operands(ins, outs []*ir.Value) (in, out []*Value, err error) {
	if in, err = l.values(ins...); err != nil {
		return nil, nil, err
	}
	out = make([]*Value, len(outs))
	for i, o := range outs {
		if o == nil || (i > 0 && !l.used(o)) {
			continue
		}
		if out[i], err = l.define(o); err != nil {
			return nil, nil, err
		}
	}
	return in, out, nil
}

// simple adds a step of kernel k reading ins and writing n's first output.
func (l *lowerer) simple(n *ir.Node, ins []*ir.Value, mk func(vs []*Value, y *Value) Kernel) (bool, error) {
	vs, ys, err := l.operands(ins, n.Outputs[:1])
	if err != nil {
		return false, err
	}
	l.add(mk(vs, ys[0]), []*ir.Node{n}, vs, ys)
	return true, nil
}

// resolved reports whether every value has a resolved shape.
func (l *lowerer) resolved(vs ...*ir.Value) bool {
	for _, v := range vs {
		if v == nil || l.dims(v) == nil {
			return false
		}
	}
	return true
}

func (l *lowerer) compare(n *ir.Node) (bool, error) {
	a, b, y := n.Inputs[0], n.Inputs[1], n.Outputs[0]
	dt := l.typ(a).DType
	if !l.resolved(a, b, y) || !numericType(dt) || l.typ(b).DType != dt || l.typ(y).DType != ir.Bool ||
		!broadcastsTo(l.dims(a), l.dims(y)) || !broadcastsTo(l.dims(b), l.dims(y)) {
		return false, nil
	}
	return l.simple(n, []*ir.Value{a, b}, func(vs []*Value, yv *Value) Kernel {
		return &Compare{Op: n.Op, A: vs[0], B: vs[1], Y: yv}
	})
}

func (l *lowerer) logical(n *ir.Node) (bool, error) {
	ins := n.Inputs
	y := n.Outputs[0]
	if !l.resolved(append(append([]*ir.Value{}, ins...), y)...) || l.typ(y).DType != ir.Bool {
		return false, nil
	}
	for _, v := range ins {
		if l.typ(v).DType != ir.Bool || !broadcastsTo(l.dims(v), l.dims(y)) {
			return false, nil
		}
	}
	if n.Op == "Not" && !equalShapes(l.dims(ins[0]), l.dims(y)) {
		return false, nil
	}
	return l.simple(n, ins, func(vs []*Value, yv *Value) Kernel {
		k := &Logical{Op: n.Op, A: vs[0], Y: yv}
		if len(vs) > 1 {
			k.B = vs[1]
		}
		return k
	})
}

func (l *lowerer) where(n *ir.Node) (bool, error) {
	c, x, z, y := n.Inputs[0], n.Inputs[1], n.Inputs[2], n.Outputs[0]
	if !l.resolved(c, x, z, y) || l.typ(c).DType != ir.Bool || l.typ(x).DType != l.typ(y).DType || l.typ(z).DType != l.typ(y).DType {
		return false, nil
	}
	for _, v := range []*ir.Value{c, x, z} {
		if !broadcastsTo(l.dims(v), l.dims(y)) {
			return false, nil
		}
	}
	return l.simple(n, []*ir.Value{c, x, z}, func(vs []*Value, yv *Value) Kernel {
		return &Where{Cond: vs[0], X: vs[1], Z: vs[2], Y: yv}
	})
}

func (l *lowerer) expand(n *ir.Node) (bool, error) {
	x, y := n.Inputs[0], n.Outputs[0]
	if !l.resolved(x, y) || !broadcastsTo(l.dims(x), l.dims(y)) {
		return false, nil
	}
	if equalShapes(l.dims(x), l.dims(y)) {
		return true, l.view(y, x)
	}
	return l.simple(n, []*ir.Value{x}, func(vs []*Value, yv *Value) Kernel { return &Expand{X: vs[0], Y: yv} })
}

// reduceAxes returns a Reduce* node's axes (sorted, distinct, non-negative), from the attribute
// or the constant second input; all axes when none are given (unless noop_with_empty_axes, then
// ok with none).
func (l *lowerer) reduceAxes(n *ir.Node, r int) (axes []int, noop, ok bool) {
	var raw []int64
	if a := n.Attr("axes"); a != nil {
		raw = a.Ints
	} else if v := n.Input(1); v != nil {
		t := l.constant(v)
		if t == nil {
			return nil, false, false
		}
		raw = t.AsInt64s()
	}
	if len(raw) == 0 {
		if n.AttrInt("noop_with_empty_axes", 0) != 0 {
			return nil, true, true
		}
		for i := 0; i < r; i++ {
			axes = append(axes, i)
		}
		return axes, false, true
	}
	seen := map[int]bool{}
	for _, a := range raw {
		ax, err := ir.NormalizeAxis(a, r)
		if err != nil {
			return nil, false, false
		}
		if !seen[ax] {
			seen[ax] = true
			axes = append(axes, ax)
		}
	}
	sort.Ints(axes)
	return axes, false, true
}

func (l *lowerer) reduce(n *ir.Node) (bool, error) {
	x, y := n.Inputs[0], n.Outputs[0]
	if !l.isF32(x, y) || !l.resolved(x, y) {
		return false, nil
	}
	axes, noop, ok := l.reduceAxes(n, len(l.dims(x)))
	if !ok {
		return false, nil
	}
	if noop {
		return l.viewOp(n)
	}
	return l.simple(n, []*ir.Value{x}, func(vs []*Value, yv *Value) Kernel {
		return &Reduce{Op: n.Op, X: vs[0], Y: yv, Axes: axes}
	})
}

func (l *lowerer) transposeAny(n *ir.Node) (bool, error) {
	x, y := n.Inputs[0], n.Outputs[0]
	d := l.dims(x)
	if !l.resolved(x, y) {
		return false, nil
	}
	perm := make([]int, len(d))
	if a := n.Attr("perm"); a != nil {
		if len(a.Ints) != len(d) {
			return false, nil
		}
		for i, p := range a.Ints {
			perm[i] = int(p)
		}
	} else {
		for i := range perm {
			perm[i] = len(d) - 1 - i
		}
	}
	return l.simple(n, []*ir.Value{x}, func(vs []*Value, yv *Value) Kernel { return &Transpose{X: vs[0], Y: yv, Perm: perm} })
}

func (l *lowerer) concat(n *ir.Node) (bool, error) {
	y := n.Outputs[0]
	yd := l.dims(y)
	if !l.resolved(append(append([]*ir.Value{}, n.Inputs...), y)...) {
		return false, nil
	}
	ax, err := ir.NormalizeAxis(n.AttrInt("axis", 1), len(yd))
	if err != nil {
		return false, nil
	}
	size := int64(l.typ(y).DType.Size())
	var inner []Expr
	for _, v := range n.Inputs {
		d := l.dims(v)
		if len(d) != len(yd) || l.typ(v).DType != l.typ(y).DType {
			return false, nil
		}
		inner = append(inner, Product(d[ax:]...).Scale(size))
	}
	return l.simple(n, n.Inputs, func(vs []*Value, yv *Value) Kernel {
		return &Concat{Parts: vs, Y: yv, Outer: Product(yd[:ax]...), Inner: inner}
	})
}

// sliceParams reads a Slice's constant starts, ends, axes and steps (attributes before opset 10,
// inputs after).
func (l *lowerer) sliceParams(n *ir.Node) (starts, ends, axes, steps []int64, ok bool) {
	if a := n.Attr("starts"); a != nil {
		starts, ends, axes = a.Ints, n.AttrInts("ends", nil), n.AttrInts("axes", nil)
	} else {
		get := func(i int) ([]int64, bool) {
			v := n.Input(i)
			if v == nil {
				return nil, true
			}
			t := l.constant(v)
			if t == nil {
				return nil, false
			}
			return t.AsInt64s(), true
		}
		var ok1, ok2, ok3, ok4 bool
		starts, ok1 = get(1)
		ends, ok2 = get(2)
		axes, ok3 = get(3)
		steps, ok4 = get(4)
		if !ok1 || !ok2 || !ok3 || !ok4 {
			return nil, nil, nil, nil, false
		}
	}
	if len(starts) != len(ends) || (axes != nil && len(axes) != len(starts)) || (steps != nil && len(steps) != len(starts)) {
		return nil, nil, nil, nil, false
	}
	return starts, ends, axes, steps, true
}

// slice lowers Slice with constant bounds: exactly on concrete dims; a symbolic dim only taken
// whole.
func (l *lowerer) slice(n *ir.Node) (bool, error) {
	x, y := n.Inputs[0], n.Outputs[0]
	if !l.resolved(x, y) {
		return false, nil
	}
	xd, yd := l.dims(x), l.dims(y)
	starts, ends, axes, steps, ok := l.sliceParams(n)
	if !ok || len(yd) != len(xd) {
		return false, nil
	}
	st := make([]Expr, len(xd))
	sp := make([]Expr, len(xd))
	for i := range xd {
		st[i], sp[i] = Const(0), Const(1)
	}
	done := make([]bool, len(xd))
	for i := range starts {
		ax := i
		if axes != nil {
			var err error
			if ax, err = ir.NormalizeAxis(axes[i], len(xd)); err != nil || done[ax] {
				return false, nil
			}
		}
		done[ax] = true
		step := int64(1)
		if steps != nil {
			step = steps[i]
		}
		if dim, ok := xd[ax].Value(); ok {
			lo, _, cnt, err := ir.SliceBounds(starts[i], ends[i], step, dim)
			if err != nil || !yd[ax].Equal(Const(cnt)) {
				return false, nil
			}
			st[ax], sp[ax] = Const(lo), Const(step)
			continue
		}
		// a symbolic dim: only the whole axis, forwards
		if step != 1 || starts[i] != 0 || ends[i] < math.MaxInt32 || !yd[ax].Equal(xd[ax]) {
			return false, nil
		}
	}
	return l.simple(n, []*ir.Value{x}, func(vs []*Value, yv *Value) Kernel { return &Slice{X: vs[0], Y: yv, Starts: st, Steps: sp} })
}

// split lowers Split into one slice per output, along an axis of known size.
func (l *lowerer) split(n *ir.Node) (bool, error) {
	x := n.Inputs[0]
	xd := l.dims(x)
	if xd == nil {
		return false, nil
	}
	ax, err := ir.NormalizeAxis(n.AttrInt("axis", 0), len(xd))
	if err != nil {
		return false, nil
	}
	for _, o := range n.Outputs {
		if o != nil && l.dims(o) == nil {
			return false, nil
		}
	}
	xv, err := l.value(x)
	if err != nil {
		return false, err
	}
	// each output's offset along the axis: the sum of the sizes before it
	off := Const(0)
	for _, o := range n.Outputs {
		if o == nil {
			return false, nil
		}
		od := l.dims(o)
		if len(od) != len(xd) {
			return false, nil
		}
		if l.used(o) {
			st := make([]Expr, len(xd))
			sp := make([]Expr, len(xd))
			for i := range xd {
				st[i], sp[i] = Const(0), Const(1)
			}
			st[ax] = off
			yv, err := l.define(o)
			if err != nil {
				return false, err
			}
			l.add(&Slice{X: xv, Y: yv, Starts: st, Steps: sp}, []*ir.Node{n}, []*Value{xv}, []*Value{yv})
		}
		off = off.Add(od[ax])
	}
	return true, nil
}

func (l *lowerer) cumsum(n *ir.Node) (bool, error) {
	x, a, y := n.Inputs[0], n.Inputs[1], n.Outputs[0]
	at := l.constant(a)
	if !l.resolved(x, y) || at == nil || at.Len() != 1 || !numericType(l.typ(x).DType) {
		return false, nil
	}
	xd := l.dims(x)
	ax, err := ir.NormalizeAxis(at.Int64At(0), len(xd))
	if err != nil {
		return false, nil
	}
	return l.simple(n, []*ir.Value{x}, func(vs []*Value, yv *Value) Kernel {
		return &CumSum{X: vs[0], Y: yv, Outer: Product(xd[:ax]...), N: xd[ax], Inner: Product(xd[ax+1:]...),
			Exclusive: n.AttrInt("exclusive", 0) != 0, Reverse: n.AttrInt("reverse", 0) != 0}
	})
}

// castAny lowers Cast between int32, int64, float32, float64 and bool.
func (l *lowerer) castAny(n *ir.Node) (bool, error) {
	x, y := n.Inputs[0], n.Outputs[0]
	from, to := l.typ(x).DType, l.typ(y).DType
	ok := func(dt ir.DType) bool { return numericType(dt) || dt == ir.Bool }
	if !l.resolved(x, y) || !ok(from) || !ok(to) || from == to {
		return false, nil
	}
	return l.simple(n, []*ir.Value{x}, func(vs []*Value, yv *Value) Kernel {
		return &Cast{X: vs[0], Y: yv, From: from, To: to, N: vs[0].Numel()}
	})
}
