package ir

import (
	"errors"
	"fmt"
)

// Verify checks the structural invariants of g and its subgraphs:
//   - every value is defined exactly once (graph input, constant, or one node output);
//   - every use comes after its definition (nodes are in topological order), and subgraphs use
//     only their own values or values defined earlier in an enclosing scope;
//   - every node matches its op table entry (op known, arity, attribute names/kinds, opset);
//   - constants' data matches their type, and declared types agree with type inference.
//
// The error names the graph, node and value concerned.
func Verify(g *Graph) error {
	v := verifier{defined: map[*Value]*Graph{}}
	return v.graph(g)
}

type verifier struct {
	defined map[*Value]*Graph // values in scope -> graph that defined them
}

func (v *verifier) define(g *Graph, val *Value, what string) error {
	if val == nil {
		return nil
	}
	if _, dup := v.defined[val]; dup {
		return fmt.Errorf("graph %q: value %q defined twice (again as %s)", g.Name, val.Name, what)
	}
	v.defined[val] = g
	return nil
}

func (v *verifier) graph(g *Graph) error {
	var scope []*Value // values this graph defines, removed from scope at the end
	defer func() {
		for _, val := range scope {
			delete(v.defined, val)
		}
	}()
	names := map[string]bool{}
	def := func(val *Value, what string) error {
		if val == nil {
			return nil
		}
		if names[val.Name] {
			return fmt.Errorf("graph %q: name %q defined twice (again as %s)", g.Name, val.Name, what)
		}
		names[val.Name] = true
		if err := v.define(g, val, what); err != nil {
			return err
		}
		scope = append(scope, val)
		return nil
	}
	for _, in := range g.Inputs {
		if in == nil {
			return fmt.Errorf("graph %q: nil input", g.Name)
		}
		if in.Def != nil || in.Const != nil {
			return fmt.Errorf("graph %q: input %q has a definition or constant data", g.Name, in.Name)
		}
		if err := def(in, "graph input"); err != nil {
			return err
		}
	}
	for _, c := range g.Consts {
		if c == nil || c.Const == nil {
			return fmt.Errorf("graph %q: constant without data", g.Name)
		}
		if err := c.Const.Validate(); err != nil {
			return fmt.Errorf("graph %q: constant %q: %v", g.Name, c.Name, err)
		}
		if !c.Type.Compatible(c.Const.Type()) {
			return fmt.Errorf("graph %q: constant %q is declared %s but holds %s", g.Name, c.Name, c.Type, c.Const.Type())
		}
		if err := def(c, "constant"); err != nil {
			return err
		}
	}
	for _, n := range g.Nodes {
		if err := CheckNodeContract(n, g.OpsetVersion(n.Domain)); err != nil {
			return fmt.Errorf("graph %q: %v", g.Name, err)
		}
		for i, in := range n.Inputs {
			if in == nil {
				continue
			}
			if _, ok := v.defined[in]; !ok {
				return fmt.Errorf("graph %q: %s: input %d %q is used before it is defined (or never defined)", g.Name, n.Describe(), i, in.Name)
			}
		}
		for _, sg := range n.Subgraphs() {
			if sg.Parent != g {
				return fmt.Errorf("graph %q: %s: subgraph %q does not name this graph as its parent", g.Name, n.Describe(), sg.Name)
			}
			if err := v.graph(sg); err != nil {
				return fmt.Errorf("%s: %w", n.Describe(), err)
			}
		}
		for i, out := range n.Outputs {
			if out == nil {
				continue
			}
			if out.Def != n {
				return fmt.Errorf("graph %q: %s: output %d %q does not name the node as its definition", g.Name, n.Describe(), i, out.Name)
			}
			if err := def(out, fmt.Sprintf("output of %s", n.Describe())); err != nil {
				return err
			}
		}
		if err := checkInference(g, n); err != nil {
			return fmt.Errorf("graph %q: %w", g.Name, err)
		}
	}
	for i, out := range g.Outputs {
		if out == nil {
			return fmt.Errorf("graph %q: output %d is empty", g.Name, i)
		}
		if _, ok := v.defined[out]; !ok {
			return fmt.Errorf("graph %q: output %q is never defined", g.Name, out.Name)
		}
	}
	return nil
}

// InferNode runs the node's inference hook on the current types of its inputs.
func InferNode(g *Graph, n *Node) ([]Type, error) {
	s := n.Schema()
	if s == nil {
		return nil, fmt.Errorf("%s: unknown op", n.Describe())
	}
	c := &InferContext{Node: n, Graph: g, Opset: g.OpsetVersion(n.Domain), In: make([]Type, len(n.Inputs)), Consts: make([]*Tensor, len(n.Inputs))}
	for i, in := range n.Inputs {
		if in != nil {
			c.In[i] = in.Type
			c.Consts[i] = in.Const
		}
	}
	ts, err := safeInfer(s.Infer, c)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", n.Describe(), err)
	}
	if len(ts) < len(n.Outputs) {
		return nil, fmt.Errorf("%s: inference returned %d types for %d outputs", n.Describe(), len(ts), len(n.Outputs))
	}
	return ts[:len(n.Outputs)], nil
}

// safeInfer turns a panic in a hook (a bug, or input the hook failed to check) into an error, so
// that a hostile model can never crash the importer.
func safeInfer(f InferFunc, c *InferContext) (ts []Type, err error) {
	defer func() {
		if r := recover(); r != nil {
			ts, err = nil, fmt.Errorf("inference failed: %v", r)
		}
	}()
	return f(c)
}

func checkInference(g *Graph, n *Node) error {
	ts, err := InferNode(g, n)
	if err != nil {
		return err
	}
	for i, out := range n.Outputs {
		if out != nil && !out.Type.Compatible(ts[i]) {
			return fmt.Errorf("%s: output %q is declared %s but inference gives %s", n.Describe(), out.Name, out.Type, ts[i])
		}
	}
	return nil
}

// ErrInference wraps errors found while propagating types.
var ErrInference = errors.New("type inference")

// InferTypes propagates types through g (and subgraphs) in node order, refining each output's
// type with what inference knows (Refine). It fails on a contradiction.
func InferTypes(g *Graph) error {
	for _, n := range g.Nodes {
		for _, sg := range n.Subgraphs() {
			if err := InferTypes(sg); err != nil {
				return err
			}
		}
		ts, err := InferNode(g, n)
		if err != nil {
			return fmt.Errorf("%w: graph %q: %v", ErrInference, g.Name, err)
		}
		for i, out := range n.Outputs {
			if out == nil {
				continue
			}
			t, ok := Refine(out.Type, ts[i])
			if !ok {
				return fmt.Errorf("%w: graph %q: %s: output %q is declared %s but inference gives %s", ErrInference, g.Name, n.Describe(), out.Name, out.Type, ts[i])
			}
			out.Type = t
		}
	}
	return nil
}

// Refine merges two descriptions of the same value, keeping the more precise knowledge of each
// part. ok is false when they contradict.
func Refine(a, b Type) (Type, bool) {
	if !a.Compatible(b) {
		return a, false
	}
	if a.Kind == KindUnknown {
		return b.Clone(), true
	}
	if b.Kind == KindUnknown {
		return a, true
	}
	out := a.Clone()
	if out.DType == Undefined {
		out.DType = b.DType
	}
	if out.KeyDType == Undefined {
		out.KeyDType = b.KeyDType
	}
	switch {
	case !out.Ranked && b.Ranked:
		out.Ranked, out.Shape = true, b.Shape.Clone()
	case out.Ranked && b.Ranked:
		for i := range out.Shape {
			d, e := out.Shape[i], b.Shape[i]
			switch {
			case d.IsConcrete():
			case e.IsConcrete():
				out.Shape[i] = e
			case d.IsUnknown() && e.IsSymbolic():
				out.Shape[i] = e
			}
		}
	}
	if out.Elem != nil && b.Elem != nil {
		e, ok := Refine(*out.Elem, *b.Elem)
		if !ok {
			return a, false
		}
		out.Elem = &e
	} else if out.Elem == nil && b.Elem != nil {
		e := b.Elem.Clone()
		out.Elem = &e
	}
	return out, true
}
