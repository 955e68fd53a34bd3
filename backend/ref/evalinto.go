package ref

import (
	"fmt"

	"github.com/llmc/llmc/ir"
)

// EvalInto runs node n of g on the reference implementation with inputs ins (nil for absent
// ones) and copies result i into outs[i] (skipped when outs[i] is nil): the reference step of a
// schedule, which the execution plan and compiled packages both run for ops without a fast
// kernel. It fails when a result is not a tensor or its size differs from len(outs[i]) (the size
// the schedule planned from the input dims). free holds the values of the outer scope that n's
// subgraphs read (If, Loop, Scan).
func EvalInto(g *ir.Graph, n *ir.Node, ins []*ir.Tensor, outs [][]byte, free map[*ir.Value]*ir.Tensor, opts Options) error {
	args := make([]ir.Datum, len(ins))
	for i, t := range ins {
		if t != nil {
			args[i] = t
		}
	}
	scope := make(map[*ir.Value]ir.Datum, len(free))
	for v, t := range free {
		scope[v] = t
	}
	res, err := evalNodeScope(g, n, args, scope, opts)
	if err != nil {
		return err
	}
	for i, dst := range outs {
		if dst == nil {
			continue
		}
		if i >= len(res) || res[i] == nil {
			return fmt.Errorf("output %d was not computed", i)
		}
		t, ok := res[i].(*ir.Tensor)
		if !ok {
			return fmt.Errorf("output %d is a %T, not a tensor", i, res[i])
		}
		if len(t.Raw) != len(dst) {
			name := fmt.Sprint(i)
			if i < len(n.Outputs) && n.Outputs[i] != nil {
				name = fmt.Sprintf("%q", n.Outputs[i].Name)
			}
			return fmt.Errorf("output %s has shape %v (%d bytes), but the schedule planned %d bytes from the input dims", name, t.Shape, len(t.Raw), len(dst))
		}
		copy(dst, t.Raw)
	}
	return nil
}
