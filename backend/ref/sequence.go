package ref

import (
	"fmt"

	"github.com/llmc/llmc/ir"
)

// Evaluation of sequence and optional ops, and the dtype-agnostic tensor slicing, concatenation
// and stacking helpers that control flow and sequences share. Sequences hold their tensors by
// reference: ops never mutate a tensor they did not allocate.

func init() {
	ir.MustOp("", "SequenceConstruct").Eval = evalSequenceConstruct
	ir.MustOp("", "SequenceEmpty").Eval = evalSequenceEmpty
	ir.MustOp("", "SequenceAt").Eval = evalSequenceAt
	ir.MustOp("", "SequenceInsert").Eval = evalSequenceInsert
	ir.MustOp("", "SequenceErase").Eval = evalSequenceErase
	ir.MustOp("", "SequenceLength").Eval = evalSequenceLength
	ir.MustOp("", "SplitToSequence").Eval = evalSplitToSequence
	ir.MustOp("", "ConcatFromSequence").Eval = evalConcatFromSequence
	ir.MustOp("", "SequenceMap").Eval = evalSequenceMap
	ir.MustOp("", "Optional").Eval = evalOptional
	ir.MustOp("", "OptionalGetElement").Eval = evalOptionalGetElement
	ir.MustOp("", "OptionalHasElement").Eval = evalOptionalHasElement
}

// ctlCopyable reports an error for element types the byte-copy helpers cannot move (packed
// sub-byte types).
func ctlCopyable(dt ir.DType) error {
	if dt == ir.String || (dt.Valid() && dt.Bits() > 0 && dt.Bits()%8 == 0) {
		return nil
	}
	return Unsupportedf("element type %s cannot be sliced or concatenated", dt)
}

// ctlCopy copies n elements of src starting at element so to dst starting at element do.
func ctlCopy(dst *ir.Tensor, do int64, src *ir.Tensor, so, n int64) {
	if n <= 0 {
		return
	}
	if dst.DType == ir.String {
		copy(dst.Strings[do:do+n], src.Strings[so:so+n])
		return
	}
	es := int64(dst.DType.Size())
	copy(dst.Raw[do*es:(do+n)*es], src.Raw[so*es:(so+n)*es])
}

func ctlProd(dims []int64) int64 {
	p := int64(1)
	for _, d := range dims {
		p *= d
	}
	return p
}

// ctlSliceRange returns t[..., start:end, ...] along axis as a new tensor.
func ctlSliceRange(ctx ir.EvalContext, t *ir.Tensor, axis int, start, end int64) (*ir.Tensor, error) {
	if err := ctlCopyable(t.DType); err != nil {
		return nil, err
	}
	if axis < 0 || axis >= len(t.Shape) {
		return nil, fmt.Errorf("axis %d out of range for rank %d", axis, len(t.Shape))
	}
	L := t.Shape[axis]
	if start < 0 || end < start || end > L {
		return nil, fmt.Errorf("range [%d, %d) out of bounds for axis %d of size %d", start, end, axis, L)
	}
	shape := append([]int64{}, t.Shape...)
	shape[axis] = end - start
	out, err := ctx.NewTensor(t.DType, shape)
	if err != nil {
		return nil, err
	}
	pre, post := ctlProd(shape[:axis]), ctlProd(shape[axis+1:])
	w := (end - start) * post
	for p := int64(0); p < pre; p++ {
		ctlCopy(out, p*w, t, (p*L+start)*post, w)
	}
	return out, nil
}

// ctlTakeIndex returns t[..., idx, ...] along axis, with that axis removed.
func ctlTakeIndex(ctx ir.EvalContext, t *ir.Tensor, axis int, idx int64) (*ir.Tensor, error) {
	s, err := ctlSliceRange(ctx, t, axis, idx, idx+1)
	if err != nil {
		return nil, err
	}
	s.Shape = append(s.Shape[:axis:axis], s.Shape[axis+1:]...)
	return s, nil
}

// ctlConcat concatenates tensors of one dtype and rank along axis; other dims must agree.
func ctlConcat(ctx ir.EvalContext, items []*ir.Tensor, axis int) (*ir.Tensor, error) {
	if len(items) == 0 {
		return nil, fmt.Errorf("nothing to concatenate")
	}
	first := items[0]
	if err := ctlCopyable(first.DType); err != nil {
		return nil, err
	}
	r := len(first.Shape)
	if axis < 0 || axis >= r {
		return nil, fmt.Errorf("axis %d out of range for rank %d", axis, r)
	}
	shape := append([]int64{}, first.Shape...)
	shape[axis] = 0
	for i, t := range items {
		if t.DType != first.DType {
			return nil, fmt.Errorf("tensor %d has element type %s, tensor 0 has %s", i, t.DType, first.DType)
		}
		if len(t.Shape) != r {
			return nil, fmt.Errorf("tensor %d has shape %v, tensor 0 has %v (ranks differ)", i, t.Shape, first.Shape)
		}
		for d := range t.Shape {
			if d != axis && t.Shape[d] != first.Shape[d] {
				return nil, fmt.Errorf("tensor %d has shape %v, tensor 0 has %v (dim %d differs)", i, t.Shape, first.Shape, d)
			}
		}
		shape[axis] += t.Shape[axis]
	}
	out, err := ctx.NewTensor(first.DType, shape)
	if err != nil {
		return nil, err
	}
	pre, post := ctlProd(shape[:axis]), ctlProd(shape[axis+1:])
	rowOut := shape[axis] * post
	for p := int64(0); p < pre; p++ {
		off := p * rowOut
		for _, t := range items {
			w := t.Shape[axis] * post
			ctlCopy(out, off, t, p*w, w)
			off += w
		}
	}
	return out, nil
}

// ctlStack stacks tensors of one dtype and shape along a new axis at position axis.
func ctlStack(ctx ir.EvalContext, items []*ir.Tensor, axis int) (*ir.Tensor, error) {
	if len(items) == 0 {
		return nil, fmt.Errorf("nothing to stack")
	}
	r := len(items[0].Shape)
	if axis < 0 || axis > r {
		return nil, fmt.Errorf("axis %d out of range for stacking rank-%d tensors", axis, r)
	}
	views := make([]*ir.Tensor, len(items))
	for i, t := range items {
		if len(t.Shape) != r {
			return nil, fmt.Errorf("tensor %d has shape %v, tensor 0 has %v", i, t.Shape, items[0].Shape)
		}
		for d := range t.Shape {
			if t.Shape[d] != items[0].Shape[d] {
				return nil, fmt.Errorf("tensor %d has shape %v, tensor 0 has %v", i, t.Shape, items[0].Shape)
			}
		}
		s := append(append(append([]int64{}, t.Shape[:axis]...), 1), t.Shape[axis:]...)
		views[i] = &ir.Tensor{DType: t.DType, Shape: s, Raw: t.Raw, Strings: t.Strings}
	}
	return ctlConcat(ctx, views, axis)
}

// ctlSeq returns in[i] as a sequence.
func ctlSeq(in []ir.Datum, i int, what string) (*ir.Sequence, error) {
	if i >= len(in) || in[i] == nil {
		return nil, fmt.Errorf("%s is missing", what)
	}
	s, ok := in[i].(*ir.Sequence)
	if !ok || s == nil {
		return nil, fmt.Errorf("%s: got %T, want a sequence", what, in[i])
	}
	return s, nil
}

// ctlTensorArg returns in[i] as a tensor.
func ctlTensorArg(in []ir.Datum, i int, what string) (*ir.Tensor, error) {
	if i >= len(in) || in[i] == nil {
		return nil, fmt.Errorf("%s is missing", what)
	}
	t, ok := in[i].(*ir.Tensor)
	if !ok || t == nil {
		return nil, fmt.Errorf("%s: got %T, want a tensor", what, in[i])
	}
	return t, nil
}

// ctlElemType describes tensors of type dt with the given shapes: dims equal across all stay,
// others become unknown; differing ranks (or no shapes) give an unranked type.
func ctlElemType(dt ir.DType, shapes [][]int64) ir.Type {
	if len(shapes) == 0 {
		return ir.UnrankedTensor(dt)
	}
	s := ir.ConcreteShape(shapes[0]...)
	for _, o := range shapes[1:] {
		if len(o) != len(s) {
			return ir.UnrankedTensor(dt)
		}
		for i := range o {
			if s[i].IsConcrete() && s[i].Value != o[i] {
				s[i] = ir.UnknownDim()
			}
		}
	}
	return ir.TensorType(dt, s)
}

// ctlNewSeq builds a sequence of items whose element type comes from the items (or dt when empty).
func ctlNewSeq(dt ir.DType, items []*ir.Tensor) *ir.Sequence {
	shapes := make([][]int64, len(items))
	for i, t := range items {
		shapes[i] = t.Shape
		dt = t.DType
	}
	return &ir.Sequence{Elem: ctlElemType(dt, shapes), Items: items}
}

// ctlSeqDType returns the element type of a sequence (from its items, else its declared Elem).
func ctlSeqDType(s *ir.Sequence) ir.DType {
	if len(s.Items) > 0 {
		return s.Items[0].DType
	}
	return s.Elem.DType
}

func evalSequenceConstruct(ctx ir.EvalContext, n *ir.Node, in []ir.Datum) ([]ir.Datum, error) {
	items := make([]*ir.Tensor, len(in))
	for i := range in {
		t, err := ctlTensorArg(in, i, fmt.Sprintf("input %d", i))
		if err != nil {
			return nil, err
		}
		if i > 0 && t.DType != items[0].DType {
			return nil, fmt.Errorf("input %d has element type %s, input 0 has %s", i, t.DType, items[0].DType)
		}
		items[i] = t
	}
	return []ir.Datum{ctlNewSeq(items[0].DType, items)}, nil
}

func evalSequenceEmpty(ctx ir.EvalContext, n *ir.Node, in []ir.Datum) ([]ir.Datum, error) {
	dt := ir.DType(n.AttrInt("dtype", int64(ir.Float32)))
	if !dt.Valid() {
		return nil, fmt.Errorf("dtype %d is not a valid element type", n.AttrInt("dtype", 0))
	}
	return []ir.Datum{&ir.Sequence{Elem: ir.UnrankedTensor(dt), Items: []*ir.Tensor{}}}, nil
}

// ctlPosition reads a position input and maps it into [0, size] (allowEnd) or [0, size).
func ctlPosition(d ir.Datum, size int, allowEnd bool) (int, error) {
	p, err := ctlIntScalar(d, "position")
	if err != nil {
		return 0, err
	}
	hi := int64(size)
	if !allowEnd {
		hi--
	}
	if p < -int64(size) || p > hi {
		return 0, fmt.Errorf("position %d out of range for a sequence of length %d", p, size)
	}
	if p < 0 {
		p += int64(size)
	}
	return int(p), nil
}

func evalSequenceAt(ctx ir.EvalContext, n *ir.Node, in []ir.Datum) ([]ir.Datum, error) {
	s, err := ctlSeq(in, 0, "input_sequence")
	if err != nil {
		return nil, err
	}
	p, err := ctlPosition(in[1], len(s.Items), false)
	if err != nil {
		return nil, err
	}
	return []ir.Datum{s.Items[p]}, nil
}

func evalSequenceInsert(ctx ir.EvalContext, n *ir.Node, in []ir.Datum) ([]ir.Datum, error) {
	s, err := ctlSeq(in, 0, "input_sequence")
	if err != nil {
		return nil, err
	}
	t, err := ctlTensorArg(in, 1, "tensor")
	if err != nil {
		return nil, err
	}
	if dt := ctlSeqDType(s); dt != ir.Undefined && dt != t.DType {
		return nil, fmt.Errorf("cannot insert a %s tensor into a sequence of %s", t.DType, dt)
	}
	p := len(s.Items)
	if len(in) > 2 && in[2] != nil {
		if p, err = ctlPosition(in[2], len(s.Items), true); err != nil {
			return nil, err
		}
	}
	items := make([]*ir.Tensor, 0, len(s.Items)+1)
	items = append(items, s.Items[:p]...)
	items = append(items, t)
	items = append(items, s.Items[p:]...)
	return []ir.Datum{ctlNewSeq(t.DType, items)}, nil
}

func evalSequenceErase(ctx ir.EvalContext, n *ir.Node, in []ir.Datum) ([]ir.Datum, error) {
	s, err := ctlSeq(in, 0, "input_sequence")
	if err != nil {
		return nil, err
	}
	if len(s.Items) == 0 {
		return nil, fmt.Errorf("cannot erase from an empty sequence")
	}
	p := len(s.Items) - 1
	if len(in) > 1 && in[1] != nil {
		if p, err = ctlPosition(in[1], len(s.Items), false); err != nil {
			return nil, err
		}
	}
	items := make([]*ir.Tensor, 0, len(s.Items)-1)
	items = append(items, s.Items[:p]...)
	items = append(items, s.Items[p+1:]...)
	if len(items) == 0 {
		return []ir.Datum{&ir.Sequence{Elem: s.Elem, Items: items}}, nil
	}
	return []ir.Datum{ctlNewSeq(ctlSeqDType(s), items)}, nil
}

func evalSequenceLength(ctx ir.EvalContext, n *ir.Node, in []ir.Datum) ([]ir.Datum, error) {
	s, err := ctlSeq(in, 0, "input_sequence")
	if err != nil {
		return nil, err
	}
	return []ir.Datum{ir.ScalarInt64(int64(len(s.Items)))}, nil
}

func evalSplitToSequence(ctx ir.EvalContext, n *ir.Node, in []ir.Datum) ([]ir.Datum, error) {
	t, err := ctlTensorArg(in, 0, "input")
	if err != nil {
		return nil, err
	}
	ax, err := ir.NormalizeAxis(n.AttrInt("axis", 0), len(t.Shape))
	if err != nil {
		return nil, err
	}
	L := t.Shape[ax]
	var items []*ir.Tensor
	if len(in) < 2 || in[1] == nil {
		keep := n.AttrInt("keepdims", 1) != 0
		for i := int64(0); i < L; i++ {
			var s *ir.Tensor
			if keep {
				s, err = ctlSliceRange(ctx, t, ax, i, i+1)
			} else {
				s, err = ctlTakeIndex(ctx, t, ax, i)
			}
			if err != nil {
				return nil, err
			}
			items = append(items, s)
		}
		return []ir.Datum{ctlNewSeq(t.DType, items)}, nil
	}
	st, err := ctlTensorArg(in, 1, "split")
	if err != nil {
		return nil, err
	}
	if st.DType != ir.Int32 && st.DType != ir.Int64 {
		return nil, fmt.Errorf("split must be int32 or int64, got %s", st.DType)
	}
	var lens []int64
	switch len(st.Shape) {
	case 0:
		c := st.Int64At(0)
		if c <= 0 {
			return nil, fmt.Errorf("scalar split must be positive, got %d", c)
		}
		for off := int64(0); off < L; off += c {
			lens = append(lens, min(c, L-off))
		}
	case 1:
		lens = st.AsInt64s()
		sum := int64(0)
		for _, l := range lens {
			if l < 0 {
				return nil, fmt.Errorf("split lengths must be non-negative, got %v", lens)
			}
			sum += l
		}
		if sum != L {
			return nil, fmt.Errorf("split lengths %v sum to %d, but axis %d has size %d", lens, sum, ax, L)
		}
	default:
		return nil, fmt.Errorf("split must be a scalar or 1-D, got shape %v", st.Shape)
	}
	off := int64(0)
	for _, l := range lens {
		s, err := ctlSliceRange(ctx, t, ax, off, off+l)
		if err != nil {
			return nil, err
		}
		items = append(items, s)
		off += l
	}
	return []ir.Datum{ctlNewSeq(t.DType, items)}, nil
}

func evalConcatFromSequence(ctx ir.EvalContext, n *ir.Node, in []ir.Datum) ([]ir.Datum, error) {
	s, err := ctlSeq(in, 0, "input_sequence")
	if err != nil {
		return nil, err
	}
	if len(s.Items) == 0 {
		return nil, fmt.Errorf("cannot concatenate an empty sequence")
	}
	r := len(s.Items[0].Shape)
	newAxis := n.AttrInt("new_axis", 0) != 0
	if newAxis {
		r++
	}
	ax, err := ir.NormalizeAxis(n.AttrInt("axis", 0), r)
	if err != nil {
		return nil, err
	}
	var out *ir.Tensor
	if newAxis {
		out, err = ctlStack(ctx, s.Items, ax)
	} else {
		out, err = ctlConcat(ctx, s.Items, ax)
	}
	if err != nil {
		return nil, err
	}
	return []ir.Datum{out}, nil
}

func evalSequenceMap(ctx ir.EvalContext, n *ir.Node, in []ir.Datum) ([]ir.Datum, error) {
	body := n.AttrGraph("body")
	if body == nil {
		return nil, fmt.Errorf("graph attribute \"body\" is missing")
	}
	if len(body.Inputs) != len(in) || len(body.Outputs) != len(n.Outputs) {
		return nil, fmt.Errorf("body has %d inputs and %d outputs, node has %d and %d", len(body.Inputs), len(body.Outputs), len(in), len(n.Outputs))
	}
	s0, err := ctlSeq(in, 0, "input_sequence")
	if err != nil {
		return nil, err
	}
	count := len(s0.Items)
	for i := 1; i < len(in); i++ {
		switch x := in[i].(type) {
		case *ir.Sequence:
			if len(x.Items) != count {
				return nil, fmt.Errorf("input %d has %d items, input_sequence has %d", i, len(x.Items), count)
			}
		case *ir.Tensor:
		default:
			return nil, fmt.Errorf("additional input %d: got %T, want a sequence or tensor", i, in[i])
		}
	}
	outs := make([][]*ir.Tensor, len(body.Outputs))
	var budget ctlBudget
	for k := 0; k < count; k++ {
		args := make([]ir.Datum, len(in))
		for i, d := range in {
			if s, ok := d.(*ir.Sequence); ok {
				args[i] = s.Items[k]
			} else {
				args[i] = d
			}
		}
		res, err := ctx.RunGraph(body, ctlBodyArgs(body, args))
		if err != nil {
			return nil, fmt.Errorf("item %d: %w", k, err)
		}
		for j := range outs {
			t, ok := res[j].(*ir.Tensor)
			if !ok {
				return nil, fmt.Errorf("item %d: body output %d is a %T, want a tensor", k, j, res[j])
			}
			outs[j] = append(outs[j], t)
		}
		if err := budget.check(ctx, res, nil); err != nil {
			return nil, fmt.Errorf("item %d: %w", k, err)
		}
	}
	res := make([]ir.Datum, len(outs))
	for j, items := range outs {
		dt := body.Outputs[j].Type.DType
		if items == nil {
			items = []*ir.Tensor{}
		}
		res[j] = ctlNewSeq(dt, items)
	}
	return res, nil
}

// ctlTypeOf describes a run-time value.
func ctlTypeOf(d ir.Datum) ir.Type {
	switch x := d.(type) {
	case *ir.Tensor:
		return x.Type()
	case *ir.Sequence:
		return ir.SequenceOf(x.Elem)
	case *ir.Optional:
		return ir.OptionalOf(x.Elem)
	}
	return ir.Type{}
}

func evalOptional(ctx ir.EvalContext, n *ir.Node, in []ir.Datum) ([]ir.Datum, error) {
	if len(in) > 0 && in[0] != nil {
		if _, ok := in[0].(*ir.Optional); ok {
			return nil, fmt.Errorf("input must be a tensor or sequence, got an optional")
		}
		return []ir.Datum{&ir.Optional{Elem: ctlTypeOf(in[0]), Value: in[0]}}, nil
	}
	a := n.Attr("type")
	if a == nil || a.Type == nil {
		return nil, fmt.Errorf("an Optional without input needs the type attribute")
	}
	return []ir.Datum{&ir.Optional{Elem: a.Type.Clone()}}, nil
}

func evalOptionalGetElement(ctx ir.EvalContext, n *ir.Node, in []ir.Datum) ([]ir.Datum, error) {
	switch x := in[0].(type) {
	case *ir.Optional:
		if x == nil || x.Value == nil {
			return nil, fmt.Errorf("the optional input is empty")
		}
		return []ir.Datum{x.Value}, nil
	case nil:
		return nil, fmt.Errorf("input is missing")
	}
	if ctx.Opset() < 18 {
		return nil, fmt.Errorf("input must be an optional before opset 18, got %T", in[0])
	}
	return []ir.Datum{in[0]}, nil
}

func evalOptionalHasElement(ctx ir.EvalContext, n *ir.Node, in []ir.Datum) ([]ir.Datum, error) {
	has := false
	if len(in) > 0 && in[0] != nil {
		switch x := in[0].(type) {
		case *ir.Optional:
			has = x != nil && x.Value != nil
		default:
			has = true
		}
	}
	return []ir.Datum{ctlBoolTensor(has)}, nil
}
