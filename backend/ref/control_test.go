package ref

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/llmc/llmc/ir"
)

// ctlTB builds test graphs with subgraphs: unlike ir.Builder it exposes the graph under
// construction, so a body can name it as its Parent.
type ctlTB struct {
	t *testing.T
	g *ir.Graph
}

var ctlNameSeq int

func ctlName(hint string) string {
	ctlNameSeq++
	return fmt.Sprintf("%s_%d", hint, ctlNameSeq)
}

// ctlMain starts a main graph importing the default domain at opset and the training domain.
func ctlMain(t *testing.T, opset int64) *ctlTB {
	return &ctlTB{t: t, g: &ir.Graph{Name: ctlName("main"), Opsets: map[string]int64{"": opset, "ai.onnx.preview.training": 1}}}
}

// sub starts a subgraph of b's graph.
func (b *ctlTB) sub() *ctlTB { return &ctlTB{t: b.t, g: &ir.Graph{Name: ctlName("body"), Parent: b.g}} }

func (b *ctlTB) in(name string, ty ir.Type) *ir.Value {
	v := &ir.Value{Name: ctlName(name), Type: ty}
	b.g.Inputs = append(b.g.Inputs, v)
	return v
}

func (b *ctlTB) cst(t *ir.Tensor) *ir.Value {
	v := &ir.Value{Name: ctlName("c"), Type: t.Type(), Const: t}
	b.g.Consts = append(b.g.Consts, v)
	return v
}

// try adds a node and returns its outputs and the contract or inference error.
func (b *ctlTB) try(domain, op string, nout int, ins []*ir.Value, attrs ...ir.Attr) ([]*ir.Value, error) {
	n := &ir.Node{Name: ctlName(op), Op: op, Domain: domain, Inputs: ins}
	for _, a := range attrs {
		n.SetAttr(a)
	}
	outs := make([]*ir.Value, nout)
	for i := range outs {
		outs[i] = &ir.Value{Name: ctlName(op + "_out"), Def: n}
	}
	n.Outputs = outs
	if err := ir.CheckNodeContract(n, b.g.OpsetVersion(domain)); err != nil {
		return nil, err
	}
	ts, err := ir.InferNode(b.g, n)
	if err != nil {
		return nil, err
	}
	for i, v := range outs {
		v.Type = ts[i]
	}
	b.g.Nodes = append(b.g.Nodes, n)
	return outs, nil
}

func (b *ctlTB) opD(domain, op string, nout int, ins []*ir.Value, attrs ...ir.Attr) []*ir.Value {
	b.t.Helper()
	outs, err := b.try(domain, op, nout, ins, attrs...)
	require.NoError(b.t, err)
	return outs
}

func (b *ctlTB) op(op string, ins []*ir.Value, attrs ...ir.Attr) *ir.Value {
	b.t.Helper()
	return b.opD("", op, 1, ins, attrs...)[0]
}

func (b *ctlTB) out(vs ...*ir.Value) *ir.Graph {
	b.g.Outputs = append(b.g.Outputs, vs...)
	return b.g
}

// done marks the outputs of a main graph and verifies it.
func (b *ctlTB) done(vs ...*ir.Value) *ir.Graph {
	b.t.Helper()
	g := b.out(vs...)
	require.NoError(b.t, ir.Verify(g))
	return g
}

func ctlRun(t *testing.T, g *ir.Graph, in map[string]ir.Datum) []ir.Datum {
	t.Helper()
	outs, err := Run(g, in, Options{Seed: 1})
	require.NoError(t, err)
	return outs
}

func ctlF32(shape []int64, v ...float32) *ir.Tensor { return ir.FromFloat32s(shape, v) }
func ctlI64(shape []int64, v ...int64) *ir.Tensor   { return ir.FromInt64s(shape, v) }

func ctlBoolT(b bool) *ir.Tensor { return ir.FromBools(nil, []bool{b}) }

func ctlTensorOut(t *testing.T, d ir.Datum) *ir.Tensor {
	t.Helper()
	x, ok := d.(*ir.Tensor)
	require.True(t, ok, "got %T, want a tensor", d)
	return x
}

func TestCtlIf(t *testing.T) {
	b := ctlMain(t, 17)
	cond := b.in("cond", ir.TensorType(ir.Bool, ir.Shape{}))
	x := b.in("x", ir.TensorType(ir.Float32, ir.Shape{ir.Sym("batch"), ir.D(3)}))
	th := b.sub()
	thenG := th.out(th.op("Identity", []*ir.Value{x})) // reads the outer x
	el := b.sub()
	elseG := el.out(el.cst(ctlF32([]int64{2, 3}, 6, 5, 4, 3, 2, 1)))
	y := b.op("If", []*ir.Value{cond}, ir.AGraph("then_branch", thenG), ir.AGraph("else_branch", elseG))
	// Branch types merge: the symbolic batch vs 2 becomes unknown, 3 stays.
	require.Equal(t, ir.Float32, y.Type.DType)
	require.True(t, y.Type.Ranked)
	require.True(t, y.Type.Shape[0].IsUnknown())
	require.Equal(t, ir.D(3), y.Type.Shape[1])
	g := b.done(y)

	xv := ctlF32([]int64{1, 3}, 1, 2, 3)
	out := ctlRun(t, g, map[string]ir.Datum{cond.Name: ctlBoolT(true), x.Name: xv})
	require.Equal(t, []float32{1, 2, 3}, ctlTensorOut(t, out[0]).Float32s())
	out = ctlRun(t, g, map[string]ir.Datum{cond.Name: ctlBoolT(false), x.Name: xv})
	require.Equal(t, []int64{2, 3}, ctlTensorOut(t, out[0]).Shape)
	require.Equal(t, []float32{6, 5, 4, 3, 2, 1}, ctlTensorOut(t, out[0]).Float32s())

	// Same-shaped branches keep symbols.
	b2 := ctlMain(t, 17)
	c2 := b2.in("cond", ir.TensorType(ir.Bool, ir.Shape{}))
	x2 := b2.in("x", ir.TensorType(ir.Float32, ir.Shape{ir.Sym("batch")}))
	s1, s2 := b2.sub(), b2.sub()
	y2 := b2.op("If", []*ir.Value{c2}, ir.AGraph("then_branch", s1.out(s1.op("Identity", []*ir.Value{x2}))),
		ir.AGraph("else_branch", s2.out(s2.op("Identity", []*ir.Value{x2}))))
	require.Equal(t, "f32[batch]", y2.Type.String())
}

func TestCtlIfErrors(t *testing.T) {
	b := ctlMain(t, 17)
	cond := b.in("cond", ir.TensorType(ir.Bool, ir.Shape{}))
	x := b.in("x", ir.TensorType(ir.Float32, ir.Shape{ir.D(2)}))
	s1, s2 := b.sub(), b.sub()
	one := s1.out(s1.op("Identity", []*ir.Value{x}))
	two := s2.out(s2.op("Identity", []*ir.Value{x}), s2.op("Identity", []*ir.Value{x}))
	_, err := b.try("", "If", 1, []*ir.Value{cond}, ir.AGraph("then_branch", one), ir.AGraph("else_branch", two))
	require.ErrorContains(t, err, "outputs")
	// A non-bool condition is rejected by inference.
	_, err = b.try("", "If", 1, []*ir.Value{x}, ir.AGraph("then_branch", one), ir.AGraph("else_branch", one))
	require.ErrorContains(t, err, "cond must be bool")
	// ... and by evaluation (a bool of the wrong size).
	b2 := ctlMain(t, 17)
	c2 := b2.in("cond", ir.UnrankedTensor(ir.Bool))
	s3 := b2.sub()
	br := s3.out(s3.cst(ctlF32(nil, 1)))
	g := b2.done(b2.op("If", []*ir.Value{c2}, ir.AGraph("then_branch", br), ir.AGraph("else_branch", br)))
	_, err = Run(g, map[string]ir.Datum{c2.Name: ir.FromBools([]int64{2}, []bool{true, false})}, Options{})
	require.ErrorContains(t, err, "single bool")
}

// ctlCountingLoop builds Loop(M, cond, seq0) whose body appends the iteration number to the
// carried sequence and also emits it as a scan output; condOut (if non-nil) replaces the body's
// condition output.
func ctlCountingLoop(t *testing.T, condOut func(body *ctlTB) *ir.Value) (*ir.Graph, *ir.Value, *ir.Value) {
	b := ctlMain(t, 17)
	m := b.in("M", ir.TensorType(ir.Int64, ir.Shape{}))
	cond := b.in("cond", ir.TensorType(ir.Bool, ir.Shape{}))
	seq0 := b.op("SequenceEmpty", nil, ir.AInt("dtype", int64(ir.Int64)))
	body := b.sub()
	iter := body.in("iter", ir.TensorType(ir.Int64, ir.Shape{}))
	cin := body.in("cond_in", ir.TensorType(ir.Bool, ir.Shape{}))
	sin := body.in("seq_in", ir.SequenceOf(ir.UnrankedTensor(ir.Int64)))
	cout := body.op("Identity", []*ir.Value{cin})
	if condOut != nil {
		cout = condOut(body)
	}
	sout := body.op("SequenceInsert", []*ir.Value{sin, iter})
	scan := body.op("Identity", []*ir.Value{iter})
	bg := body.out(cout, sout, scan)
	outs := b.opD("", "Loop", 2, []*ir.Value{m, cond, seq0}, ir.AGraph("body", bg))
	require.Equal(t, ir.KindSequence, outs[0].Type.Kind)
	require.Equal(t, "i64[?]", outs[1].Type.String())
	return b.done(outs...), m, cond
}

func ctlSeqInts(t *testing.T, d ir.Datum) []int64 {
	t.Helper()
	s, ok := d.(*ir.Sequence)
	require.True(t, ok, "got %T, want a sequence", d)
	var out []int64
	for _, it := range s.Items {
		out = append(out, it.Int64s()...)
	}
	return out
}

func TestCtlLoop(t *testing.T) {
	g, m, cond := ctlCountingLoop(t, nil)
	run := func(trip int64, c bool) []ir.Datum {
		return ctlRun(t, g, map[string]ir.Datum{m.Name: ir.ScalarInt64(trip), cond.Name: ctlBoolT(c)})
	}
	out := run(4, true)
	require.Equal(t, []int64{0, 1, 2, 3}, ctlSeqInts(t, out[0]))
	scan := ctlTensorOut(t, out[1])
	require.Equal(t, []int64{4}, scan.Shape)
	require.Equal(t, []int64{0, 1, 2, 3}, scan.Int64s())
	// Zero iterations: by trip count and by initial condition.
	for _, o := range [][]ir.Datum{run(0, true), run(5, false)} {
		require.Empty(t, ctlSeqInts(t, o[0]))
		require.Equal(t, []int64{0}, ctlTensorOut(t, o[1]).Shape)
	}
	// A body condition that turns false stops after one iteration.
	g2, m2, c2 := ctlCountingLoop(t, func(body *ctlTB) *ir.Value {
		return body.op("Identity", []*ir.Value{body.cst(ctlBoolT(false))})
	})
	out = ctlRun(t, g2, map[string]ir.Datum{m2.Name: ir.ScalarInt64(10), c2.Name: ctlBoolT(true)})
	require.Equal(t, []int64{0}, ctlSeqInts(t, out[0]))
	require.Equal(t, []int64{0}, ctlTensorOut(t, out[1]).Int64s())
}

func TestCtlLoopOptionalInputsAndSymbols(t *testing.T) {
	// No trip count: the condition alone ends the loop. The carried tensor keeps its symbolic
	// shape; scan outputs of a rank-2 value stack to rank 3.
	b := ctlMain(t, 17)
	cond := b.in("cond", ir.TensorType(ir.Bool, ir.Shape{}))
	x := b.in("x", ir.TensorType(ir.Float32, ir.Shape{ir.Sym("batch"), ir.D(2)}))
	body := b.sub()
	body.in("iter", ir.TensorType(ir.Int64, ir.Shape{}))
	body.in("cond_in", ir.TensorType(ir.Bool, ir.Shape{}))
	xin := body.in("x_in", ir.TensorType(ir.Float32, ir.Shape{ir.Sym("batch"), ir.D(2)}))
	stop := body.op("Identity", []*ir.Value{body.cst(ctlBoolT(false))})
	bg := body.out(stop, body.op("Identity", []*ir.Value{xin}), body.op("Identity", []*ir.Value{xin}))
	outs := b.opD("", "Loop", 2, []*ir.Value{nil, cond, x}, ir.AGraph("body", bg))
	require.Equal(t, "f32[batch,2]", outs[0].Type.String())
	require.Equal(t, "f32[?,batch,2]", outs[1].Type.String())
	g := b.done(outs...)
	xv := ctlF32([]int64{1, 2}, 7, 8)
	out := ctlRun(t, g, map[string]ir.Datum{cond.Name: ctlBoolT(true), x.Name: xv})
	require.Equal(t, []float32{7, 8}, ctlTensorOut(t, out[0]).Float32s())
	require.Equal(t, []int64{1, 1, 2}, ctlTensorOut(t, out[1]).Shape)

	// Body arity mismatch is an inference error.
	_, err := b.try("", "Loop", 1, []*ir.Value{nil, cond}, ir.AGraph("body", bg))
	require.ErrorContains(t, err, "body takes 3 inputs")
}

// ctlShiftScan builds a Scan whose body emits the incoming state and keeps the current slice as
// the next state: scan output = [s0, x0, x1, ...] (in scan order), final state = last slice.
func ctlShiftScan(t *testing.T, opset int64, xType ir.Type, sType ir.Type, sliceType ir.Type, attrs ...ir.Attr) (*ir.Graph, *ir.Value, *ir.Value, []*ir.Value) {
	b := ctlMain(t, opset)
	s := b.in("s", sType)
	x := b.in("x", xType)
	body := b.sub()
	sin := body.in("s_in", sliceType)
	xin := body.in("x_in", sliceType)
	bg := body.out(body.op("Identity", []*ir.Value{xin}), body.op("Identity", []*ir.Value{sin}))
	ins := []*ir.Value{s, x}
	if opset < 9 {
		ins = []*ir.Value{nil, s, x}
	}
	attrs = append(attrs, ir.AGraph("body", bg), ir.AInt("num_scan_inputs", 1))
	outs := b.opD("", "Scan", 2, ins, attrs...)
	return b.done(outs...), s, x, outs
}

func TestCtlScan(t *testing.T) {
	f2 := ir.TensorType(ir.Float32, ir.Shape{ir.D(2)})
	g, s, x, outs := ctlShiftScan(t, 17, ir.TensorType(ir.Float32, ir.Shape{ir.Sym("seq"), ir.D(2)}), f2, f2)
	require.Equal(t, "f32[2]", outs[0].Type.String())
	require.Equal(t, "f32[seq,2]", outs[1].Type.String())
	s0 := ctlF32([]int64{2}, -1, -2)
	xv := ctlF32([]int64{3, 2}, 1, 2, 3, 4, 5, 6)
	out := ctlRun(t, g, map[string]ir.Datum{s.Name: s0, x.Name: xv})
	require.Equal(t, []float32{5, 6}, ctlTensorOut(t, out[0]).Float32s())
	require.Equal(t, []int64{3, 2}, ctlTensorOut(t, out[1]).Shape)
	require.Equal(t, []float32{-1, -2, 1, 2, 3, 4}, ctlTensorOut(t, out[1]).Float32s())

	// Reverse input: slices arrive x2, x1, x0.
	g, s, x, _ = ctlShiftScan(t, 17, ir.TensorType(ir.Float32, ir.Shape{ir.D(3), ir.D(2)}), f2, f2, ir.AInts("scan_input_directions", 1))
	out = ctlRun(t, g, map[string]ir.Datum{s.Name: s0, x.Name: xv})
	require.Equal(t, []float32{1, 2}, ctlTensorOut(t, out[0]).Float32s())
	require.Equal(t, []float32{-1, -2, 5, 6, 3, 4}, ctlTensorOut(t, out[1]).Float32s())

	// Reverse output: the per-iteration values are stored last to first.
	g, s, x, _ = ctlShiftScan(t, 17, ir.TensorType(ir.Float32, ir.Shape{ir.D(3), ir.D(2)}), f2, f2, ir.AInts("scan_output_directions", 1))
	out = ctlRun(t, g, map[string]ir.Datum{s.Name: s0, x.Name: xv})
	require.Equal(t, []float32{3, 4, 1, 2, -1, -2}, ctlTensorOut(t, out[1]).Float32s())

	// Scan along axis 1 of a [2,3] input, stacking outputs along axis 1: out[:, i] = step i.
	g, s, x, outs = ctlShiftScan(t, 17, ir.TensorType(ir.Float32, ir.Shape{ir.D(2), ir.D(3)}), f2, f2,
		ir.AInts("scan_input_axes", 1), ir.AInts("scan_output_axes", -1))
	require.Equal(t, "f32[2,3]", outs[1].Type.String())
	xt := ctlF32([]int64{2, 3}, 1, 3, 5, 2, 4, 6) // columns are (1,2), (3,4), (5,6)
	out = ctlRun(t, g, map[string]ir.Datum{s.Name: s0, x.Name: xt})
	require.Equal(t, []float32{5, 6}, ctlTensorOut(t, out[0]).Float32s())
	require.Equal(t, []float32{-1, 1, 3, -2, 2, 4}, ctlTensorOut(t, out[1]).Float32s())

	// Bad axis is an inference error.
	b := ctlMain(t, 17)
	xs := b.in("x", ir.TensorType(ir.Float32, ir.Shape{ir.D(3), ir.D(2)}))
	body := b.sub()
	xin := body.in("x_in", f2)
	bg := body.out(body.op("Identity", []*ir.Value{xin}))
	_, err := b.try("", "Scan", 1, []*ir.Value{xs}, ir.AGraph("body", bg), ir.AInt("num_scan_inputs", 1), ir.AInts("scan_input_axes", 2))
	require.ErrorContains(t, err, "axis 2 out of range for rank 2")
	_, err = b.try("", "Scan", 1, []*ir.Value{xs}, ir.AGraph("body", bg), ir.AInt("num_scan_inputs", 2))
	require.ErrorContains(t, err, "num_scan_inputs")
}

func TestCtlScan8Batched(t *testing.T) {
	f2 := ir.TensorType(ir.Float32, ir.Shape{ir.D(2)})
	g, s, x, outs := ctlShiftScan(t, 8, ir.TensorType(ir.Float32, ir.Shape{ir.Sym("B"), ir.D(2), ir.D(2)}),
		ir.TensorType(ir.Float32, ir.Shape{ir.Sym("B"), ir.D(2)}), f2)
	require.Equal(t, "f32[B,2]", outs[0].Type.String())
	require.Equal(t, "f32[B,2,2]", outs[1].Type.String())
	s0 := ctlF32([]int64{2, 2}, -1, -2, -3, -4)
	xv := ctlF32([]int64{2, 2, 2}, 1, 2, 3, 4, 5, 6, 7, 8)
	out := ctlRun(t, g, map[string]ir.Datum{s.Name: s0, x.Name: xv})
	require.Equal(t, []float32{3, 4, 7, 8}, ctlTensorOut(t, out[0]).Float32s())
	require.Equal(t, []float32{-1, -2, 1, 2, -3, -4, 5, 6}, ctlTensorOut(t, out[1]).Float32s())
}

func TestCtlLoopCarriedOptionalBecomesSequence(t *testing.T) {
	// The body takes an optional; after the first iteration it receives the sequence it
	// returned, which must reach it wrapped in an optional.
	b := ctlMain(t, 16)
	m := b.in("M", ir.TensorType(ir.Int64, ir.Shape{}))
	elemT := ir.SequenceOf(ir.TensorType(ir.Int64, ir.Shape{}))
	opt0 := b.op("Optional", nil, ir.Attr{Name: "type", Kind: ir.AttrType, Type: &elemT})
	body := b.sub()
	iter := body.in("iter", ir.TensorType(ir.Int64, ir.Shape{}))
	cin := body.in("cond_in", ir.TensorType(ir.Bool, ir.Shape{}))
	oin := body.in("opt_in", ir.OptionalOf(elemT))
	has := body.op("OptionalHasElement", []*ir.Value{oin})
	th := body.sub()
	thenG := th.out(th.op("OptionalGetElement", []*ir.Value{oin}))
	el := body.sub()
	elseG := el.out(el.op("SequenceEmpty", nil, ir.AInt("dtype", int64(ir.Int64))))
	seq := body.op("If", []*ir.Value{has}, ir.AGraph("then_branch", thenG), ir.AGraph("else_branch", elseG))
	bg := body.out(body.op("Identity", []*ir.Value{cin}), body.op("SequenceInsert", []*ir.Value{seq, iter}))
	outs := b.opD("", "Loop", 1, []*ir.Value{m, nil, opt0}, ir.AGraph("body", bg))
	require.Equal(t, ir.KindSequence, outs[0].Type.Kind)
	g := b.done(outs...)
	out := ctlRun(t, g, map[string]ir.Datum{m.Name: ir.ScalarInt64(3)})
	require.Equal(t, []int64{0, 1, 2}, ctlSeqInts(t, out[0]))
}

func TestCtlLoopWithoutCondIsAForLoop(t *testing.T) {
	// With no cond input the body's condition output is ignored, and a constant M fixes the
	// number of scan steps.
	b := ctlMain(t, 17)
	m := b.cst(ir.ScalarInt64(3))
	body := b.sub()
	iter := body.in("iter", ir.TensorType(ir.Int64, ir.Shape{}))
	body.in("cond_in", ir.TensorType(ir.Bool, ir.Shape{}))
	stop := body.op("Identity", []*ir.Value{body.cst(ctlBoolT(false))})
	bg := body.out(stop, body.op("Identity", []*ir.Value{iter}))
	outs := b.opD("", "Loop", 1, []*ir.Value{m, nil}, ir.AGraph("body", bg))
	require.Equal(t, "i64[3]", outs[0].Type.String())
	g := b.done(outs...)
	out := ctlRun(t, g, map[string]ir.Datum{})
	require.Equal(t, []int64{0, 1, 2}, ctlTensorOut(t, out[0]).Int64s())
}

func TestCtlLoopMemoryCap(t *testing.T) {
	// A long loop whose scan outputs would need 64 GiB fails early with the memory-limit error.
	b := ctlMain(t, 17)
	x := b.in("x", ir.TensorType(ir.Float32, ir.Shape{ir.D(16384)}))
	body := b.sub()
	body.in("iter", ir.TensorType(ir.Int64, ir.Shape{}))
	cin := body.in("cond_in", ir.TensorType(ir.Bool, ir.Shape{}))
	bg := body.out(body.op("Identity", []*ir.Value{cin}), body.op("Identity", []*ir.Value{x}))
	outs := b.opD("", "Loop", 1, []*ir.Value{b.cst(ir.ScalarInt64(1 << 20)), nil}, ir.AGraph("body", bg))
	g := b.done(outs...)
	_, err := Run(g, map[string]ir.Datum{x.Name: ir.MustTensor(ir.Float32, 16384)}, Options{MaxMemory: 4 << 20})
	require.ErrorIs(t, err, ErrMemoryLimit)
	require.ErrorContains(t, err, "iteration")
}

func TestCtlScan8SequenceLens(t *testing.T) {
	// Batch entry 1 runs one step of two: its scan output is padded with zeros and its final
	// state is its first slice. Entry 0 scans in reverse (directions=[1]).
	f2 := ir.TensorType(ir.Float32, ir.Shape{ir.D(2)})
	b := ctlMain(t, 8)
	lens := b.in("lens", ir.TensorType(ir.Int64, ir.Shape{ir.D(2)}))
	s := b.in("s", ir.TensorType(ir.Float32, ir.Shape{ir.D(2), ir.D(2)}))
	x := b.in("x", ir.TensorType(ir.Float32, ir.Shape{ir.D(2), ir.D(2), ir.D(2)}))
	body := b.sub()
	sin := body.in("s_in", f2)
	xin := body.in("x_in", f2)
	bg := body.out(body.op("Identity", []*ir.Value{xin}), body.op("Identity", []*ir.Value{sin}))
	outs := b.opD("", "Scan", 2, []*ir.Value{lens, s, x}, ir.AGraph("body", bg), ir.AInt("num_scan_inputs", 1), ir.AInts("directions", 1))
	g := b.done(outs...)
	out := ctlRun(t, g, map[string]ir.Datum{lens.Name: ctlI64([]int64{2}, 2, 1),
		s.Name: ctlF32([]int64{2, 2}, -1, -2, -3, -4), x.Name: ctlF32([]int64{2, 2, 2}, 1, 2, 3, 4, 5, 6, 7, 8)})
	require.Equal(t, []float32{1, 2, 5, 6}, ctlTensorOut(t, out[0]).Float32s())
	require.Equal(t, []float32{-1, -2, 3, 4, -3, -4, 0, 0}, ctlTensorOut(t, out[1]).Float32s())
	_, err := Run(g, map[string]ir.Datum{lens.Name: ctlI64([]int64{2}, 3, 1),
		s.Name: ctlF32([]int64{2, 2}, -1, -2, -3, -4), x.Name: ctlF32([]int64{2, 2, 2}, 1, 2, 3, 4, 5, 6, 7, 8)}, Options{})
	require.ErrorContains(t, err, "sequence_lens[0] = 3 out of range")
}
