package plan

import (
	"errors"
	"fmt"

	"github.com/llmc/llmc/backend/ref"
	"github.com/llmc/llmc/ir"
)

// ErrDataDependent means a graph has a value whose size depends on input data (not only on
// input shapes), so it cannot be planned ahead; Model.Run then uses the reference interpreter.
var ErrDataDependent = errors.New("size not known before running (data-dependent shape)")

// maxPlanConstElems bounds the small integer tensors evaluated at plan time (shape arithmetic).
const maxPlanConstElems = 4096

// concreteTypes infers the concrete type of every value of g for the given input tensors, and
// evaluates at plan time whatever depends only on shapes and constants (Shape→Gather→Concat
// chains of unoptimized exports), so that every intermediate has a known size.
func concreteTypes(g *ir.Graph, inputs map[string]*ir.Tensor) (map[*ir.Value]ir.Type, map[*ir.Value]*ir.Tensor, error) {
	types := map[*ir.Value]ir.Type{}
	known := map[*ir.Value]*ir.Tensor{}
	for _, v := range g.Inputs {
		t := inputs[v.Name]
		types[v] = t.Type()
	}
	for _, c := range g.Consts {
		types[c] = c.Const.Type()
		known[c] = c.Const
	}
	for _, n := range g.Nodes {
		if len(n.Subgraphs()) > 0 {
			return nil, nil, fmt.Errorf("%s: control flow is not planned", n.Describe())
		}
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
			return nil, nil, fmt.Errorf("%s: unknown op", n.Describe())
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
				// try evaluating it now (small shape arithmetic)
				ts[i] = ir.Type{}
			}
			types[out] = ts[i]
		}
		// Shape/Size of a concretely typed value are known now.
		if n.Domain == "" && (n.Op == "Shape" || n.Op == "Size") && n.Outputs[0] != nil {
			if dims, ok := types[n.Inputs[0]].Shape.Ints(); ok && types[n.Inputs[0]].Ranked {
				known[n.Outputs[0]] = shapeValue(n, dims)
				types[n.Outputs[0]] = known[n.Outputs[0]].Type()
				continue
			}
		}
		if !allKnown || s.Eval == nil || s.Flags&ir.Nondeterministic != 0 {
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
			continue
		}
		for i, out := range n.Outputs {
			if out == nil {
				continue
			}
			t, ok := outs[i].(*ir.Tensor)
			if !ok || t.Len() > maxPlanConstElems {
				continue
			}
			known[out] = t
			types[out] = t.Type()
		}
	}
	for v, t := range types {
		if v.Def != nil && (t.Kind != ir.KindTensor || !t.Shape.IsConcrete()) {
			return nil, nil, fmt.Errorf("%w: value %q", ErrDataDependent, v.Name)
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
	r := int64(len(dims))
	clamp := func(x int64) int64 {
		if x < 0 {
			x += r
		}
		return min(max(x, 0), r)
	}
	start, end := clamp(n.AttrInt("start", 0)), clamp(n.AttrInt("end", r))
	if start > end {
		start = end
	}
	sub := append([]int64{}, dims[start:end]...)
	return ir.FromInt64s([]int64{int64(len(sub))}, sub)
}
