package passes

import (
	"fmt"

	"github.com/llmc/llmc/ir"
)

// The fused LayerNormalization is an opset-17 op. Models exported at opsets 11-16 get their
// default-domain import raised to 17 in place when every node keeps its meaning: from 13 on
// that holds for all ops in such models except RoiAlign; from 11 and 12, the ops that moved
// an attribute to an input at 13 (Unsqueeze, Squeeze, ReduceSum, Split) are rewritten to the
// input form, and Softmax-like ops, which coerced their input to 2-D before 13, are kept only
// when they normalize the last axis (then both meanings agree).

// opsetUpgradeFrom is the oldest default-domain opset that is raised to 17.
const opsetUpgradeFrom = 11

// opset17Refusal says why g's default-domain opset cannot be raised to 17 ("" when it can, or
// already is). It does not change g.
func opset17Refusal(g *ir.Graph) string {
	v := g.Opsets[""]
	if v >= 17 {
		return ""
	}
	if v < opsetUpgradeFrom {
		return fmt.Sprintf("LayerNormalization needs opset 17 and the model imports opset %d (< %d: not upgraded)", v, opsetUpgradeFrom)
	}
	refuse := ""
	g.Walk(func(h *ir.Graph) {
		for _, n := range h.Nodes {
			if refuse != "" {
				return
			}
			if why := nodeUpgradeRefusal(n, v); why != "" {
				refuse = fmt.Sprintf("not raising opset %d to 17 for LayerNormalization: %s: %s", v, n.Describe(), why)
			}
		}
	})
	return refuse
}

// nodeUpgradeRefusal says why n (in a model importing opset v) would change meaning at opset 17.
func nodeUpgradeRefusal(n *ir.Node, v int64) string {
	if n.Domain != "" {
		return ""
	}
	switch n.Op {
	case "RoiAlign":
		if v < 16 {
			return "RoiAlign's default coordinate mode changed at opset 16"
		}
	case "Resize":
		if v < 13 && n.AttrString("coordinate_transformation_mode", "") == "tf_half_pixel_for_nn" {
			return "coordinate mode tf_half_pixel_for_nn was removed at opset 13"
		}
	case "Dropout":
		if v < 12 && n.Attr("ratio") != nil {
			return "the ratio attribute became an input at opset 12"
		}
	case "Softmax", "LogSoftmax", "Hardmax":
		if v < 13 {
			r := rankOf(n.Inputs[0])
			if r < 1 {
				return "rank unknown: cannot tell whether the 2-D coercion before opset 13 is a last-axis " + n.Op
			}
			if a := ir.SoftmaxAxis(n, v); a != int64(r-1) && a != -1 {
				return fmt.Sprintf("axis %d of a rank-%d input: the 2-D coercion before opset 13 differs from a single-axis %s", a, r, n.Op)
			}
		}
	}
	if err := ir.CheckNodeContract(n, 17); err != nil {
		return err.Error()
	}
	return ""
}

// ensureOpset17 raises g's default-domain opset to 17, rewriting nodes whose form changed (see
// opset17Refusal, which must have returned "").
func ensureOpset17(g *ir.Graph, nm *ir.Namer) {
	v := g.Opsets[""]
	if v >= 17 {
		return
	}
	if v < 13 {
		g.Walk(func(h *ir.Graph) {
			for _, n := range h.Nodes {
				upgradeNodeTo13(h, nm, n, v)
			}
		})
	}
	g.Opsets[""] = 17
}

// upgradeNodeTo13 rewrites n (from opset v < 13) to its opset-13 form.
func upgradeNodeTo13(g *ir.Graph, nm *ir.Namer, n *ir.Node, v int64) {
	if n.Domain != "" {
		return
	}
	// moveToInput turns an ints attribute into constant input 1 (dropped when absent, which
	// means the same in both forms).
	moveToInput := func(attr string) {
		a := n.Attr(attr)
		if a == nil {
			return
		}
		hint := n.Name
		if hint == "" {
			hint = n.Op
		}
		c := g.AddConst(nm, hint+"_"+attr, ir.FromInt64s([]int64{int64(len(a.Ints))}, a.Ints))
		n.DelAttr(attr)
		n.Inputs = append(n.Inputs[:1], c)
	}
	switch n.Op {
	case "Unsqueeze", "Squeeze", "ReduceSum":
		moveToInput("axes")
	case "Split":
		moveToInput("split")
	case "Softmax", "LogSoftmax", "Hardmax":
		n.SetAttr(ir.AInt("axis", int64(rankOf(n.Inputs[0])-1)))
	}
}
