package passes

import (
	"fmt"
	"strings"

	"github.com/llmc/llmc/backend/ref"
	"github.com/llmc/llmc/ir"
)

func init() {
	Register(Pass{Name: "infer", Doc: "propagate element types and (symbolic) shapes through the graph", Run: runInfer})
	Register(Pass{Name: "fold", Doc: "evaluate nodes whose inputs are all constant (size-capped), turn Constant nodes and static Shape/Size into constants", Run: runFold})
	Register(Pass{Name: "dce", Doc: "remove nodes and constants nothing uses", Run: runDCE})
	Register(Pass{Name: "cse", Doc: "merge identical nodes and identical small constants", Run: runCSE})
}

func runInfer(c *Context, g *ir.Graph) error { return ir.InferTypes(g) }

func runDCE(c *Context, g *ir.Graph) error {
	if n := g.RemoveDead(); n > 0 {
		c.Hit(fmt.Sprintf("removed-%d", n))
	}
	return nil
}

// MaxFoldBytes caps the size of a folded result unless it replaces constants at least as large
// that die with the fold (so folding never duplicates a weight).
const MaxFoldBytes = 1 << 20

func tensorBytes(t *ir.Tensor) int64 {
	n := int64(len(t.Raw))
	for _, s := range t.Strings {
		n += int64(len(s))
	}
	return n
}

// makeConst turns v (an output of a node about to be removed) into a graph constant holding t,
// keeping the Value (and so its name and every use).
func makeConst(g *ir.Graph, v *ir.Value, t *ir.Tensor) {
	v.Def = nil
	v.Const = t
	if rt, ok := ir.Refine(t.Type(), v.Type); ok {
		v.Type = rt
	} else {
		v.Type = t.Type()
	}
	g.Consts = append(g.Consts, v)
}

func runFold(c *Context, g *ir.Graph) error {
	users := g.ComputeUsers()
	var keep []*ir.Node
	for _, n := range g.Nodes {
		outs, rule, err := foldNode(g, n, users)
		if err != nil {
			return err
		}
		if outs == nil {
			keep = append(keep, n)
			continue
		}
		for i, v := range n.Outputs {
			if v != nil {
				makeConst(g, v, outs[i])
			}
		}
		c.Hit(rule)
	}
	g.Nodes = keep
	g.RemoveDead()
	return nil
}

// foldNode returns constant outputs for n, or nil when n is not foldable.
func foldNode(g *ir.Graph, n *ir.Node, users *ir.Users) ([]*ir.Tensor, string, error) {
	s := n.Schema()
	if s == nil || s.Flags&(ir.Nondeterministic|ir.HasSubgraphs) != 0 || len(n.Subgraphs()) > 0 {
		return nil, "", nil
	}
	if n.Domain == "" && n.Op == "Constant" {
		if t, err := ir.ConstantValue(n); err == nil && len(n.Outputs) == 1 && n.Outputs[0] != nil {
			return []*ir.Tensor{t}, "constant-node", nil
		}
	}
	if n.Domain == "" && (n.Op == "Shape" || n.Op == "Size") && len(n.Inputs) == 1 && n.Outputs[0] != nil {
		// of a concretely shaped input: the op table's shape-value hook knows the value
		if sv, ok := ir.ShapeValueOf(n.Outputs[0]); ok {
			if ints, ok := sv.Ints(); ok {
				shape := []int64{int64(len(ints))}
				if sv.Scalar {
					shape = nil
				}
				return []*ir.Tensor{ir.FromInt64s(shape, ints)}, "static-" + strings.ToLower(n.Op), nil
			}
		}
	}
	if s.Eval == nil || len(n.Inputs) == 0 {
		return nil, "", nil
	}
	ins := make([]ir.Datum, len(n.Inputs))
	var dying int64
	for i, v := range n.Inputs {
		if v == nil {
			continue
		}
		t := constOf(v)
		if t == nil {
			return nil, "", nil
		}
		ins[i] = t
		if users.Count(v) <= 1 {
			dying += tensorBytes(t)
		}
	}
	outs, err := ref.EvalNode(g, n, ins, ref.Options{MaxMemory: 1 << 30})
	if err != nil {
		// an op the interpreter cannot run, or an input that fails at run time: leave it to run
		// (and fail) at run time with its proper error
		return nil, "", nil
	}
	ts := make([]*ir.Tensor, len(outs))
	var size int64
	for i, d := range outs {
		t, ok := d.(*ir.Tensor)
		if !ok && n.Outputs[i] != nil {
			return nil, "", nil
		}
		ts[i] = t
		if t != nil {
			size += tensorBytes(t)
		}
	}
	if size > MaxFoldBytes && size > dying {
		return nil, "", nil
	}
	return ts, "fold-" + n.Op, nil
}

// cseKey identifies a node by op, attributes and operands (pointer identity).
func cseKey(n *ir.Node) (string, bool) {
	s := n.Schema()
	if s == nil || s.Flags&ir.Nondeterministic != 0 || len(n.Subgraphs()) > 0 {
		return "", false
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s::%s/%d(", n.Domain, n.Op, len(n.Outputs))
	for _, in := range n.Inputs {
		fmt.Fprintf(&b, "%p,", in)
	}
	b.WriteString("){")
	for i := range n.Attrs {
		a := &n.Attrs[i]
		if a.Kind == ir.AttrTensor {
			fmt.Fprintf(&b, "%s=%s:%x;", a.Name, a.T.Type(), a.T.Raw)
			continue
		}
		fmt.Fprintf(&b, "%s=%s;", a.Name, a.ValueString())
	}
	b.WriteString("}")
	return b.String(), true
}

// MaxCSEConstBytes bounds the constants compared by content in CSE.
const MaxCSEConstBytes = 4096

func runCSE(c *Context, g *ir.Graph) error {
	// identical small constants first, so nodes reading them become identical too
	seenConst := map[string]*ir.Value{}
	outputs := map[*ir.Value]bool{}
	for _, o := range g.Outputs {
		outputs[o] = true
	}
	for _, v := range g.Consts {
		if tensorBytes(v.Const) > MaxCSEConstBytes || outputs[v] {
			continue
		}
		key := fmt.Sprintf("%s%v:%x:%q", v.Const.DType, v.Const.Shape, v.Const.Raw, v.Const.Strings)
		if prev, ok := seenConst[key]; ok {
			g.ReplaceUses(v, prev)
			c.Hit("same-constant")
			continue
		}
		seenConst[key] = v
	}
	seen := map[string]*ir.Node{}
	for _, n := range g.Nodes {
		key, ok := cseKey(n)
		if !ok {
			continue
		}
		prev, dup := seen[key]
		if !dup {
			seen[key] = n
			continue
		}
		for i, o := range n.Outputs {
			if o != nil && prev.Outputs[i] != nil {
				g.ReplaceUses(o, prev.Outputs[i])
			}
		}
		c.Hit("same-node")
	}
	g.RemoveDead()
	return nil
}
