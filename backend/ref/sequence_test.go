package ref

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/llmc/llmc/ir"
)

func ctlSeqOut(t *testing.T, d ir.Datum) *ir.Sequence {
	t.Helper()
	s, ok := d.(*ir.Sequence)
	require.True(t, ok, "got %T, want a sequence", d)
	return s
}

func TestCtlSequenceBasics(t *testing.T) {
	b := ctlMain(t, 17)
	a := b.in("a", ir.TensorType(ir.Float32, ir.Shape{ir.Sym("n"), ir.D(2)}))
	c := b.in("c", ir.TensorType(ir.Float32, ir.Shape{ir.Sym("n"), ir.D(2)}))
	seq := b.op("SequenceConstruct", []*ir.Value{a, c})
	require.Equal(t, "seq<f32[n,2]>", seq.Type.String())
	last := b.op("SequenceAt", []*ir.Value{seq, b.cst(ir.ScalarInt64(-1))})
	require.Equal(t, "f32[n,2]", last.Type.String())
	ins := b.op("SequenceInsert", []*ir.Value{seq, a, b.cst(ir.ScalarInt64(0))})         // [a, a, c]
	app := b.op("SequenceInsert", []*ir.Value{ins, c})                                   // [a, a, c, c]
	er := b.op("SequenceErase", []*ir.Value{app, b.cst(ir.FromInt32s(nil, []int32{1}))}) // [a, c, c]
	erLast := b.op("SequenceErase", []*ir.Value{er})                                     // [a, c]
	ln := b.op("SequenceLength", []*ir.Value{er})
	require.Equal(t, "i64[]", ln.Type.String())
	g := b.done(seq, last, er, erLast, ln)

	av := ctlF32([]int64{1, 2}, 1, 2)
	cv := ctlF32([]int64{1, 2}, 3, 4)
	out := ctlRun(t, g, map[string]ir.Datum{a.Name: av, c.Name: cv})
	require.Len(t, ctlSeqOut(t, out[0]).Items, 2)
	require.Equal(t, []float32{3, 4}, ctlTensorOut(t, out[1]).Float32s())
	var got []float32
	for _, it := range ctlSeqOut(t, out[2]).Items {
		got = append(got, it.Float32s()...)
	}
	require.Equal(t, []float32{1, 2, 3, 4, 3, 4}, got)
	require.Len(t, ctlSeqOut(t, out[3]).Items, 2)
	require.Equal(t, []int64{3}, ctlTensorOut(t, out[4]).Int64s())
}

func TestCtlSequenceErrors(t *testing.T) {
	b := ctlMain(t, 17)
	a := b.in("a", ir.TensorType(ir.Float32, ir.Shape{ir.D(2)}))
	i := b.in("i", ir.TensorType(ir.Int64, ir.Shape{}))
	seq := b.op("SequenceConstruct", []*ir.Value{a})
	// Inference: a tensor is not a sequence; a float tensor is not a position; a sequence of
	// float32 takes no int64 tensors.
	_, err := b.try("", "SequenceAt", 1, []*ir.Value{a, i})
	require.ErrorContains(t, err, "must be a sequence")
	_, err = b.try("", "SequenceAt", 1, []*ir.Value{seq, a})
	require.ErrorContains(t, err, "position")
	_, err = b.try("", "SequenceInsert", 1, []*ir.Value{seq, i})
	require.ErrorContains(t, err, "cannot be inserted")
	_, err = b.try("", "SequenceConstruct", 1, []*ir.Value{a, i})
	require.ErrorContains(t, err, "one element type")
	at := b.op("SequenceAt", []*ir.Value{seq, i})
	g := b.done(at)
	// Evaluation: position out of range.
	_, err = Run(g, map[string]ir.Datum{a.Name: ctlF32([]int64{2}, 1, 2), i.Name: ir.ScalarInt64(1)}, Options{})
	require.ErrorContains(t, err, "position 1 out of range for a sequence of length 1")
	out := ctlRun(t, g, map[string]ir.Datum{a.Name: ctlF32([]int64{2}, 1, 2), i.Name: ir.ScalarInt64(-1)})
	require.Equal(t, []float32{1, 2}, ctlTensorOut(t, out[0]).Float32s())

	// Concatenating an empty sequence fails at run time.
	b2 := ctlMain(t, 17)
	e := b2.op("SequenceEmpty", nil)
	require.Equal(t, "seq<f32[*]>", e.Type.String())
	g2 := b2.done(b2.op("ConcatFromSequence", []*ir.Value{e}, ir.AInt("axis", 0)))
	_, err = Run(g2, map[string]ir.Datum{}, Options{})
	require.ErrorContains(t, err, "empty sequence")
}

func TestCtlSplitAndConcat(t *testing.T) {
	b := ctlMain(t, 17)
	x := b.in("x", ir.TensorType(ir.Int64, ir.Shape{ir.Sym("batch"), ir.D(5)}))
	// No split: size-1 pieces along axis 1, the axis kept or dropped.
	keep := b.op("SplitToSequence", []*ir.Value{x}, ir.AInt("axis", 1))
	require.Equal(t, "seq<i64[batch,1]>", keep.Type.String())
	drop := b.op("SplitToSequence", []*ir.Value{x}, ir.AInt("axis", -1), ir.AInt("keepdims", 0))
	require.Equal(t, "seq<i64[batch]>", drop.Type.String())
	// Scalar split 2 of 5: chunks 2, 2, 1.
	sc := b.op("SplitToSequence", []*ir.Value{x, b.cst(ir.ScalarInt64(2))}, ir.AInt("axis", 1))
	require.Equal(t, "seq<i64[batch,?]>", sc.Type.String())
	// 1-D split [1, 4].
	sp := b.op("SplitToSequence", []*ir.Value{x, b.cst(ir.FromInt32s([]int64{2}, []int32{1, 4}))}, ir.AInt("axis", 1))
	// Reassemble: concat along axis 1 gives x back; stacking the dropped pieces along a new
	// last axis gives x back too; stacking along a new axis 0 gives its transpose.
	cat := b.op("ConcatFromSequence", []*ir.Value{sp}, ir.AInt("axis", 1))
	require.Equal(t, "i64[batch,?]", cat.Type.String())
	stk := b.op("ConcatFromSequence", []*ir.Value{drop}, ir.AInt("axis", -1), ir.AInt("new_axis", 1))
	require.Equal(t, "i64[batch,?]", stk.Type.String())
	tr := b.op("ConcatFromSequence", []*ir.Value{drop}, ir.AInt("axis", 0), ir.AInt("new_axis", 1))
	require.Equal(t, "i64[?,batch]", tr.Type.String())
	g := b.done(keep, drop, sc, sp, cat, stk, tr)

	xv := ctlI64([]int64{2, 5}, 0, 1, 2, 3, 4, 10, 11, 12, 13, 14)
	out := ctlRun(t, g, map[string]ir.Datum{x.Name: xv})
	k := ctlSeqOut(t, out[0])
	require.Len(t, k.Items, 5)
	require.Equal(t, []int64{2, 1}, k.Items[3].Shape)
	require.Equal(t, []int64{3, 13}, k.Items[3].Int64s())
	d := ctlSeqOut(t, out[1])
	require.Equal(t, []int64{2}, d.Items[4].Shape)
	require.Equal(t, []int64{4, 14}, d.Items[4].Int64s())
	s := ctlSeqOut(t, out[2])
	require.Len(t, s.Items, 3)
	require.Equal(t, []int64{2, 1}, s.Items[2].Shape)
	require.Equal(t, []int64{2, 3, 12, 13}, s.Items[1].Int64s())
	p := ctlSeqOut(t, out[3])
	require.Equal(t, []int64{2, 4}, p.Items[1].Shape)
	require.Equal(t, []int64{1, 2, 3, 4, 11, 12, 13, 14}, p.Items[1].Int64s())
	require.Equal(t, xv.Int64s(), ctlTensorOut(t, out[4]).Int64s())
	require.Equal(t, []int64{2, 5}, ctlTensorOut(t, out[5]).Shape)
	require.Equal(t, xv.Int64s(), ctlTensorOut(t, out[5]).Int64s())
	require.Equal(t, []int64{5, 2}, ctlTensorOut(t, out[6]).Shape)
	require.Equal(t, []int64{0, 10, 1, 11, 2, 12, 3, 13, 4, 14}, ctlTensorOut(t, out[6]).Int64s())

	// Errors: split lengths that do not sum to the axis; a bad axis.
	_, err := b.try("", "SplitToSequence", 1, []*ir.Value{x, b.cst(ir.FromInt64s([]int64{2}, []int64{1, 1}))}, ir.AInt("axis", 1))
	require.ErrorContains(t, err, "sum to 2")
	_, err = b.try("", "SplitToSequence", 1, []*ir.Value{x}, ir.AInt("axis", 2))
	require.ErrorContains(t, err, "axis 2 out of range for rank 2")
	_, err = b.try("", "ConcatFromSequence", 1, []*ir.Value{keep}, ir.AInt("axis", 3), ir.AInt("new_axis", 1))
	require.ErrorContains(t, err, "axis 3 out of range for rank 3")
	b2 := ctlMain(t, 17)
	x2 := b2.in("x", ir.UnrankedTensor(ir.Float32))
	n2 := b2.in("n", ir.UnrankedTensor(ir.Int64))
	g2 := b2.done(b2.op("SplitToSequence", []*ir.Value{x2, n2}))
	_, err = Run(g2, map[string]ir.Datum{x2.Name: ctlF32([]int64{3}, 1, 2, 3), n2.Name: ctlI64([]int64{2}, 1, 1)}, Options{})
	require.ErrorContains(t, err, "sum to 2")
}

func TestCtlSequenceStrings(t *testing.T) {
	b := ctlMain(t, 17)
	x := b.in("x", ir.TensorType(ir.String, ir.Shape{ir.D(3)}))
	seq := b.op("SplitToSequence", []*ir.Value{x}, ir.AInt("keepdims", 0))
	g := b.done(b.op("ConcatFromSequence", []*ir.Value{seq}, ir.AInt("axis", 0), ir.AInt("new_axis", 1)))
	xv := ir.MustTensor(ir.String, 3)
	xv.Strings = [][]byte{[]byte("a"), []byte("bc"), []byte("")}
	out := ctlRun(t, g, map[string]ir.Datum{x.Name: xv})
	require.True(t, xv.Equal(ctlTensorOut(t, out[0])))
}

func TestCtlSequenceMap(t *testing.T) {
	b := ctlMain(t, 17)
	x := b.in("x", ir.TensorType(ir.Float32, ir.Shape{ir.D(2), ir.D(3)}))
	extra := b.in("extra", ir.TensorType(ir.Int64, ir.Shape{ir.D(1)}))
	seq := b.op("SplitToSequence", []*ir.Value{x}, ir.AInt("keepdims", 0))
	body := b.sub()
	item := body.in("item", ir.TensorType(ir.Float32, ir.Shape{ir.D(3)}))
	e := body.in("e", ir.TensorType(ir.Int64, ir.Shape{ir.D(1)}))
	bg := body.out(body.op("Identity", []*ir.Value{item}), body.op("Identity", []*ir.Value{e}))
	outs := b.opD("", "SequenceMap", 2, []*ir.Value{seq, extra}, ir.AGraph("body", bg))
	require.Equal(t, "seq<f32[3]>", outs[0].Type.String())
	require.Equal(t, "seq<i64[1]>", outs[1].Type.String())
	g := b.done(outs...)
	out := ctlRun(t, g, map[string]ir.Datum{x.Name: ctlF32([]int64{2, 3}, 1, 2, 3, 4, 5, 6), extra.Name: ctlI64([]int64{1}, 9)})
	s0, s1 := ctlSeqOut(t, out[0]), ctlSeqOut(t, out[1])
	require.Len(t, s0.Items, 2)
	require.Equal(t, []float32{4, 5, 6}, s0.Items[1].Float32s())
	require.Equal(t, []int64{9, 9}, ctlSeqInts(t, s1))
}

func TestCtlOptional(t *testing.T) {
	b := ctlMain(t, 18)
	x := b.in("x", ir.TensorType(ir.Float32, ir.Shape{ir.Sym("n")}))
	o := b.op("Optional", []*ir.Value{x})
	require.Equal(t, "opt<f32[n]>", o.Type.String())
	elemT := ir.TensorType(ir.Int64, ir.Shape{})
	empty := b.op("Optional", nil, ir.Attr{Name: "type", Kind: ir.AttrType, Type: &elemT})
	require.Equal(t, "opt<i64[]>", empty.Type.String())
	get := b.op("OptionalGetElement", []*ir.Value{o})
	require.Equal(t, "f32[n]", get.Type.String())
	h1 := b.op("OptionalHasElement", []*ir.Value{o})
	h2 := b.op("OptionalHasElement", []*ir.Value{empty})
	h3 := b.op("OptionalHasElement", nil)
	h4 := b.op("OptionalHasElement", []*ir.Value{x}) // opset 18: a plain tensor has an element
	g := b.done(get, h1, h2, h3, h4)
	out := ctlRun(t, g, map[string]ir.Datum{x.Name: ctlF32([]int64{2}, 1, 2)})
	require.Equal(t, []float32{1, 2}, ctlTensorOut(t, out[0]).Float32s())
	for i, want := range []bool{true, false, false, true} {
		require.Equal(t, []bool{want}, ctlTensorOut(t, out[1+i]).Bools(), "output %d", i+1)
	}

	// Getting the element of an empty optional is an error; before opset 18 the input must be
	// an optional.
	b2 := ctlMain(t, 15)
	e2 := b2.op("Optional", nil, ir.Attr{Name: "type", Kind: ir.AttrType, Type: &elemT})
	g2 := b2.done(b2.op("OptionalGetElement", []*ir.Value{e2}))
	_, err := Run(g2, map[string]ir.Datum{}, Options{})
	require.ErrorContains(t, err, "optional input is empty")
	xt := b2.in("x", ir.TensorType(ir.Float32, ir.Shape{ir.D(1)}))
	_, err = b2.try("", "OptionalGetElement", 1, []*ir.Value{xt})
	require.ErrorContains(t, err, "must be an optional")
	_, err = b2.try("", "Optional", 1, nil)
	require.ErrorContains(t, err, "type attribute")
}

func TestCtlSequencePositionOfShapeOne(t *testing.T) {
	// ONNX's own tests pass positions of shape [1]; they work like scalars.
	b := ctlMain(t, 17)
	a := b.in("a", ir.TensorType(ir.Int64, ir.Shape{}))
	seq := b.op("SequenceConstruct", []*ir.Value{a, a})
	ins := b.op("SequenceInsert", []*ir.Value{seq, b.cst(ir.ScalarInt64(7)), b.cst(ctlI64([]int64{1}, 0))})
	g := b.done(ins)
	out := ctlRun(t, g, map[string]ir.Datum{a.Name: ir.ScalarInt64(1)})
	require.Equal(t, []int64{7, 1, 1}, ctlSeqInts(t, out[0]))
	_, err := b.try("", "SequenceAt", 1, []*ir.Value{seq, b.cst(ctlI64([]int64{2}, 0, 1))})
	require.ErrorContains(t, err, "position must be a scalar")
}

// TestCtlInferNeverPanics feeds every op of this family every input count its contract allows,
// with odd types (unknown, unranked, scalars, empty, sequences, optionals) and odd attributes,
// and checks that inference returns types or errors.
func TestCtlInferNeverPanics(t *testing.T) {
	ops := []struct{ domain, name string }{
		{"", "If"}, {"", "Loop"}, {"", "Scan"}, {"", "SequenceConstruct"}, {"", "SequenceEmpty"},
		{"", "SequenceAt"}, {"", "SequenceInsert"}, {"", "SequenceErase"}, {"", "SequenceLength"},
		{"", "SplitToSequence"}, {"", "ConcatFromSequence"}, {"", "SequenceMap"}, {"", "Optional"},
		{"", "OptionalGetElement"}, {"", "OptionalHasElement"}, {"", "Bernoulli"}, {"", "RandomUniform"},
		{"", "RandomUniformLike"}, {"", "RandomNormal"}, {"", "RandomNormalLike"}, {"", "Multinomial"},
		{"", "StringNormalizer"}, {"", "TfIdfVectorizer"}, {"", "SoftmaxCrossEntropyLoss"},
		{"", "NegativeLogLikelihoodLoss"}, {"ai.onnx.preview.training", "Adam"},
		{"ai.onnx.preview.training", "Adagrad"}, {"ai.onnx.preview.training", "Momentum"},
		{"ai.onnx.preview.training", "Gradient"},
	}
	types := []ir.Type{{}, ir.UnrankedTensor(ir.Float32), ir.TensorType(ir.Int64, ir.Shape{}),
		ir.TensorType(ir.Float32, ir.Shape{ir.Sym("n"), ir.D(3)}), ir.TensorType(ir.Bool, ir.Shape{ir.D(0)}),
		{Kind: ir.KindSequence}, ir.SequenceOf(ir.TensorType(ir.Float32, ir.Shape{ir.D(2)})), {Kind: ir.KindOptional}}
	g := &ir.Graph{Name: "g", Opsets: map[string]int64{"": 17, "ai.onnx.preview.training": 1}}
	body := &ir.Graph{Name: "body", Parent: g}
	attrs := []ir.Attr{ir.AGraph("body", body), ir.AGraph("then_branch", body), ir.AGraph("else_branch", body),
		ir.AInt("num_scan_inputs", 2), ir.AInt("axis", -7), ir.AInts("shape", -1), ir.AInts("ngram_indexes", -1),
		{Name: "xs", Kind: ir.AttrStrings, Strings: [][]byte{[]byte("x")}}}
	for _, op := range ops {
		s := ir.MustOp(op.domain, op.name)
		for nin := 0; nin <= 4; nin++ {
			if nin < s.MinIn || (s.MaxIn >= 0 && nin > s.MaxIn) {
				continue // the contract check, which runs first, rejects these
			}
			for ti, ty := range types {
				for withAttrs := 0; withAttrs < 2; withAttrs++ {
					n := &ir.Node{Op: op.name, Domain: op.domain, Outputs: []*ir.Value{{Name: "y"}}}
					c := &ir.InferContext{Node: n, Graph: g, Opset: 17}
					for i := 0; i < nin; i++ {
						n.Inputs = append(n.Inputs, &ir.Value{Name: "x", Type: ty})
						c.In = append(c.In, ty)
						c.Consts = append(c.Consts, nil)
					}
					if withAttrs == 1 {
						for _, a := range attrs {
							n.SetAttr(a)
						}
					}
					func() {
						defer func() {
							if r := recover(); r != nil {
								t.Errorf("%s inference panicked with %d inputs of type %d (attrs %v): %v", op.name, nin, ti, withAttrs == 1, r)
							}
						}()
						_, _ = s.Infer(c)
					}()
				}
			}
		}
	}
}
