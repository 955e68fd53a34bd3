package ref

import (
	"fmt"

	"github.com/llmc/llmc/ir"
)

// Evaluation of control flow: If, Loop and Scan run their body graphs with ctx.RunGraph, which
// lets body nodes read values of enclosing scopes.

func init() {
	ir.MustOp("", "If").Eval = evalIf
	ir.MustOp("", "Loop").Eval = evalLoop
	ir.MustOp("", "Scan").Eval = evalScan
}

// ctlBoolScalar reads a single-element bool tensor.
func ctlBoolScalar(d ir.Datum, what string) (bool, error) {
	t, ok := d.(*ir.Tensor)
	if !ok || t == nil {
		return false, fmt.Errorf("%s: got %T, want a bool tensor", what, d)
	}
	if t.DType != ir.Bool || t.Len() != 1 || len(t.Raw) != 1 {
		return false, fmt.Errorf("%s: got %s%v, want a single bool", what, t.DType, t.Shape)
	}
	return t.Raw[0] != 0, nil
}

// ctlIntScalar reads a single-element int32 or int64 tensor.
func ctlIntScalar(d ir.Datum, what string) (int64, error) {
	t, ok := d.(*ir.Tensor)
	if !ok || t == nil {
		return 0, fmt.Errorf("%s: got %T, want an integer tensor", what, d)
	}
	if (t.DType != ir.Int64 && t.DType != ir.Int32) || t.Len() != 1 || len(t.Raw) != t.DType.Size() {
		return 0, fmt.Errorf("%s: got %s%v, want a single int32 or int64", what, t.DType, t.Shape)
	}
	return t.Int64At(0), nil
}

// ctlBudget tracks the bytes a control-flow op holds across body runs (per-iteration outputs and
// loop-carried values), which the interpreter's live-memory accounting does not see, and checks
// them against the memory cap each time they double.
type ctlBudget struct {
	kept int64 // bytes of per-iteration outputs kept so far
	next int64 // total at which to check next
}

// check adds the bytes of kept to the running total and, when the total (plus the bytes of the
// transient values, e.g. the current loop-carried ones) has doubled since the last check, asks
// the interpreter for that much memory, failing with its memory-limit error when it is over.
func (b *ctlBudget) check(ctx ir.EvalContext, kept []ir.Datum, transient []ir.Datum) error {
	for _, d := range kept {
		b.kept += datumBytes(d)
	}
	total := b.kept
	for _, d := range transient {
		total += datumBytes(d)
	}
	if b.next == 0 {
		b.next = 1 << 20
	}
	if total < b.next {
		return nil
	}
	b.next = 2 * total
	if _, err := ctx.NewTensor(ir.Uint8, []int64{total}); err != nil {
		return fmt.Errorf("values kept across iterations: %w", err)
	}
	return nil
}

// ctlBodyArgs adapts values passed to a body's inputs: a tensor or sequence given to an input
// declared optional is wrapped in a non-empty optional (a loop-carried optional may become a
// sequence after the first iteration, as in ONNX's own loop tests).
func ctlBodyArgs(g *ir.Graph, args []ir.Datum) []ir.Datum {
	for i, d := range args {
		if i >= len(g.Inputs) || d == nil || g.Inputs[i].Type.Kind != ir.KindOptional {
			continue
		}
		if _, isOpt := d.(*ir.Optional); !isOpt {
			args[i] = &ir.Optional{Elem: ctlTypeOf(d), Value: d}
		}
	}
	return args
}

// ctlBoolTensor returns a bool scalar tensor.
func ctlBoolTensor(b bool) *ir.Tensor { return ir.FromBools(nil, []bool{b}) }

func evalIf(ctx ir.EvalContext, n *ir.Node, in []ir.Datum) ([]ir.Datum, error) {
	cond, err := ctlBoolScalar(in[0], "cond")
	if err != nil {
		return nil, err
	}
	name := "else_branch"
	if cond {
		name = "then_branch"
	}
	g := n.AttrGraph(name)
	if g == nil {
		return nil, fmt.Errorf("graph attribute %q is missing", name)
	}
	outs, err := ctx.RunGraph(g, nil)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(outs) != len(n.Outputs) {
		return nil, fmt.Errorf("%s produced %d outputs, node has %d", name, len(outs), len(n.Outputs))
	}
	return outs, nil
}

// ctlPlaceholder returns the dtype and shape of a value described by t, with unknown dims (and
// an unknown dtype) taken as 0 (and float32): what a zero-iteration output is built from.
func ctlPlaceholder(t ir.Type) (ir.DType, []int64) {
	dt := t.DType
	if dt == ir.Undefined {
		dt = ir.Float32
	}
	shape := []int64{}
	if t.Ranked {
		for _, d := range t.Shape {
			shape = append(shape, max(d.Value, 0))
		}
	}
	return dt, shape
}

// ctlEmptyStack returns the stack of zero per-iteration values described by t: a tensor with a
// 0-sized axis at position axis.
func ctlEmptyStack(ctx ir.EvalContext, t ir.Type, axis int) (*ir.Tensor, error) {
	dt, shape := ctlPlaceholder(t)
	if axis < 0 || axis > len(shape) {
		axis = 0
	}
	shape = append(shape[:axis:axis], append([]int64{0}, shape[axis:]...)...)
	return ctx.NewTensor(dt, shape)
}

func evalLoop(ctx ir.EvalContext, n *ir.Node, in []ir.Datum) ([]ir.Datum, error) {
	body := n.AttrGraph("body")
	if body == nil {
		return nil, fmt.Errorf("graph attribute \"body\" is missing")
	}
	nCarried := len(in) - 2
	if nCarried < 0 {
		return nil, fmt.Errorf("Loop needs at least 2 inputs (M and cond), got %d", len(in))
	}
	if len(body.Inputs) != nCarried+2 {
		return nil, fmt.Errorf("body takes %d inputs, want %d", len(body.Inputs), nCarried+2)
	}
	nScan := len(body.Outputs) - 1 - nCarried
	if nScan < 0 {
		return nil, fmt.Errorf("body has %d outputs, want at least %d", len(body.Outputs), 1+nCarried)
	}
	trip := int64(-1) // -1: no trip count
	if in[0] != nil {
		m, err := ctlIntScalar(in[0], "trip count M")
		if err != nil {
			return nil, err
		}
		trip = max(m, 0)
	}
	cond := true
	if in[1] != nil {
		c, err := ctlBoolScalar(in[1], "cond")
		if err != nil {
			return nil, err
		}
		cond = c
	}
	if in[0] == nil && in[1] == nil {
		return nil, fmt.Errorf("loop has neither a trip count nor a condition and would never end")
	}
	carried := append([]ir.Datum{}, in[2:]...)
	scans := make([][]*ir.Tensor, nScan)
	var budget ctlBudget
	for i := int64(0); cond && (trip < 0 || i < trip); i++ {
		args := append([]ir.Datum{ir.ScalarInt64(i), ctlBoolTensor(cond)}, carried...)
		outs, err := ctx.RunGraph(body, ctlBodyArgs(body, args))
		if err != nil {
			return nil, fmt.Errorf("iteration %d: %w", i, err)
		}
		if in[1] != nil { // without a cond input the body's condition output is ignored (a for loop)
			c, err := ctlBoolScalar(outs[0], fmt.Sprintf("iteration %d: body condition output", i))
			if err != nil {
				return nil, err
			}
			cond = c
		}
		copy(carried, outs[1:1+nCarried])
		for j := range scans {
			t, ok := outs[1+nCarried+j].(*ir.Tensor)
			if !ok {
				return nil, fmt.Errorf("iteration %d: scan output %d is a %T, want a tensor", i, j, outs[1+nCarried+j])
			}
			scans[j] = append(scans[j], t)
		}
		if err := budget.check(ctx, outs[1+nCarried:], carried); err != nil {
			return nil, fmt.Errorf("iteration %d: %w", i, err)
		}
	}
	res := make([]ir.Datum, nCarried+nScan)
	copy(res, carried)
	for j, items := range scans {
		var st *ir.Tensor
		var err error
		if len(items) == 0 {
			st, err = ctlEmptyStack(ctx, body.Outputs[1+nCarried+j].Type, 0)
		} else {
			st, err = ctlStack(ctx, items, 0)
		}
		if err != nil {
			return nil, fmt.Errorf("scan output %d: %w", j, err)
		}
		res[nCarried+j] = st
	}
	return res[:min(len(res), len(n.Outputs))], nil
}

// ctlAxesAttr returns the ints attribute name (default all zeros) with each entry normalized
// against the rank given by rank(i).
func ctlAxesAttr(n *ir.Node, name string, count int, rank func(i int) int) ([]int, error) {
	raw := n.AttrInts(name, nil)
	if raw != nil && len(raw) != count {
		return nil, fmt.Errorf("%s has %d entries, want %d", name, len(raw), count)
	}
	out := make([]int, count)
	for i := range out {
		a := int64(0)
		if raw != nil {
			a = raw[i]
		}
		ax, err := ir.NormalizeAxis(a, rank(i))
		if err != nil {
			return nil, fmt.Errorf("%s[%d]: %v", name, i, err)
		}
		out[i] = ax
	}
	return out, nil
}

// ctlDirections returns the 0/1 direction flags of attribute name (default all 0 = forward).
func ctlDirections(n *ir.Node, name string, count int) ([]bool, error) {
	raw := n.AttrInts(name, nil)
	if raw != nil && len(raw) != count {
		return nil, fmt.Errorf("%s has %d entries, want %d", name, len(raw), count)
	}
	out := make([]bool, count)
	for i := range raw {
		if raw[i] != 0 && raw[i] != 1 {
			return nil, fmt.Errorf("%s[%d] is %d, want 0 (forward) or 1 (reverse)", name, i, raw[i])
		}
		out[i] = raw[i] == 1
	}
	return out, nil
}

func evalScan(ctx ir.EvalContext, n *ir.Node, in []ir.Datum) ([]ir.Datum, error) {
	body := n.AttrGraph("body")
	if body == nil {
		return nil, fmt.Errorf("graph attribute \"body\" is missing")
	}
	if ctx.Opset() < 9 {
		return evalScan8(ctx, n, body, in)
	}
	m := int(n.AttrInt("num_scan_inputs", 0))
	if m < 1 || m > len(in) {
		return nil, fmt.Errorf("num_scan_inputs %d out of range for %d inputs", m, len(in))
	}
	nState := len(in) - m
	if len(body.Inputs) != len(in) {
		return nil, fmt.Errorf("body takes %d inputs, want %d", len(body.Inputs), len(in))
	}
	nOut := len(body.Outputs) - nState
	if nOut < 0 {
		return nil, fmt.Errorf("body has %d outputs, want at least %d states", len(body.Outputs), nState)
	}
	scanIn := make([]*ir.Tensor, m)
	for k := range scanIn {
		t, ok := in[nState+k].(*ir.Tensor)
		if !ok || t == nil {
			return nil, fmt.Errorf("scan input %d: got %T, want a tensor", k, in[nState+k])
		}
		scanIn[k] = t
	}
	inAxes, err := ctlAxesAttr(n, "scan_input_axes", m, func(i int) int { return len(scanIn[i].Shape) })
	if err != nil {
		return nil, err
	}
	inRev, err := ctlDirections(n, "scan_input_directions", m)
	if err != nil {
		return nil, err
	}
	outRev, err := ctlDirections(n, "scan_output_directions", nOut)
	if err != nil {
		return nil, err
	}
	seqLen := scanIn[0].Shape[inAxes[0]]
	for k, t := range scanIn {
		if t.Shape[inAxes[k]] != seqLen {
			return nil, fmt.Errorf("scan input %d has %d steps along axis %d, scan input 0 has %d", k, t.Shape[inAxes[k]], inAxes[k], seqLen)
		}
	}
	state := append([]ir.Datum{}, in[:nState]...)
	outs := make([][]*ir.Tensor, nOut)
	var budget ctlBudget
	for it := int64(0); it < seqLen; it++ {
		args := append([]ir.Datum{}, state...)
		for k, t := range scanIn {
			idx := it
			if inRev[k] {
				idx = seqLen - 1 - it
			}
			s, err := ctlTakeIndex(ctx, t, inAxes[k], idx)
			if err != nil {
				return nil, fmt.Errorf("scan input %d: %w", k, err)
			}
			args = append(args, s)
		}
		res, err := ctx.RunGraph(body, ctlBodyArgs(body, args))
		if err != nil {
			return nil, fmt.Errorf("iteration %d: %w", it, err)
		}
		copy(state, res[:nState])
		for j := range outs {
			t, ok := res[nState+j].(*ir.Tensor)
			if !ok {
				return nil, fmt.Errorf("iteration %d: scan output %d is a %T, want a tensor", it, j, res[nState+j])
			}
			outs[j] = append(outs[j], t)
		}
		if err := budget.check(ctx, res[nState:], state); err != nil {
			return nil, fmt.Errorf("iteration %d: %w", it, err)
		}
	}
	res := make([]ir.Datum, nState+nOut)
	copy(res, state)
	rawOutAxes := n.AttrInts("scan_output_axes", nil)
	if rawOutAxes != nil && len(rawOutAxes) != nOut {
		return nil, fmt.Errorf("scan_output_axes has %d entries, want %d", len(rawOutAxes), nOut)
	}
	for j, items := range outs {
		ax := int64(0)
		if rawOutAxes != nil {
			ax = rawOutAxes[j]
		}
		if outRev[j] {
			for a, b := 0, len(items)-1; a < b; a, b = a+1, b-1 {
				items[a], items[b] = items[b], items[a]
			}
		}
		var st *ir.Tensor
		if len(items) == 0 {
			bt := body.Outputs[nState+j].Type
			a, err := ir.NormalizeAxis(ax, max(bt.Rank(), 0)+1)
			if err != nil {
				return nil, fmt.Errorf("scan_output_axes[%d]: %v", j, err)
			}
			st, err = ctlEmptyStack(ctx, bt, a)
			if err != nil {
				return nil, err
			}
		} else {
			a, err := ir.NormalizeAxis(ax, len(items[0].Shape)+1)
			if err != nil {
				return nil, fmt.Errorf("scan_output_axes[%d]: %v", j, err)
			}
			if st, err = ctlStack(ctx, items, a); err != nil {
				return nil, fmt.Errorf("scan output %d: %w", j, err)
			}
		}
		res[nState+j] = st
	}
	return res[:min(len(res), len(n.Outputs))], nil
}

// evalScan8 runs the opset-8 Scan: every input has a leading batch axis; each batch entry is
// scanned separately along axis 1 of the scan inputs, for sequence_lens[b] steps (default all),
// and scan outputs are padded with zeros past a shorter sequence's end.
func evalScan8(ctx ir.EvalContext, n *ir.Node, body *ir.Graph, in []ir.Datum) ([]ir.Datum, error) {
	m := int(n.AttrInt("num_scan_inputs", 0))
	rest := in[1:]
	if m < 1 || m > len(rest) {
		return nil, fmt.Errorf("num_scan_inputs %d out of range for %d inputs", m, len(rest))
	}
	nState := len(rest) - m
	if len(body.Inputs) != len(rest) {
		return nil, fmt.Errorf("body takes %d inputs, want %d", len(body.Inputs), len(rest))
	}
	nOut := len(body.Outputs) - nState
	if nOut < 0 {
		return nil, fmt.Errorf("body has %d outputs, want at least %d states", len(body.Outputs), nState)
	}
	ts := make([]*ir.Tensor, len(rest))
	for i, d := range rest {
		t, ok := d.(*ir.Tensor)
		if !ok || t == nil {
			return nil, fmt.Errorf("input %d: got %T, want a tensor", i+1, d)
		}
		ts[i] = t
	}
	batch := int64(-1)
	for i, t := range ts {
		minRank := 1
		if i >= nState {
			minRank = 2
		}
		if len(t.Shape) < minRank {
			return nil, fmt.Errorf("input %d has shape %v, want rank >= %d (batch axis first)", i+1, t.Shape, minRank)
		}
		if batch >= 0 && t.Shape[0] != batch {
			return nil, fmt.Errorf("input %d has batch size %d, want %d", i+1, t.Shape[0], batch)
		}
		batch = t.Shape[0]
	}
	maxLen := ts[nState].Shape[1]
	for k := nState; k < len(ts); k++ {
		if ts[k].Shape[1] != maxLen {
			return nil, fmt.Errorf("scan input %d has %d steps, scan input 0 has %d", k-nState, ts[k].Shape[1], maxLen)
		}
	}
	var lens []int64
	if in[0] != nil {
		lt, ok := in[0].(*ir.Tensor)
		if !ok || !lt.DType.IsInt() || len(lt.Shape) != 1 || lt.Shape[0] != batch {
			return nil, fmt.Errorf("sequence_lens must be an integer tensor of shape [%d]", batch)
		}
		lens = lt.AsInt64s()
	}
	rev, err := ctlDirections(n, "directions", m)
	if err != nil {
		return nil, err
	}
	finalStates := make([][]*ir.Tensor, nState)
	scanOuts := make([][]*ir.Tensor, nOut) // per batch entry, padded to maxLen
	var budget ctlBudget
	for b := int64(0); b < batch; b++ {
		L := maxLen
		if lens != nil {
			L = lens[b]
			if L < 0 || L > maxLen {
				return nil, fmt.Errorf("sequence_lens[%d] = %d out of range [0, %d]", b, L, maxLen)
			}
		}
		state := make([]ir.Datum, nState)
		for i := range state {
			if state[i], err = ctlTakeIndex(ctx, ts[i], 0, b); err != nil {
				return nil, err
			}
		}
		seqs := make([]*ir.Tensor, m)
		for k := range seqs {
			if seqs[k], err = ctlTakeIndex(ctx, ts[nState+k], 0, b); err != nil {
				return nil, err
			}
		}
		steps := make([][]*ir.Tensor, nOut)
		for it := int64(0); it < L; it++ {
			args := append([]ir.Datum{}, state...)
			for k, s := range seqs {
				idx := it
				if rev[k] {
					idx = L - 1 - it
				}
				sl, err := ctlTakeIndex(ctx, s, 0, idx)
				if err != nil {
					return nil, err
				}
				args = append(args, sl)
			}
			res, err := ctx.RunGraph(body, ctlBodyArgs(body, args))
			if err != nil {
				return nil, fmt.Errorf("batch %d, iteration %d: %w", b, it, err)
			}
			copy(state, res[:nState])
			for j := range steps {
				t, ok := res[nState+j].(*ir.Tensor)
				if !ok {
					return nil, fmt.Errorf("scan output %d is a %T, want a tensor", j, res[nState+j])
				}
				steps[j] = append(steps[j], t)
			}
			if err := budget.check(ctx, res[nState:], state); err != nil {
				return nil, fmt.Errorf("batch %d, iteration %d: %w", b, it, err)
			}
		}
		for i := range state {
			t, ok := state[i].(*ir.Tensor)
			if !ok {
				return nil, fmt.Errorf("state %d is a %T, want a tensor", i, state[i])
			}
			finalStates[i] = append(finalStates[i], t)
		}
		for j, items := range steps {
			var proto *ir.Tensor
			if len(items) > 0 {
				proto = items[0]
			} else if len(scanOuts[j]) > 0 {
				if proto, err = ctlTakeIndex(ctx, scanOuts[j][0], 0, 0); err != nil {
					return nil, err
				}
			} else {
				dt, shape := ctlPlaceholder(body.Outputs[nState+j].Type)
				proto = &ir.Tensor{DType: dt, Shape: shape}
			}
			for int64(len(items)) < maxLen {
				z, err := ctx.NewTensor(proto.DType, proto.Shape)
				if err != nil {
					return nil, err
				}
				items = append(items, z)
			}
			st, err := ctlStack(ctx, items, 0)
			if err != nil {
				return nil, fmt.Errorf("scan output %d: %w", j, err)
			}
			scanOuts[j] = append(scanOuts[j], st)
		}
	}
	res := make([]ir.Datum, nState+nOut)
	for i, items := range finalStates {
		if len(items) == 0 {
			if res[i], err = ctlEmptyStack(ctx, body.Outputs[i].Type, 0); err != nil {
				return nil, err
			}
			continue
		}
		if res[i], err = ctlStack(ctx, items, 0); err != nil {
			return nil, fmt.Errorf("state %d: %w", i, err)
		}
	}
	for j, items := range scanOuts {
		if len(items) == 0 {
			if res[nState+j], err = ctlEmptyStack(ctx, body.Outputs[nState+j].Type, 0); err != nil {
				return nil, err
			}
			continue
		}
		if res[nState+j], err = ctlStack(ctx, items, 0); err != nil {
			return nil, fmt.Errorf("scan output %d: %w", j, err)
		}
	}
	return res[:min(len(res), len(n.Outputs))], nil
}
