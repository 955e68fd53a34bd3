package passes

import (
	"github.com/llmc/llmc/ir"
)

func init() {
	Register(Pass{Name: "shape", Doc: "track shape arithmetic symbolically (Shape→Gather→Unsqueeze→Concat…) and replace it by constants: static values outright, Reshape targets with 0 (copy) and -1 (infer) for symbolic dims", Run: runShape})
}

// symVal is the symbolic value of a small integer tensor: each element is a dimension (a
// concrete number or a symbol such as "batch"). scalar marks rank-0 tensors.
type symVal struct {
	dims   []ir.Dim
	scalar bool
}

func (s symVal) concrete() ([]int64, bool) {
	out := make([]int64, len(s.dims))
	for i, d := range s.dims {
		if !d.IsConcrete() {
			return nil, false
		}
		out[i] = d.Value
	}
	return out, true
}

// maxSymLen bounds the tensors tracked (shape vectors are short).
const maxSymLen = 16

func runShape(c *Context, g *ir.Graph) error {
	vals := map[*ir.Value]symVal{}
	get := func(v *ir.Value) (symVal, bool) {
		if v == nil {
			return symVal{}, false
		}
		if s, ok := vals[v]; ok {
			return s, true
		}
		t := constOf(v)
		if t == nil || !t.DType.IsInt() || len(t.Shape) > 1 || t.Len() > maxSymLen {
			return symVal{}, false
		}
		s := symVal{scalar: len(t.Shape) == 0}
		for _, x := range t.AsInt64s() {
			s.dims = append(s.dims, ir.D(x))
		}
		return s, true
	}
	evalAll := func() {
		clear(vals)
		for _, n := range g.Nodes {
			if n.Domain != "" || len(n.Outputs) == 0 || n.Outputs[0] == nil {
				continue
			}
			out, ok := symEval(n, get)
			if ok && len(out.dims) <= maxSymLen {
				vals[n.Outputs[0]] = out
			}
		}
	}
	evalAll()
	if r1, r2 := refineSlices(c, g, vals), refineRanges(c, g, vals); r1 || r2 {
		if err := ir.InferTypes(g); err != nil {
			return err
		}
		evalAll()
	}
	nm := ir.NewNamer(g)
	// Replace fully concrete values by constants; give Reshape targets 0/-1 encodings.
	for _, n := range g.Nodes {
		for _, v := range n.Outputs {
			s, ok := vals[v]
			if !ok || v.IsConst() {
				continue
			}
			if ints, ok := s.concrete(); ok {
				shape := []int64{int64(len(ints))}
				if s.scalar {
					shape = nil
				}
				t := ir.FromInt64s(shape, ints)
				if v.Type.DType == ir.Int32 {
					t = int64sToInt32(shape, ints)
				}
				if v.Type.DType != ir.Int64 && v.Type.DType != ir.Int32 {
					continue
				}
				if v.Type.Ranked && len(v.Type.Shape) != len(shape) {
					continue
				}
				cv := g.AddConst(nm, v.Name+"_static", t)
				g.ReplaceUses(v, cv)
				c.Hit("static-value")
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
		if !ok {
			continue
		}
		in := n.Inputs[0].Type
		target := make([]int64, len(s.dims))
		unresolved := 0
		for i, d := range s.dims {
			switch {
			case d.IsConcrete():
				target[i] = d.Value
				if d.Value == 0 {
					// a literal 0 means "copy" in Reshape; the runtime value is a real 0 only when
					// it was computed, which a symbolic value cannot tell apart: give up
					unresolved = 2
				}
			case d.IsSymbolic() && in.Ranked && i < len(in.Shape) && in.Shape[i] == d:
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

// symEval computes the symbolic value of n's first output from its inputs' symbolic values.
func symEval(n *ir.Node, get func(*ir.Value) (symVal, bool)) (symVal, bool) {
	in := func(i int) (symVal, bool) {
		if i >= len(n.Inputs) {
			return symVal{}, false
		}
		return get(n.Inputs[i])
	}
	switch n.Op {
	case "Shape":
		t := n.Inputs[0].Type
		if t.Kind != ir.KindTensor || !t.Ranked {
			return symVal{}, false
		}
		r := int64(len(t.Shape))
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
		dims := append([]ir.Dim{}, t.Shape[start:end]...)
		for _, d := range dims {
			if d.IsUnknown() {
				return symVal{dims: dims}, true
			}
		}
		return symVal{dims: dims}, true
	case "Identity", "Cast":
		s, ok := in(0)
		if n.Op == "Cast" {
			to := ir.DType(n.AttrInt("to", 0))
			if to != ir.Int64 && to != ir.Int32 {
				return symVal{}, false
			}
		}
		return s, ok
	case "Gather":
		s, ok := in(0)
		if !ok || s.scalar || n.AttrInt("axis", 0) != 0 {
			return symVal{}, false
		}
		idx, ok := intsOf(n.Inputs[1])
		if !ok {
			return symVal{}, false
		}
		out := symVal{scalar: len(constOf(n.Inputs[1]).Shape) == 0}
		for _, i := range idx {
			if i < 0 {
				i += int64(len(s.dims))
			}
			if i < 0 || i >= int64(len(s.dims)) {
				return symVal{}, false
			}
			out.dims = append(out.dims, s.dims[i])
		}
		return out, true
	case "Unsqueeze":
		s, ok := in(0)
		if !ok || !s.scalar {
			return symVal{}, false
		}
		return symVal{dims: s.dims}, true
	case "Squeeze":
		s, ok := in(0)
		if !ok || s.scalar || len(s.dims) != 1 {
			return symVal{}, false
		}
		return symVal{dims: s.dims, scalar: true}, true
	case "Concat":
		if n.AttrInt("axis", 0) != 0 && n.AttrInt("axis", 0) != -1 {
			return symVal{}, false
		}
		var out symVal
		for i := range n.Inputs {
			s, ok := in(i)
			if !ok || s.scalar {
				return symVal{}, false
			}
			out.dims = append(out.dims, s.dims...)
		}
		return out, true
	case "Slice":
		s, ok := in(0)
		if !ok || s.scalar || len(n.Inputs) < 3 {
			return symVal{}, false
		}
		starts, ok1 := intsOf(n.Inputs[1])
		ends, ok2 := intsOf(n.Inputs[2])
		if !ok1 || !ok2 || len(starts) != 1 || len(ends) != 1 {
			return symVal{}, false
		}
		if len(n.Inputs) > 3 && n.Inputs[3] != nil {
			axes, ok := intsOf(n.Inputs[3])
			if !ok || len(axes) != 1 || (axes[0] != 0 && axes[0] != -1) {
				return symVal{}, false
			}
		}
		if len(n.Inputs) > 4 && n.Inputs[4] != nil {
			steps, ok := intsOf(n.Inputs[4])
			if !ok || len(steps) != 1 || steps[0] != 1 {
				return symVal{}, false
			}
		}
		r := int64(len(s.dims))
		clamp := func(x int64) int64 {
			if x < 0 {
				x += r
			}
			return min(max(x, 0), r)
		}
		a, b := clamp(starts[0]), clamp(ends[0])
		if a > b {
			a = b
		}
		return symVal{dims: append([]ir.Dim{}, s.dims[a:b]...)}, true
	case "Add", "Sub", "Mul", "Div":
		a, ok1 := in(0)
		b, ok2 := in(1)
		if !ok1 || !ok2 {
			return symVal{}, false
		}
		x, okx := a.concrete()
		y, oky := b.concrete()
		if !okx || !oky || (len(x) != len(y) && len(x) != 1 && len(y) != 1) {
			return symVal{}, false
		}
		nOut := max(len(x), len(y))
		out := symVal{scalar: a.scalar && b.scalar}
		for i := 0; i < nOut; i++ {
			p, q := x[min(i, len(x)-1)], y[min(i, len(y)-1)]
			var r int64
			switch n.Op {
			case "Add":
				r = p + q
			case "Sub":
				r = p - q
			case "Mul":
				r = p * q
			case "Div":
				if q == 0 {
					return symVal{}, false
				}
				r = p / q
			}
			out.dims = append(out.dims, ir.D(r))
		}
		return out, true
	}
	return symVal{}, false
}

// refineSlices gives Slice outputs the symbolic size of their end bound: Slice(t, [0], [d]) along
// an axis has size min(d, len); when d is a symbol (e.g. the sequence length taken from another
// input's shape) the output is taken to have size d, as any successful run requires d <= len for
// the position-id slices exporters emit (the result is then combined elementwise with tensors of
// size d). It reports whether any type changed.
func refineSlices(c *Context, g *ir.Graph, vals map[*ir.Value]symVal) bool {
	changed := false
	for _, n := range g.Nodes {
		if n.Domain != "" || n.Op != "Slice" || len(n.Inputs) < 3 || n.Outputs[0] == nil {
			continue
		}
		out := n.Outputs[0]
		if !out.Type.Ranked {
			continue
		}
		starts, ok := intsOf(n.Inputs[1])
		ends, ok2 := vals[n.Inputs[2]]
		if !ok || !ok2 || len(starts) != len(ends.dims) {
			continue
		}
		axes := make([]int64, len(starts))
		for i := range axes {
			axes[i] = int64(i)
		}
		if len(n.Inputs) > 3 && n.Inputs[3] != nil {
			if axes, ok = intsOf(n.Inputs[3]); !ok || len(axes) != len(starts) {
				continue
			}
		}
		if len(n.Inputs) > 4 && n.Inputs[4] != nil {
			steps, ok := intsOf(n.Inputs[4])
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
			if err != nil || starts[i] != 0 || !ends.dims[i].IsSymbolic() || !out.Type.Shape[ax].IsUnknown() {
				continue
			}
			out.Type.Shape[ax] = ends.dims[i]
			changed = true
			c.Hit("slice-symbolic-end")
		}
	}
	return changed
}

// refineRanges gives Range(0, d, 1) the symbolic length d when d is a symbolic value (e.g. the
// sequence length read from an input's shape): position ids built on the fly.
func refineRanges(c *Context, g *ir.Graph, vals map[*ir.Value]symVal) bool {
	changed := false
	for _, n := range g.Nodes {
		if n.Domain != "" || n.Op != "Range" || len(n.Inputs) != 3 || n.Outputs[0] == nil {
			continue
		}
		out := n.Outputs[0]
		if !out.Type.Ranked || len(out.Type.Shape) != 1 || !out.Type.Shape[0].IsUnknown() {
			continue
		}
		start, ok1 := scalarOf(n.Inputs[0])
		delta, ok2 := scalarOf(n.Inputs[2])
		limit, ok3 := vals[n.Inputs[1]]
		if !ok1 || !ok2 || !ok3 || start != 0 || delta != 1 || len(limit.dims) != 1 || !limit.dims[0].IsSymbolic() {
			continue
		}
		out.Type.Shape[0] = limit.dims[0]
		changed = true
		c.Hit("range-symbolic-limit")
	}
	return changed
}
