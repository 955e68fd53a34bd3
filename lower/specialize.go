package lower

import (
	"fmt"

	"github.com/llmc/llmc/backend/ref"
	"github.com/llmc/llmc/ir"
)

// ErrMemoryLimit is wrapped by errors about a buffer or an arena over the caller's memory cap.
var ErrMemoryLimit = ref.ErrMemoryLimit

// maxKnownElems bounds the small tensors Specialize evaluates (shape arithmetic).
const maxKnownElems = 4096

// Specialize infers the concrete type of every value of g for inputs of the given shapes, and
// evaluates whatever depends only on those shapes and constants (the Shape → Gather → Concat
// chains of unoptimized exports, Range, ...), so that a graph whose sizes the symbolic lowering
// cannot follow lowers for one input shape at a time: Lower(g, Options{Types: types, Known:
// known}). It fails with ErrUnresolved when a size depends on the input data.
func Specialize(g *ir.Graph, inputs map[string]ir.Type) (types map[*ir.Value]ir.Type, known map[*ir.Value]*ir.Tensor, err error) {
	types = map[*ir.Value]ir.Type{}
	known = map[*ir.Value]*ir.Tensor{}
	for _, v := range g.Inputs {
		t, ok := inputs[v.Name]
		if !ok {
			return nil, nil, fmt.Errorf("no type for input %q", v.Name)
		}
		types[v] = t
	}
	for _, c := range g.Consts {
		types[c] = c.Const.Type()
		known[c] = c.Const
	}
	for _, n := range g.Nodes {
		c := &ir.InferContext{Node: n, Graph: g, Opset: g.OpsetVersion(n.Domain), In: make([]ir.Type, len(n.Inputs)), Consts: make([]*ir.Tensor, len(n.Inputs))}
		allKnown := true
		for i, in := range n.Inputs {
			if in == nil {
				continue
			}
			c.In[i] = types[in]
			c.Consts[i] = known[in]
			if known[in] == nil {
				allKnown = false
			}
		}
		s := n.Schema()
		if s == nil {
			return nil, nil, fmt.Errorf("%s: %w", n.Describe(), ir.ErrUnknownOp)
		}
		ts, err := s.Infer(c)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", n.Describe(), err)
		}
		for i, out := range n.Outputs {
			if out == nil {
				continue
			}
			if !ts[i].Ranked || !ts[i].Shape.IsConcrete() || ts[i].Kind != ir.KindTensor {
				ts[i] = ir.Type{} // evaluated below, if it can be
			}
			types[out] = ts[i]
		}
		// Shape and Size of a concretely typed value are known now.
		if n.Domain == "" && (n.Op == "Shape" || n.Op == "Size") && n.Outputs[0] != nil {
			if dims, ok := types[n.Inputs[0]].Shape.Ints(); ok && types[n.Inputs[0]].Ranked {
				known[n.Outputs[0]] = shapeValue(n, dims)
				types[n.Outputs[0]] = known[n.Outputs[0]].Type()
				continue
			}
		}
		if !allKnown || s.Eval == nil || s.Flags&ir.Nondeterministic != 0 || len(n.Subgraphs()) > 0 {
			continue
		}
		args := make([]ir.Datum, len(n.Inputs))
		for i, in := range n.Inputs {
			if in != nil {
				args[i] = known[in]
			}
		}
		outs, err := ref.EvalNode(g, n, args, ref.Options{MaxMemory: 1 << 26})
		if err != nil {
			continue // it fails again, with its proper error, when it runs
		}
		for i, out := range n.Outputs {
			if out == nil {
				continue
			}
			t, ok := outs[i].(*ir.Tensor)
			if !ok || t.Len() > maxKnownElems {
				continue
			}
			known[out] = t
			types[out] = t.Type()
		}
	}
	for v, t := range types {
		if v.Def != nil && (t.Kind != ir.KindTensor || !t.Shape.IsConcrete()) {
			return nil, nil, fmt.Errorf("value %q: %w", v.Name, ErrUnresolved)
		}
	}
	return types, known, nil
}

// shapeValue computes Shape (with start/end) or Size of a tensor with the given dims.
func shapeValue(n *ir.Node, dims []int64) *ir.Tensor {
	if n.Op == "Size" {
		total := int64(1)
		for _, d := range dims {
			total *= d
		}
		return ir.ScalarInt64(total)
	}
	lo, hi := ir.ShapeRange(len(dims), n)
	sub := append([]int64{}, dims[lo:hi]...)
	return ir.FromInt64s([]int64{int64(len(sub))}, sub)
}
