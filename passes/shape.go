package passes

import (
	"github.com/llmc/llmc/ir"
)

func init() {
	Register(Pass{Name: "shape", Doc: "track shape arithmetic symbolically (Shape→Gather→Unsqueeze→Concat…, ir.ShapeValueOf) and replace it by constants: static values outright, values equal to an input by that input (a Where whose mask is known), Reshape targets with 0 (copy) and -1 (infer) for symbolic dims; first give Slices to a symbolic end that size (ResolveShapes)", Run: runShape})
}

// maxSymLen bounds the values the pass turns into constants (shape vectors are short).
const maxSymLen = 16

// shapeValues evaluates the shape value of every node's first output (ir.ShapeValueOf, with one
// memo for the whole graph).
func shapeValues(g *ir.Graph) map[*ir.Value]ir.ShapeValue {
	sv := ir.NewShapeValues()
	vals := map[*ir.Value]ir.ShapeValue{}
	for _, n := range g.Nodes {
		if len(n.Outputs) == 0 || n.Outputs[0] == nil {
			continue
		}
		if s, ok := sv.Of(n.Outputs[0]); ok && len(s.Elems) <= maxSymLen {
			vals[n.Outputs[0]] = s
		}
	}
	return vals
}

func runShape(c *Context, g *ir.Graph) error {
	if err := resolveShapes(c, g); err != nil {
		return err
	}
	vals := shapeValues(g)
	nm := ir.NewNamer(g)
	replaced := map[*ir.Value]bool{}
	// Replace fully known values by constants.
	for _, n := range g.Nodes {
		v := n.Output(0)
		s, ok := vals[v]
		if !ok || v.IsConst() {
			continue
		}
		ints, ok := s.Ints()
		if !ok {
			continue
		}
		shape := []int64{int64(len(ints))}
		if s.Scalar {
			shape = nil
		}
		if v.Type.Kind != ir.KindTensor || (v.Type.Ranked && len(v.Type.Shape) != len(shape)) {
			continue
		}
		var t *ir.Tensor
		switch v.Type.DType {
		case ir.Int64:
			t = ir.FromInt64s(shape, ints)
		case ir.Int32:
			t = int64sToInt32(shape, ints)
		case ir.Bool:
			t = int64sToBool(shape, ints)
		default:
			continue
		}
		cv := g.AddConst(nm, v.Name+"_static", t)
		g.ReplaceUses(v, cv)
		replaced[v] = true
		c.Hit("static-value")
	}
	// A value equal to one of its node's inputs (same type, same elements) is that input: the
	// Where of a mask that is all true or all false, Max(dim, 0), Cast to its own type, ...
	for _, n := range g.Nodes {
		v := n.Output(0)
		s, ok := vals[v]
		if !ok || replaced[v] || !s.Resolved() {
			continue
		}
		for _, in := range n.Inputs {
			if t, ok := vals[in]; ok && in != v && sameType(in.Type, v.Type) && s.SameAs(t) {
				g.ReplaceUses(v, in)
				c.Hit("same-value")
				break
			}
		}
	}
	for _, n := range g.Nodes {
		if n.Domain != "" || n.Op != "Reshape" || len(n.Inputs) < 2 || n.AttrInt("allowzero", 0) != 0 {
			continue
		}
		if constOf(n.Inputs[1]) != nil {
			continue
		}
		s, ok := vals[n.Inputs[1]]
		if !ok || s.Scalar {
			continue
		}
		in := n.Inputs[0].Type
		target := make([]int64, len(s.Elems))
		unresolved := 0
		for i, e := range s.Elems {
			switch {
			case e.Known && e.N == 0:
				// a literal 0 means "copy" in Reshape; the runtime value is a real 0 only when
				// it was computed, which a symbolic value cannot tell apart: give up
				unresolved = 2
			case e.Known && e.N >= -1:
				target[i] = e.N
				if e.N == -1 {
					unresolved++
				}
			case e.Known:
				unresolved = 2 // an invalid target: leave it to fail at run time
			case e.Sym != "" && in.Ranked && i < len(in.Shape) && in.Shape[i].Param == e.Sym:
				target[i] = 0
			default:
				target[i] = -1
				unresolved++
			}
		}
		if unresolved > 1 {
			c.Refuse("reshape-symbolic", n, "more than one target dim is neither constant nor copied from the input")
			continue
		}
		n.Inputs[1] = g.AddConst(nm, n.Name+"_shape", ir.FromInt64s([]int64{int64(len(target))}, target))
		c.Hit("reshape-symbolic")
	}
	g.RemoveDead()
	return ir.InferTypes(g)
}

func int64sToInt32(shape, v []int64) *ir.Tensor {
	out := make([]int32, len(v))
	for i, x := range v {
		out[i] = int32(x)
	}
	return ir.FromInt32s(shape, out)
}

func int64sToBool(shape, v []int64) *ir.Tensor {
	out := make([]bool, len(v))
	for i, x := range v {
		out[i] = x != 0
	}
	return ir.FromBools(shape, out)
}

// refineSlices gives Slice outputs the symbolic size of their end bound: Slice(t, [0], [d]) with
// step 1 along an axis of size n has size min(d, n); when d is a symbol (the sequence length read
// from an input's shape) the output is given size d. This assumes d <= n, which inference cannot
// prove; it is safe for what exporters emit, position ids and token types sliced from a buffer of
// max_position_embeddings entries: the slice is combined elementwise with tensors whose dim is d,
// so a run with d > n produces n != d entries there and fails at that broadcast instead of
// computing something else. (An axis of size 1 is left alone: it would broadcast silently.) It
// reports whether any type changed.
func refineSlices(c *Context, g *ir.Graph) bool {
	sv := ir.NewShapeValues()
	ints := func(v *ir.Value) ([]int64, bool) {
		s, ok := sv.Of(v)
		if !ok {
			return nil, false
		}
		return s.Ints()
	}
	changed := false
	for _, n := range g.Nodes {
		if n.Domain != "" || n.Op != "Slice" || len(n.Inputs) < 3 || n.Outputs[0] == nil || n.Inputs[0] == nil {
			continue
		}
		out, in := n.Outputs[0], n.Inputs[0].Type
		if !out.Type.Ranked || !in.Ranked || len(in.Shape) != len(out.Type.Shape) {
			continue
		}
		starts, ok := ints(n.Inputs[1])
		ends, ok2 := sv.Of(n.Inputs[2])
		if !ok || !ok2 || len(starts) != len(ends.Elems) {
			continue
		}
		axes := make([]int64, len(starts))
		for i := range axes {
			axes[i] = int64(i)
		}
		if n.Input(3) != nil {
			if axes, ok = ints(n.Inputs[3]); !ok || len(axes) != len(starts) {
				continue
			}
		}
		if n.Input(4) != nil {
			steps, ok := ints(n.Inputs[4])
			if !ok {
				continue
			}
			unit := true
			for _, st := range steps {
				unit = unit && st == 1
			}
			if !unit {
				continue
			}
		}
		for i, a := range axes {
			ax, err := ir.NormalizeAxis(a, len(out.Type.Shape))
			end := ends.Elems[i].Dim()
			if err != nil || starts[i] != 0 || !end.IsSymbolic() || !out.Type.Shape[ax].IsUnknown() ||
				(in.Shape[ax].IsConcrete() && in.Shape[ax].Value <= 1) {
				continue
			}
			out.Type.Shape[ax] = end
			changed = true
			c.Hit("slice-symbolic-end")
		}
	}
	return changed
}

// maxResolveRounds bounds ResolveShapes' alternation of inference and refinement (each round
// resolves at least one more dim, and graphs have few slices).
const maxResolveRounds = 8

// ResolveShapes runs type inference on g and the shape pass's refinements of types (a Slice
// from 0 to a symbolic end has that size, see refineSlices), without changing nodes, so that
// the dims of exported models' position ids and everything computed from them are known (the
// other symbolic idioms, Range(0, d, 1) and shape arithmetic, inference resolves by itself). It
// is what a consumer of the graph (the lowering) calls, at any optimization level.
func ResolveShapes(g *ir.Graph) error { return resolveShapes(&Context{}, g) }

func resolveShapes(c *Context, g *ir.Graph) error {
	for round := 0; round < maxResolveRounds; round++ {
		if err := ir.InferTypes(g); err != nil {
			return err
		}
		if !refineSlices(c, g) {
			return nil
		}
	}
	return ir.InferTypes(g)
}
