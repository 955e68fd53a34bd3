package passes

import (
	"math"

	"github.com/llmc/llmc/ir"
)

func init() {
	Register(Pass{Name: "simplify", Doc: "algebraic simplification: Identity/Dropout/no-op Cast/Reshape/Expand removal, Div by constant → Mul, x·1, x+0, Transpose∘Transpose, Reshape∘Reshape, Transpose folded into Gemm", Run: func(c *Context, g *ir.Graph) error {
		_, err := RunRules(c, g, simplifyRules)
		return err
	}})
}

// sameType reports whether a and b certainly have the same shape (equal concrete dims or the
// same symbols) and element type.
func sameType(a, b ir.Type) bool {
	if a.Kind != ir.KindTensor || b.Kind != ir.KindTensor || !a.Ranked || !b.Ranked || a.DType != b.DType || len(a.Shape) != len(b.Shape) {
		return false
	}
	for i := range a.Shape {
		if a.Shape[i] != b.Shape[i] || a.Shape[i].IsUnknown() {
			return false
		}
	}
	return true
}

// forward is a match for rules that replace a node's output 0 by one of its inputs.
type forward struct {
	from, to *ir.Value
}

func rewriteForward(rc *RewriteContext, m any) error {
	f := m.(forward)
	rc.G.ReplaceUses(f.from, f.to)
	return nil
}

var simplifyRules = []Rule{
	{Name: "identity", Op: "Identity", Match: func(rc *RewriteContext, n *ir.Node) (any, string) {
		if n.Outputs[0] == nil || n.Inputs[0] == nil {
			return nil, ""
		}
		if rc.Users.Outputs[n.Outputs[0]] && (rc.Users.Outputs[n.Inputs[0]] || n.Inputs[0].Def == nil) {
			return nil, "graph output that renames an input or another output"
		}
		return forward{n.Outputs[0], n.Inputs[0]}, ""
	}, Rewrite: rewriteForward},
	{Name: "dropout-inference", Op: "Dropout", Match: func(rc *RewriteContext, n *ir.Node) (any, string) {
		if len(n.Outputs) > 1 && n.Outputs[1] != nil && rc.Users.Count(n.Outputs[1]) > 0 {
			return nil, "mask output is used"
		}
		if len(n.Inputs) > 2 && n.Inputs[2] != nil {
			if t, ok := scalarOf(n.Inputs[2]); !ok || t != 0 {
				return nil, "training_mode is not a constant false"
			}
		}
		if n.AttrInt("is_test", 1) == 0 && n.Attr("is_test") != nil {
			return nil, "legacy is_test=0 (training)"
		}
		if rc.Users.Outputs[n.Outputs[0]] && n.Inputs[0].Def == nil {
			return nil, "graph output that renames an input"
		}
		return forward{n.Outputs[0], n.Inputs[0]}, ""
	}, Rewrite: rewriteForward},
	{Name: "noop-cast", Op: "Cast", Match: func(rc *RewriteContext, n *ir.Node) (any, string) {
		if ir.DType(n.AttrInt("to", 0)) != n.Inputs[0].Type.DType || n.Inputs[0].Type.Kind != ir.KindTensor {
			return nil, ""
		}
		if rc.Users.Outputs[n.Outputs[0]] && n.Inputs[0].Def == nil {
			return nil, "graph output that renames an input"
		}
		return forward{n.Outputs[0], n.Inputs[0]}, ""
	}, Rewrite: rewriteForward},
	{Name: "noop-reshape", Op: "Reshape", Match: noopShapeOp, Rewrite: rewriteForward},
	{Name: "noop-expand", Op: "Expand", Match: noopShapeOp, Rewrite: rewriteForward},
	{Name: "noop-squeeze-unsqueeze", Op: "Unsqueeze", Match: func(rc *RewriteContext, n *ir.Node) (any, string) {
		sq := producer(n.Inputs[0], "Squeeze")
		if sq == nil || rc.Users.Count(n.Inputs[0]) != 1 {
			return nil, ""
		}
		if !sameType(sq.Inputs[0].Type, n.Outputs[0].Type) {
			return nil, "shapes differ"
		}
		return forward{n.Outputs[0], sq.Inputs[0]}, ""
	}, Rewrite: rewriteForward},
	{Name: "mul-one", Op: "Mul", Match: func(rc *RewriteContext, n *ir.Node) (any, string) { return neutral(rc, n, 1, true) }, Rewrite: rewriteForward},
	{Name: "add-zero", Op: "Add", Match: func(rc *RewriteContext, n *ir.Node) (any, string) { return neutral(rc, n, 0, true) }, Rewrite: rewriteForward},
	{Name: "sub-zero", Op: "Sub", Match: func(rc *RewriteContext, n *ir.Node) (any, string) { return neutral(rc, n, 0, false) }, Rewrite: rewriteForward},
	{Name: "div-one", Op: "Div", Match: func(rc *RewriteContext, n *ir.Node) (any, string) { return neutral(rc, n, 1, false) }, Rewrite: rewriteForward},
	{Name: "div-const-to-mul", Op: "Div", Match: func(rc *RewriteContext, n *ir.Node) (any, string) {
		t := constOf(n.Inputs[1])
		if t == nil || (t.DType != ir.Float32 && t.DType != ir.Float64) {
			return nil, ""
		}
		if t.Len() > 1<<16 {
			return nil, "divisor constant too large"
		}
		for i := 0; i < t.Len(); i++ {
			v := t.Float64At(i)
			if v == 0 || math.IsInf(v, 0) || math.IsNaN(v) {
				return nil, "divisor has zero, inf or nan"
			}
			// x/c == x*(1/c) exactly only when 1/c is exact; otherwise the results may differ in
			// the last bit, which the optimizer accepts (as ONNX Runtime does) for floats
		}
		return n, ""
	}, Rewrite: func(rc *RewriteContext, m any) error {
		n := m.(*ir.Node)
		t := constOf(n.Inputs[1])
		r := ir.MustTensor(t.DType, t.Shape...)
		for i := 0; i < t.Len(); i++ {
			if t.DType == ir.Float32 {
				r.Float32s()[i] = float32(1 / t.Float64At(i))
			} else {
				r.Float64s()[i] = 1 / t.Float64At(i)
			}
		}
		c := rc.G.AddConst(rc.Names, n.Inputs[1].Name+"_reciprocal", r)
		mul, err := rc.G.AddNode(rc.Names, "", "Mul", []*ir.Value{n.Inputs[0], c}, 1)
		if err != nil {
			return err
		}
		rc.G.ReplaceUses(n.Outputs[0], mul.Outputs[0])
		return nil
	}},
	{Name: "transpose-transpose", Op: "Transpose", Match: func(rc *RewriteContext, n *ir.Node) (any, string) {
		inner := producer(n.Inputs[0], "Transpose")
		if inner == nil {
			return nil, ""
		}
		p1, p2 := inner.AttrInts("perm", nil), n.AttrInts("perm", nil)
		if p1 == nil || p2 == nil || len(p1) != len(p2) {
			return nil, "missing or mismatched perm"
		}
		return [2]*ir.Node{inner, n}, ""
	}, Rewrite: func(rc *RewriteContext, m any) error {
		pair := m.([2]*ir.Node)
		inner, outer := pair[0], pair[1]
		p1, p2 := inner.AttrInts("perm", nil), outer.AttrInts("perm", nil)
		comp := make([]int64, len(p2))
		identity := true
		for i := range p2 {
			comp[i] = p1[p2[i]]
			if comp[i] != int64(i) {
				identity = false
			}
		}
		if identity {
			rc.G.ReplaceUses(outer.Outputs[0], inner.Inputs[0])
			return nil
		}
		t, err := rc.G.AddNode(rc.Names, "", "Transpose", []*ir.Value{inner.Inputs[0]}, 1, ir.AInts("perm", comp...))
		if err != nil {
			return err
		}
		rc.G.ReplaceUses(outer.Outputs[0], t.Outputs[0])
		return nil
	}},
	{Name: "reshape-reshape", Op: "Reshape", Match: func(rc *RewriteContext, n *ir.Node) (any, string) {
		inner := producer(n.Inputs[0], "Reshape")
		if inner == nil {
			return nil, ""
		}
		target, ok := intsOf(n.Inputs[1])
		if !ok {
			return nil, "outer target is not constant"
		}
		for _, d := range target {
			if d == 0 {
				return nil, "outer target copies dims (0) of the intermediate shape"
			}
		}
		return [2]*ir.Node{inner, n}, ""
	}, Rewrite: func(rc *RewriteContext, m any) error {
		pair := m.([2]*ir.Node)
		pair[1].Inputs[0] = pair[0].Inputs[0]
		return nil
	}},
	{Name: "transpose-into-gemm", Op: "Gemm", Match: func(rc *RewriteContext, n *ir.Node) (any, string) {
		for i := 0; i < 2; i++ {
			t := producer(n.Inputs[i], "Transpose")
			if t == nil {
				continue
			}
			if perm := t.AttrInts("perm", []int64{1, 0}); len(perm) == 2 && perm[0] == 1 && perm[1] == 0 {
				return [2]any{n, i}, ""
			}
		}
		return nil, ""
	}, Rewrite: func(rc *RewriteContext, m any) error {
		pair := m.([2]any)
		n, i := pair[0].(*ir.Node), pair[1].(int)
		name := [2]string{"transA", "transB"}[i]
		n.Inputs[i] = n.Inputs[i].Def.Inputs[0]
		n.SetAttr(ir.AInt(name, 1-n.AttrInt(name, 0)))
		return nil
	}},
}

// noopShapeOp matches a Reshape/Expand whose output certainly has its input's shape.
func noopShapeOp(rc *RewriteContext, n *ir.Node) (any, string) {
	if n.Outputs[0] == nil || !sameType(n.Inputs[0].Type, n.Outputs[0].Type) {
		return nil, ""
	}
	if rc.Users.Outputs[n.Outputs[0]] && n.Inputs[0].Def == nil {
		return nil, "graph output that renames an input"
	}
	return forward{n.Outputs[0], n.Inputs[0]}, ""
}

// neutral matches x op c where c is the op's neutral element (commutative: either side) and the
// result has x's type (broadcasting does not enlarge it).
func neutral(rc *RewriteContext, n *ir.Node, unit float64, commutative bool) (any, string) {
	pairs := [][2]*ir.Value{{n.Inputs[1], n.Inputs[0]}}
	if commutative {
		pairs = append(pairs, [2]*ir.Value{n.Inputs[0], n.Inputs[1]})
	}
	for _, p := range pairs {
		c, x := p[0], p[1]
		t := constOf(c)
		if t == nil || t.DType == ir.String || t.Len() == 0 {
			continue
		}
		all := true
		for k := 0; k < t.Len(); k++ {
			if t.Float64At(k) != unit {
				all = false
				break
			}
		}
		if !all {
			continue
		}
		if !sameType(x.Type, n.Outputs[0].Type) {
			return nil, "the constant broadcasts the result to a larger shape"
		}
		if rc.Users.Outputs[n.Outputs[0]] && x.Def == nil {
			return nil, "graph output that renames an input"
		}
		return forward{n.Outputs[0], x}, ""
	}
	return nil, ""
}
