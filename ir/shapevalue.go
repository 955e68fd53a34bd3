package ir

import (
	"fmt"
	"strings"
)

// Shape values: the small integer tensors that exports compute from shapes (Shape → Gather →
// Unsqueeze → Concat → … feeding Reshape, Expand, Slice, Range, ConstantOfShape). Each op that
// can take part says, in its OpSchema.ShapeValue hook (registered below), how its output's value
// follows from its inputs' values; ShapeValueOf walks the graph with those hooks. Type inference
// (Reshape targets, Expand shapes, ...) and the shape pass (constants, symbolic Reshape targets)
// both read values through it, so they agree on what is known.

// MaxShapeValueLen bounds the elements of a shape value: shape vectors are short, and longer
// integer tensors are data, not shapes.
const MaxShapeValueLen = 1 << 12

// shapeValueDepth and shapeValueBudget bound a walk: the depth of the producer chain followed
// (recursion) and the values visited per ShapeValues.Of call (graphs that reuse values heavily).
const (
	shapeValueDepth  = 64
	shapeValueBudget = 4096
)

// ShapeElem is one element of a shape value: a known integer (Known; negative values included,
// e.g. the -1 of a Reshape target), a symbolic dim (Sym, e.g. "batch": its size, never negative),
// or unknown (neither).
type ShapeElem struct {
	N     int64
	Sym   string
	Known bool
}

// KnownElem is the element holding n.
func KnownElem(n int64) ShapeElem { return ShapeElem{N: n, Known: true} }

// SymElem is the element equal to the symbolic dim s.
func SymElem(s string) ShapeElem { return ShapeElem{Sym: s} }

// ElemOfDim is the element equal to the size of d.
func ElemOfDim(d Dim) ShapeElem {
	switch {
	case d.IsConcrete():
		return KnownElem(d.Value)
	case d.IsSymbolic():
		return SymElem(d.Param)
	}
	return ShapeElem{}
}

// Dim converts an element to a dim: a non-negative known value, a symbol, or unknown.
func (e ShapeElem) Dim() Dim {
	switch {
	case e.Known && e.N >= 0:
		return D(e.N)
	case !e.Known && e.Sym != "":
		return Sym(e.Sym)
	}
	return UnknownDim()
}

// IsUnknown reports whether nothing is known about the element.
func (e ShapeElem) IsUnknown() bool { return !e.Known && e.Sym == "" }

func (e ShapeElem) String() string {
	switch {
	case e.Known:
		return fmt.Sprint(e.N)
	case e.Sym != "":
		return e.Sym
	}
	return "?"
}

// ShapeValue is the value of a 0-D (Scalar, one element) or 1-D integer or bool tensor.
type ShapeValue struct {
	Elems  []ShapeElem
	Scalar bool
}

// Ints returns the elements when all are known.
func (s ShapeValue) Ints() ([]int64, bool) {
	out := make([]int64, len(s.Elems))
	for i, e := range s.Elems {
		if !e.Known {
			return nil, false
		}
		out[i] = e.N
	}
	return out, true
}

// Resolved reports whether no element is unknown (each is a known integer or a symbol).
func (s ShapeValue) Resolved() bool {
	for _, e := range s.Elems {
		if e.IsUnknown() {
			return false
		}
	}
	return true
}

// SameAs reports whether s and t certainly hold the same elements: both resolved, equal known
// values and equal symbols, and the same rank.
func (s ShapeValue) SameAs(t ShapeValue) bool {
	if s.Scalar != t.Scalar || len(s.Elems) != len(t.Elems) || !s.Resolved() || !t.Resolved() {
		return false
	}
	for i := range s.Elems {
		if s.Elems[i] != t.Elems[i] {
			return false
		}
	}
	return true
}

func (s ShapeValue) String() string {
	parts := make([]string, len(s.Elems))
	for i, e := range s.Elems {
		parts[i] = e.String()
	}
	if s.Scalar {
		return strings.Join(parts, "")
	}
	return "[" + strings.Join(parts, ",") + "]"
}

// ShapeValueFunc computes the value of a node's output 0 from its inputs' values (c.In); ok is
// false when the output is not a shape value this hook can describe (its length unknown, or a
// rank above 1). Elements it cannot know are left unknown.
type ShapeValueFunc func(c *ShapeValueContext) (ShapeValue, bool)

// ShapeValueContext is what a ShapeValue hook sees: the node, and its inputs' values on demand.
type ShapeValueContext struct {
	Node  *Node
	walk  *ShapeValues
	depth int
}

// In returns the value of input i (false when absent or not a shape value).
func (c *ShapeValueContext) In(i int) (ShapeValue, bool) {
	if i < 0 || i >= len(c.Node.Inputs) || c.Node.Inputs[i] == nil {
		return ShapeValue{}, false
	}
	return c.walk.of(c.Node.Inputs[i], c.depth+1)
}

// InInts returns the elements of input i when they are all known.
func (c *ShapeValueContext) InInts(i int) ([]int64, bool) {
	v, ok := c.In(i)
	if !ok {
		return nil, false
	}
	return v.Ints()
}

// ShapeValues evaluates shape values with a memo shared between calls. The memo is valid while
// the graph and its types do not change: make a new one after editing the graph.
type ShapeValues struct {
	memo   map[*Value]shapeValueMemo
	active map[*Value]bool // values being computed (a cycle in a malformed graph stops here)
	budget int
	cuts   int // walks stopped by a guard; results computed across a stop are not memoised
}

type shapeValueMemo struct {
	val ShapeValue
	ok  bool
}

// NewShapeValues returns an evaluator with an empty memo.
func NewShapeValues() *ShapeValues {
	return &ShapeValues{memo: map[*Value]shapeValueMemo{}, active: map[*Value]bool{}}
}

// ShapeValueOf returns the value of v when it is a 0-D or 1-D integer (or bool) tensor whose
// length is known, following constants and the ops' ShapeValue hooks back to the shapes it was
// computed from. ok is false when not even the number of elements is known.
func ShapeValueOf(v *Value) (ShapeValue, bool) { return NewShapeValues().Of(v) }

// Of is ShapeValueOf using (and filling) the evaluator's memo.
func (s *ShapeValues) Of(v *Value) (ShapeValue, bool) {
	s.budget = shapeValueBudget
	return s.of(v, 0)
}

func (s *ShapeValues) of(v *Value, depth int) (ShapeValue, bool) {
	s.budget--
	if v == nil {
		return ShapeValue{}, false
	}
	if m, ok := s.memo[v]; ok {
		return m.val, m.ok
	}
	if depth > shapeValueDepth || s.budget < 0 || s.active[v] {
		s.cuts++
		return ShapeValue{}, false
	}
	s.active[v] = true
	cuts := s.cuts
	val, ok := s.compute(v, depth)
	delete(s.active, v)
	if s.cuts == cuts {
		s.memo[v] = shapeValueMemo{val, ok}
	}
	return val, ok
}

func (s *ShapeValues) compute(v *Value, depth int) (ShapeValue, bool) {
	if v.Const != nil {
		return shapeValueOfTensor(v.Const)
	}
	t := v.Type
	if t.Kind != KindUnknown && (t.Kind != KindTensor || (t.Ranked && len(t.Shape) > 1) ||
		(t.DType != Undefined && !t.DType.IsInt() && t.DType != Bool)) {
		// not an integer vector: not followed (floating-point arithmetic is not integer
		// arithmetic), but a 1-D length is still a length
		return shapeValueOfType(t)
	}
	n := v.Def
	if n == nil || len(n.Outputs) == 0 || n.Outputs[0] != v {
		return shapeValueOfType(t)
	}
	sch := n.Schema()
	if sch == nil || sch.ShapeValue == nil {
		return shapeValueOfType(t)
	}
	val, ok := sch.ShapeValue(&ShapeValueContext{Node: n, walk: s, depth: depth})
	if !ok || len(val.Elems) > MaxShapeValueLen || (val.Scalar && len(val.Elems) != 1) {
		return shapeValueOfType(t)
	}
	if t.Kind == KindTensor && t.Ranked {
		// a declared type that disagrees wins (the graph is malformed, or the hook wrong)
		if (len(t.Shape) == 0) != val.Scalar ||
			(len(t.Shape) == 1 && t.Shape[0].IsConcrete() && t.Shape[0].Value != int64(len(val.Elems))) {
			return shapeValueOfType(t)
		}
	}
	return val, true
}

// shapeValueOfType is what a 0-D or 1-D type alone says: the number of elements, none known.
func shapeValueOfType(t Type) (ShapeValue, bool) {
	if t.Kind != KindTensor || !t.Ranked || len(t.Shape) > 1 {
		return ShapeValue{}, false
	}
	if len(t.Shape) == 0 {
		return ShapeValue{Elems: make([]ShapeElem, 1), Scalar: true}, true
	}
	if !t.Shape[0].IsConcrete() || t.Shape[0].Value > MaxShapeValueLen {
		return ShapeValue{}, false
	}
	return ShapeValue{Elems: make([]ShapeElem, t.Shape[0].Value)}, true
}

// shapeValueOfTensor is the value of a constant 0-D or 1-D integer or bool tensor.
func shapeValueOfTensor(t *Tensor) (ShapeValue, bool) {
	if (!t.DType.IsInt() && t.DType != Bool) || len(t.Shape) > 1 ||
		(len(t.Shape) == 1 && (t.Shape[0] < 0 || t.Shape[0] > MaxShapeValueLen)) || t.Validate() != nil {
		return ShapeValue{}, false
	}
	return ShapeValue{Elems: knownElems(t.AsInt64s()), Scalar: len(t.Shape) == 0}, true
}

func knownElems(xs []int64) []ShapeElem {
	out := make([]ShapeElem, len(xs))
	for i, x := range xs {
		out[i] = KnownElem(x)
	}
	return out
}

func init() { whenOpsRegistered(registerShapeValueHooks) }

func registerShapeValueHooks() {
	hooks := map[string]ShapeValueFunc{
		"Constant":        svConstant,
		"Shape":           svShape,
		"Size":            svSize,
		"Identity":        svIdentity,
		"Cast":            svCast,
		"Squeeze":         svSqueeze,
		"Unsqueeze":       svUnsqueeze,
		"Reshape":         svReshape,
		"Concat":          svConcat,
		"Gather":          svGather,
		"Slice":           svSlice,
		"ConstantOfShape": svConstantOfShape,
		"Where":           svWhere,
		"Not":             svNot,
		"Expand":          svExpand,
		"Range":           svRange,
	}
	for _, op := range []string{"Equal", "Add", "Sub", "Mul", "Div", "Max", "Min"} {
		hooks[op] = svArith
	}
	for op, f := range hooks {
		MustOp("", op).ShapeValue = f
	}
}

func svConstant(c *ShapeValueContext) (ShapeValue, bool) {
	n := c.Node
	if len(n.Attrs) != 1 {
		return ShapeValue{}, false
	}
	switch a := &n.Attrs[0]; a.Name {
	case "value":
		if a.T != nil {
			return shapeValueOfTensor(a.T)
		}
	case "value_int":
		return ShapeValue{Elems: []ShapeElem{KnownElem(a.I)}, Scalar: true}, true
	case "value_ints":
		if len(a.Ints) <= MaxShapeValueLen {
			return ShapeValue{Elems: knownElems(a.Ints)}, true
		}
	}
	return ShapeValue{}, false
}

func svShape(c *ShapeValueContext) (ShapeValue, bool) {
	x := c.Node.Input(0)
	if x == nil || x.Type.Kind != KindTensor || !x.Type.Ranked {
		return ShapeValue{}, false
	}
	lo, hi := ShapeRange(len(x.Type.Shape), c.Node)
	out := make([]ShapeElem, 0, hi-lo)
	for _, d := range x.Type.Shape[lo:hi] {
		out = append(out, ElemOfDim(d))
	}
	return ShapeValue{Elems: out}, true
}

func svSize(c *ShapeValueContext) (ShapeValue, bool) {
	e := ShapeElem{}
	if x := c.Node.Input(0); x != nil && x.Type.Kind == KindTensor && x.Type.Ranked {
		e = ElemOfDim(shapeProduct(x.Type.Shape))
	}
	return ShapeValue{Elems: []ShapeElem{e}, Scalar: true}, true
}

func svIdentity(c *ShapeValueContext) (ShapeValue, bool) { return c.In(0) }

// svCast follows casts between signed integer types (wrapping known values as the cast does;
// symbols survive into i32 and i64) and to bool.
func svCast(c *ShapeValueContext) (ShapeValue, bool) {
	x, ok := c.In(0)
	if !ok {
		return ShapeValue{}, false
	}
	to := DType(c.Node.AttrInt("to", 0))
	out := ShapeValue{Elems: make([]ShapeElem, len(x.Elems)), Scalar: x.Scalar}
	for i, e := range x.Elems {
		switch to {
		case Int64:
			out.Elems[i] = e
		case Int32, Int16, Int8:
			if e.Known {
				out.Elems[i] = KnownElem(wrapSigned(e.N, to.Bits()))
			} else if to == Int32 {
				out.Elems[i] = e // dims fit in 32 bits
			}
		case Bool:
			if e.Known {
				out.Elems[i] = KnownElem(shapeBool(e.N != 0))
			}
		default:
			return ShapeValue{}, false
		}
	}
	return out, true
}

// wrapSigned truncates n to a signed integer of the given width, as a cast does.
func wrapSigned(n int64, bits int) int64 {
	shift := 64 - bits
	return n << shift >> shift
}

// axesOf reads the axes of Squeeze/Unsqueeze (attribute before opset 13, input 1 after).
func (c *ShapeValueContext) axesOf() (axes []int64, known, present bool) {
	if a := c.Node.Attr("axes"); a != nil {
		return a.Ints, true, true
	}
	if len(c.Node.Inputs) < 2 || c.Node.Inputs[1] == nil {
		return nil, true, false
	}
	v, ok := c.In(1)
	if !ok {
		return nil, false, true
	}
	ints, known := v.Ints()
	if !known {
		return make([]int64, len(v.Elems)), false, true // the count is known
	}
	return ints, true, true
}

func isAxis0(axes []int64) bool { return len(axes) == 1 && (axes[0] == 0 || axes[0] == -1) }

func svSqueeze(c *ShapeValueContext) (ShapeValue, bool) {
	x, ok := c.In(0)
	if !ok {
		return ShapeValue{}, false
	}
	axes, known, present := c.axesOf()
	switch {
	case x.Scalar && (!present || (known && len(axes) == 0)):
		return x, true
	case x.Scalar:
		return ShapeValue{}, false
	case !present && len(x.Elems) != 1:
		return x, true // no size-1 axis to drop
	case !present || (known && isAxis0(axes)):
		if len(x.Elems) != 1 {
			return ShapeValue{}, false
		}
		return ShapeValue{Elems: x.Elems, Scalar: true}, true
	}
	return ShapeValue{}, false
}

func svUnsqueeze(c *ShapeValueContext) (ShapeValue, bool) {
	x, ok := c.In(0)
	if !ok || !x.Scalar {
		return ShapeValue{}, false // a 1-D input becomes 2-D
	}
	axes, known, present := c.axesOf()
	if !present || len(axes) != 1 || (known && !isAxis0(axes)) {
		return ShapeValue{}, false
	}
	return ShapeValue{Elems: x.Elems}, true
}

// svReshape follows reshapes of a 0-D or 1-D value to 0-D or 1-D (the elements stay in order).
func svReshape(c *ShapeValueContext) (ShapeValue, bool) {
	x, ok := c.In(0)
	if !ok {
		return ShapeValue{}, false
	}
	var target ShapeValue
	if a := c.Node.Attr("shape"); a != nil && (len(c.Node.Inputs) < 2 || c.Node.Inputs[1] == nil) {
		target = ShapeValue{Elems: knownElems(a.Ints)}
	} else if target, ok = c.In(1); !ok {
		return ShapeValue{}, false
	}
	switch len(target.Elems) {
	case 0:
		if len(x.Elems) != 1 {
			return ShapeValue{}, false
		}
		return ShapeValue{Elems: x.Elems, Scalar: true}, true
	case 1:
		e := target.Elems[0]
		copyDim := e.Known && e.N == 0 && c.Node.AttrInt("allowzero", 0) == 0
		switch {
		case copyDim && x.Scalar:
			return ShapeValue{}, false // copies a dim the input does not have
		case e.Known && e.N >= 0 && !copyDim && e.N != int64(len(x.Elems)):
			return ShapeValue{}, false // a different element count: the Reshape fails
		case e.Known && e.N < -1:
			return ShapeValue{}, false
		}
		return ShapeValue{Elems: x.Elems}, true
	}
	return ShapeValue{}, false
}

func svConcat(c *ShapeValueContext) (ShapeValue, bool) {
	if a := c.Node.AttrInt("axis", 0); a != 0 && a != -1 {
		return ShapeValue{}, false
	}
	var out []ShapeElem
	for i := range c.Node.Inputs {
		x, ok := c.In(i)
		if !ok || x.Scalar {
			return ShapeValue{}, false
		}
		out = append(out, x.Elems...)
	}
	return ShapeValue{Elems: out}, true
}

func svGather(c *ShapeValueContext) (ShapeValue, bool) {
	if a := c.Node.AttrInt("axis", 0); a != 0 && a != -1 {
		return ShapeValue{}, false
	}
	data, ok := c.In(0)
	idx, ok2 := c.In(1)
	if !ok || !ok2 || data.Scalar {
		return ShapeValue{}, false
	}
	out := ShapeValue{Elems: make([]ShapeElem, len(idx.Elems)), Scalar: idx.Scalar}
	for i, k := range idx.Elems {
		if !k.Known {
			continue
		}
		j := k.N
		if j < 0 {
			j += int64(len(data.Elems))
		}
		if j < 0 || j >= int64(len(data.Elems)) {
			return ShapeValue{}, false // the Gather fails
		}
		out.Elems[i] = data.Elems[j]
	}
	return out, true
}

// svSlice follows a 1-D slice with known bounds and step.
func svSlice(c *ShapeValueContext) (ShapeValue, bool) {
	data, ok := c.In(0)
	if !ok || data.Scalar {
		return ShapeValue{}, false
	}
	n := c.Node
	var starts, ends, axes, steps []int64
	if a := n.Attr("starts"); a != nil {
		starts, ends, axes = a.Ints, n.AttrInts("ends", nil), n.AttrInts("axes", nil)
	} else {
		var ok1, ok2 bool
		starts, ok1 = c.InInts(1)
		ends, ok2 = c.InInts(2)
		if !ok1 || !ok2 {
			return ShapeValue{}, false
		}
		if n.Input(3) != nil {
			if axes, ok = c.InInts(3); !ok {
				return ShapeValue{}, false
			}
		}
		if n.Input(4) != nil {
			if steps, ok = c.InInts(4); !ok {
				return ShapeValue{}, false
			}
		}
	}
	if len(starts) != 1 || len(ends) != 1 || (axes != nil && !isAxis0(axes)) || (steps != nil && len(steps) != 1) {
		return ShapeValue{}, false
	}
	step := int64(1)
	if steps != nil {
		step = steps[0]
	}
	lo, _, cnt, err := SliceBounds(starts[0], ends[0], step, int64(len(data.Elems)))
	if err != nil {
		return ShapeValue{}, false
	}
	out := make([]ShapeElem, 0, cnt)
	for i, k := int64(0), lo; i < cnt; i, k = i+1, k+step {
		out = append(out, data.Elems[k])
	}
	return ShapeValue{Elems: out}, true
}

func svConstantOfShape(c *ShapeValueContext) (ShapeValue, bool) {
	t := c.Node.AttrTensor("value")
	if t == nil || (!t.DType.IsInt() && t.DType != Bool) || t.Validate() != nil || t.Len() != 1 {
		return ShapeValue{}, false // float32 zeros by default: not an integer value
	}
	fill := KnownElem(t.Int64At(0))
	shape, ok := c.In(0)
	if !ok || shape.Scalar {
		return ShapeValue{}, false
	}
	switch len(shape.Elems) {
	case 0:
		return ShapeValue{Elems: []ShapeElem{fill}, Scalar: true}, true
	case 1:
		e := shape.Elems[0]
		if !e.Known || e.N < 0 || e.N > MaxShapeValueLen {
			return ShapeValue{}, false
		}
		out := make([]ShapeElem, e.N)
		for i := range out {
			out[i] = fill
		}
		return ShapeValue{Elems: out}, true
	}
	return ShapeValue{}, false
}

// broadcastLen is the length of 1-D values of lengths ls broadcast together (-1: they do not).
func broadcastLen(ls ...int) int {
	m := 1
	for _, l := range ls {
		if l != 1 {
			if m != 1 && m != l {
				return -1
			}
			m = l
		}
	}
	return m
}

func svWhere(c *ShapeValueContext) (ShapeValue, bool) {
	cond, ok := c.In(0)
	a, ok2 := c.In(1)
	b, ok3 := c.In(2)
	if !ok || !ok2 || !ok3 {
		return ShapeValue{}, false
	}
	m := broadcastLen(len(cond.Elems), len(a.Elems), len(b.Elems))
	if m < 0 {
		return ShapeValue{}, false
	}
	out := ShapeValue{Elems: make([]ShapeElem, m), Scalar: cond.Scalar && a.Scalar && b.Scalar}
	for i := range out.Elems {
		k, x, y := at(cond, i), at(a, i), at(b, i)
		switch {
		case k.Known && k.N != 0:
			out.Elems[i] = x
		case k.Known:
			out.Elems[i] = y
		case x == y:
			out.Elems[i] = x
		}
	}
	return out, true
}

// at is element i of a value broadcast to a longer length.
func at(v ShapeValue, i int) ShapeElem {
	if len(v.Elems) == 1 {
		return v.Elems[0]
	}
	return v.Elems[i]
}

func svNot(c *ShapeValueContext) (ShapeValue, bool) {
	x, ok := c.In(0)
	if !ok {
		return ShapeValue{}, false
	}
	out := ShapeValue{Elems: make([]ShapeElem, len(x.Elems)), Scalar: x.Scalar}
	for i, e := range x.Elems {
		if e.Known {
			out.Elems[i] = KnownElem(shapeBool(e.N == 0))
		}
	}
	return out, true
}

// svArith is the hook of the elementwise integer ops (Max and Min take any number of inputs).
func svArith(c *ShapeValueContext) (ShapeValue, bool) {
	n := c.Node
	if len(n.Inputs) == 0 || (len(n.Inputs) != 2 && n.Op != "Max" && n.Op != "Min") {
		return ShapeValue{}, false
	}
	acc, ok := c.In(0)
	if !ok {
		return ShapeValue{}, false
	}
	for i := 1; i < len(n.Inputs); i++ {
		y, ok := c.In(i)
		if !ok {
			return ShapeValue{}, false
		}
		m := broadcastLen(len(acc.Elems), len(y.Elems))
		if m < 0 {
			return ShapeValue{}, false
		}
		out := ShapeValue{Elems: make([]ShapeElem, m), Scalar: acc.Scalar && y.Scalar}
		for k := range out.Elems {
			out.Elems[k] = shapeArith(n.Op, at(acc, k), at(y, k))
		}
		acc = out
	}
	return acc, true
}

// shapeArith applies a binary op to two elements: exactly for known values (Div truncates
// toward zero, as ONNX Runtime and backend/ref do for integers), and for symbols what holds for
// every size a dim can have (dims are never negative).
func shapeArith(op string, x, y ShapeElem) ShapeElem {
	sameSym := !x.Known && !y.Known && x.Sym != "" && x.Sym == y.Sym
	if x.Known && y.Known {
		switch op {
		case "Equal":
			return KnownElem(shapeBool(x.N == y.N))
		case "Add":
			return KnownElem(x.N + y.N)
		case "Sub":
			return KnownElem(x.N - y.N)
		case "Mul":
			return KnownElem(x.N * y.N)
		case "Div":
			if y.N != 0 {
				return KnownElem(x.N / y.N) // MinInt64 / -1 wraps, as in backend/ref
			}
		case "Max":
			return KnownElem(max(x.N, y.N))
		case "Min":
			return KnownElem(min(x.N, y.N))
		}
		return ShapeElem{}
	}
	if sameSym {
		switch op {
		case "Equal":
			return KnownElem(1)
		case "Sub":
			return KnownElem(0)
		case "Max", "Min":
			return x
		}
		return ShapeElem{}
	}
	// one symbol and one known value (in either order)
	sym, k, symFirst := x, y, true
	if y.Sym != "" && !y.Known && x.Known {
		sym, k, symFirst = y, x, false
	}
	if sym.Sym == "" || sym.Known || !k.Known {
		return ShapeElem{}
	}
	switch op {
	case "Equal":
		if k.N < 0 {
			return KnownElem(0)
		}
	case "Add":
		if k.N == 0 {
			return sym
		}
	case "Sub":
		if k.N == 0 && symFirst {
			return sym
		}
	case "Mul":
		switch k.N {
		case 0:
			return KnownElem(0)
		case 1:
			return sym
		}
	case "Div":
		if k.N == 1 && symFirst {
			return sym
		}
	case "Max":
		if k.N <= 0 {
			return sym
		}
	case "Min":
		if k.N <= 0 {
			return k
		}
	}
	return ShapeElem{}
}

func shapeBool(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// svExpand follows the broadcast of a 0-D or 1-D value to a shape of rank 0 or 1.
func svExpand(c *ShapeValueContext) (ShapeValue, bool) {
	x, ok := c.In(0)
	shape, ok2 := c.In(1)
	if !ok || !ok2 || shape.Scalar {
		return ShapeValue{}, false
	}
	switch len(shape.Elems) {
	case 0:
		return x, true
	case 1:
		e, lx := shape.Elems[0], len(x.Elems)
		switch {
		case e.Known && (e.N == 1 || e.N == int64(lx)):
			return ShapeValue{Elems: x.Elems}, true
		case e.Known && lx == 1 && e.N >= 0 && e.N <= MaxShapeValueLen:
			out := make([]ShapeElem, e.N)
			for i := range out {
				out[i] = x.Elems[0]
			}
			return ShapeValue{Elems: out}, true
		case !e.Known && lx != 1:
			return ShapeValue{Elems: x.Elems}, true // the target is 1 or len(x); either keeps x
		}
	}
	return ShapeValue{}, false
}

// svRange follows Range over known integer bounds.
func svRange(c *ShapeValueContext) (ShapeValue, bool) {
	var v [3]int64
	for i := range v {
		x, ok := c.In(i)
		if !ok || !x.Scalar || !x.Elems[0].Known {
			return ShapeValue{}, false
		}
		v[i] = x.Elems[0].N
	}
	cnt, err := RangeCountInt(v[0], v[1], v[2])
	if err != nil || cnt > MaxShapeValueLen {
		return ShapeValue{}, false
	}
	out := make([]ShapeElem, cnt)
	for i := range out {
		out[i] = KnownElem(v[0] + int64(i)*v[2])
	}
	return ShapeValue{Elems: out}, true
}

// shapeValueOf is the value of input i as known to this inference: the constant data the caller
// supplies (c.Consts, e.g. values a planner computed for concrete shapes) wins over what a walk
// of the graph's declared types can tell.
func shapeValueOf(c *InferContext, i int) ([]ShapeElem, bool) {
	if i < len(c.Consts) && c.Consts[i] != nil {
		v, ok := shapeValueOfTensor(c.Consts[i])
		return v.Elems, ok
	}
	if i >= len(c.Node.Inputs) {
		return nil, false
	}
	v, ok := ShapeValueOf(c.Node.Inputs[i])
	return v.Elems, ok
}
