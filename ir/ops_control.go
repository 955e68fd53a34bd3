package ir

import "fmt"

// Control-flow ops: If, Loop and Scan. Their bodies are graphs held in attributes (Parent = the
// graph holding the node); output types come from the bodies' output value types.

func init() {
	RegisterOp(&OpSchema{Name: "If", Since: 1, Category: "control", Flags: HasSubgraphs,
		Doc:   "runs then_branch when the scalar bool cond is true, else else_branch; outputs are the branch's outputs",
		MinIn: 1, MaxIn: 1, MinOut: 1, MaxOut: -1,
		Attrs: []AttrSpec{req("then_branch", AttrGraph), req("else_branch", AttrGraph)},
		Infer: inferIf})
	RegisterOp(&OpSchema{Name: "Loop", Since: 1, Category: "control", Flags: HasSubgraphs,
		Doc: "runs body while iteration < M and cond hold, threading loop-carried values and stacking scan outputs along a new axis 0",
		// M and cond are optional (may be empty) but their slots exist: inferLoop checks for 2.
		MinIn: 0, MaxIn: -1, MinOut: 1, MaxOut: -1,
		Attrs: []AttrSpec{req("body", AttrGraph)},
		Infer: inferLoop})
	RegisterOp(&OpSchema{Name: "Scan", Since: 8, Category: "control", Flags: HasSubgraphs,
		Doc: "runs body once per slice of the scan inputs along their scan axes, threading state values and stacking per-iteration scan outputs",
		// opset 8's first input (sequence_lens) may be empty; inferScan checks the count.
		MinIn: 0, MaxIn: -1, MinOut: 1, MaxOut: -1,
		Attrs: []AttrSpec{req("body", AttrGraph), req("num_scan_inputs", AttrInt),
			opt("directions", AttrInts), // opset 8
			opt("scan_input_axes", AttrInts), opt("scan_input_directions", AttrInts),
			opt("scan_output_axes", AttrInts), opt("scan_output_directions", AttrInts)},
		Infer: inferScan})
}

// ctlMergeTypes describes a value that is either of type a or of type b (If branches, loop-carried
// values): equal parts stay, differing dims become unknown, differing ranks become unranked.
func ctlMergeTypes(a, b Type) Type {
	if a.Kind == KindUnknown || b.Kind == KindUnknown || a.Kind != b.Kind {
		return Type{}
	}
	out := Type{Kind: a.Kind, KeyDType: a.KeyDType}
	if a.DType == b.DType {
		out.DType = a.DType
	}
	if a.Ranked && b.Ranked && len(a.Shape) == len(b.Shape) {
		out.Ranked = true
		out.Shape = make(Shape, len(a.Shape))
		for i := range a.Shape {
			if a.Shape[i] == b.Shape[i] {
				out.Shape[i] = a.Shape[i]
			} else {
				out.Shape[i] = UnknownDim()
			}
		}
	}
	if a.Elem != nil && b.Elem != nil {
		e := ctlMergeTypes(*a.Elem, *b.Elem)
		out.Elem = &e
	}
	return out
}

// ctlBody returns the graph attribute name of the node, or an error naming it.
func ctlBody(n *Node, name string) (*Graph, error) {
	g := n.AttrGraph(name)
	if g == nil {
		return nil, fmt.Errorf("graph attribute %q is missing", name)
	}
	return g, nil
}

// ctlOutTypes returns the declared types of a body's outputs (nil outputs are unknown).
func ctlOutTypes(g *Graph) []Type {
	ts := make([]Type, len(g.Outputs))
	for i, v := range g.Outputs {
		if v != nil {
			ts[i] = v.Type.Clone()
		}
	}
	return ts
}

func inferIf(c *InferContext) ([]Type, error) {
	if t := c.In[0]; t.Kind == KindTensor && t.DType != Undefined && t.DType != Bool {
		return nil, fmt.Errorf("cond must be bool, got %s", t)
	}
	if t := c.In[0]; t.Kind == KindTensor && t.Ranked && !ctlSingleElement(t.Shape) {
		return nil, fmt.Errorf("cond must hold a single element, got %s", t)
	}
	thenG, err := ctlBody(c.Node, "then_branch")
	if err != nil {
		return nil, err
	}
	elseG, err := ctlBody(c.Node, "else_branch")
	if err != nil {
		return nil, err
	}
	if len(thenG.Inputs) != 0 || len(elseG.Inputs) != 0 {
		return nil, fmt.Errorf("If branches take no inputs (then_branch has %d, else_branch %d)", len(thenG.Inputs), len(elseG.Inputs))
	}
	if len(thenG.Outputs) != len(elseG.Outputs) {
		return nil, fmt.Errorf("then_branch has %d outputs but else_branch has %d", len(thenG.Outputs), len(elseG.Outputs))
	}
	if len(c.Node.Outputs) != len(thenG.Outputs) {
		return nil, fmt.Errorf("node has %d outputs but the branches have %d", len(c.Node.Outputs), len(thenG.Outputs))
	}
	tt, et := ctlOutTypes(thenG), ctlOutTypes(elseG)
	out := make([]Type, len(tt))
	for i := range tt {
		if tt[i].Kind != KindUnknown && et[i].Kind != KindUnknown && tt[i].Kind != et[i].Kind {
			return nil, fmt.Errorf("output %d is %s in then_branch but %s in else_branch", i, tt[i], et[i])
		}
		out[i] = ctlMergeTypes(tt[i], et[i])
	}
	return out, nil
}

// ctlSingleElement reports whether a shape may hold exactly one element (scalar or all dims 1 or
// unknown).
func ctlSingleElement(s Shape) bool {
	for _, d := range s {
		if d.IsConcrete() && d.Value != 1 {
			return false
		}
	}
	return true
}

// ctlKnown describes a loop-carried value that is either its initial value (type a) or a body
// output (type b): their merge when both are known and of one kind; otherwise the body's type
// where known (a carried optional may become a sequence), else the initial type.
func ctlKnown(a, b Type) Type {
	switch {
	case a.Kind == KindUnknown:
		return b.Clone()
	case b.Kind == KindUnknown:
		return a.Clone()
	case a.Kind != b.Kind:
		return b.Clone()
	}
	return ctlMergeTypes(a, b)
}

// ctlStacked returns the type of per-iteration values of type t stacked along a new axis at
// position axis (negative counts from the end of the stacked rank), with that dim set to n.
func ctlStacked(t Type, axis int64, n Dim) (Type, error) {
	if t.Kind != KindTensor && t.Kind != KindUnknown {
		return Type{}, fmt.Errorf("scan outputs must be tensors, got %s", t)
	}
	if !t.Ranked {
		return UnrankedTensor(t.DType), nil
	}
	ax, err := NormalizeAxis(axis, len(t.Shape)+1)
	if err != nil {
		return Type{}, err
	}
	s := make(Shape, 0, len(t.Shape)+1)
	s = append(s, t.Shape[:ax]...)
	s = append(s, n)
	s = append(s, t.Shape[ax:]...)
	return TensorType(t.DType, s), nil
}

func inferLoop(c *InferContext) ([]Type, error) {
	body, err := ctlBody(c.Node, "body")
	if err != nil {
		return nil, err
	}
	nCarried := len(c.Node.Inputs) - 2
	if nCarried < 0 {
		return nil, fmt.Errorf("Loop needs at least 2 inputs (M and cond, either may be empty), got %d", len(c.Node.Inputs))
	}
	if t := c.In[0]; c.HasInput(0) && t.Kind == KindTensor && t.DType != Undefined && t.DType != Int64 {
		return nil, fmt.Errorf("trip count M must be int64, got %s", t)
	}
	if t := c.In[1]; c.HasInput(1) && t.Kind == KindTensor && t.DType != Undefined && t.DType != Bool {
		return nil, fmt.Errorf("cond must be bool, got %s", t)
	}
	if len(body.Inputs) != nCarried+2 {
		return nil, fmt.Errorf("body takes %d inputs, want %d (iteration number, condition, %d loop-carried values)", len(body.Inputs), nCarried+2, nCarried)
	}
	nScan := len(body.Outputs) - 1 - nCarried
	if nScan < 0 {
		return nil, fmt.Errorf("body has %d outputs, want at least %d (condition, %d loop-carried values)", len(body.Outputs), nCarried+1, nCarried)
	}
	if len(c.Node.Outputs) > nCarried+nScan {
		return nil, fmt.Errorf("node has %d outputs but the body yields %d loop-carried and %d scan outputs", len(c.Node.Outputs), nCarried, nScan)
	}
	bt := ctlOutTypes(body)
	out := make([]Type, nCarried+nScan)
	for i := 0; i < nCarried; i++ {
		out[i] = ctlKnown(c.In[2+i], bt[1+i])
	}
	// Without a cond input the body's condition output is ignored: a constant M is the trip count.
	steps := UnknownDim()
	if m, ok := c.ConstInt64s(0); ok && len(m) == 1 && !c.HasInput(1) {
		steps = D(max(m[0], 0))
	}
	for j := 0; j < nScan; j++ {
		t, err := ctlStacked(bt[1+nCarried+j], 0, steps)
		if err != nil {
			return nil, fmt.Errorf("scan output %d: %v", j, err)
		}
		out[nCarried+j] = t
	}
	return out, nil
}

func inferScan(c *InferContext) ([]Type, error) {
	body, err := ctlBody(c.Node, "body")
	if err != nil {
		return nil, err
	}
	m := c.Node.AttrInt("num_scan_inputs", 0)
	first := 0 // index of the first state input
	if c.Opset > 0 && c.Opset < 9 {
		first = 1 // opset 8: input 0 is the optional sequence_lens
	}
	nIn := len(c.Node.Inputs) - first
	for i := first; i < len(c.Node.Inputs); i++ {
		if c.Node.Inputs[i] == nil {
			return nil, fmt.Errorf("input %d is empty; only opset 8's sequence_lens may be", i)
		}
	}
	if m < 1 || m > int64(nIn) {
		return nil, fmt.Errorf("num_scan_inputs %d out of range: node has %d state and scan inputs", m, nIn)
	}
	nState := nIn - int(m)
	if len(body.Inputs) != nIn {
		return nil, fmt.Errorf("body takes %d inputs, want %d (%d states, %d scan slices)", len(body.Inputs), nIn, nState, m)
	}
	nScanOut := len(body.Outputs) - nState
	if nScanOut < 0 {
		return nil, fmt.Errorf("body has %d outputs, want at least %d states", len(body.Outputs), nState)
	}
	if len(c.Node.Outputs) > nState+nScanOut {
		return nil, fmt.Errorf("node has %d outputs but the body yields %d states and %d scan outputs", len(c.Node.Outputs), nState, nScanOut)
	}
	bt := ctlOutTypes(body)
	out := make([]Type, nState+nScanOut)
	if first == 1 {
		// Opset 8: every input and output has a leading batch dim.
		batch, seq := UnknownDim(), UnknownDim()
		if s, ok := c.RankedIn(first + nState); ok && len(s) >= 2 {
			batch, seq = s[0], s[1]
		}
		for i := 0; i < nState; i++ {
			t, err := ctlStacked(bt[i], 0, batch)
			if err != nil {
				return nil, fmt.Errorf("state %d: %v", i, err)
			}
			out[i] = t
		}
		for j := 0; j < nScanOut; j++ {
			t, err := ctlStacked(bt[nState+j], 0, seq)
			if err == nil {
				t, err = ctlStacked(t, 0, batch)
			}
			if err != nil {
				return nil, fmt.Errorf("scan output %d: %v", j, err)
			}
			out[nState+j] = t
		}
		return out, nil
	}
	inAxes := c.Node.AttrInts("scan_input_axes", nil)
	if inAxes != nil && len(inAxes) != int(m) {
		return nil, fmt.Errorf("scan_input_axes has %d entries, want num_scan_inputs=%d", len(inAxes), m)
	}
	if d := c.Node.AttrInts("scan_input_directions", nil); d != nil && len(d) != int(m) {
		return nil, fmt.Errorf("scan_input_directions has %d entries, want num_scan_inputs=%d", len(d), m)
	}
	outAxes := c.Node.AttrInts("scan_output_axes", nil)
	if outAxes != nil && len(outAxes) != nScanOut {
		return nil, fmt.Errorf("scan_output_axes has %d entries, want %d scan outputs", len(outAxes), nScanOut)
	}
	if d := c.Node.AttrInts("scan_output_directions", nil); d != nil && len(d) != nScanOut {
		return nil, fmt.Errorf("scan_output_directions has %d entries, want %d scan outputs", len(d), nScanOut)
	}
	seq := UnknownDim()
	for k := 0; k < int(m); k++ {
		s, ok := c.RankedIn(nState + k)
		if !ok {
			continue
		}
		ax := int64(0)
		if inAxes != nil {
			ax = inAxes[k]
		}
		a, err := NormalizeAxis(ax, len(s))
		if err != nil {
			return nil, fmt.Errorf("scan input %d: %v", k, err)
		}
		if d := s[a]; seq.IsUnknown() {
			seq = d
		} else if d.IsConcrete() && seq.IsConcrete() && d.Value != seq.Value {
			return nil, fmt.Errorf("scan inputs have different sequence lengths (%d and %d)", seq.Value, d.Value)
		}
	}
	for i := 0; i < nState; i++ {
		out[i] = ctlKnown(c.In[i], bt[i])
	}
	for j := 0; j < nScanOut; j++ {
		ax := int64(0)
		if outAxes != nil {
			ax = outAxes[j]
		}
		t, err := ctlStacked(bt[nState+j], ax, seq)
		if err != nil {
			return nil, fmt.Errorf("scan output %d: %v", j, err)
		}
		out[nState+j] = t
	}
	return out, nil
}
