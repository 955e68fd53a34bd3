package ref

import (
	"fmt"

	"github.com/llmc/llmc/ir"
)

// Ops defined by a Function body (llmc's fused ops) are evaluated by running the body: the
// reference semantics of such an op is its definition.
func init() {
	for _, s := range ir.Ops() {
		if s.Function != nil && s.Eval == nil {
			s.Eval = evalFunction
		}
	}
}

func evalFunction(ctx ir.EvalContext, n *ir.Node, args []ir.Datum) ([]ir.Datum, error) {
	f := n.Schema().Function
	nodes, ins, outs := f.Instantiate(n)
	g := f.Graph()
	fr := &frame{vals: map[*ir.Value]ir.Datum{}}
	for i, v := range ins {
		if v != nil && i < len(args) && args[i] != nil {
			fr.vals[v] = args[i]
		}
	}
	in, ok := ctx.(*nodeCtx)
	if !ok {
		return nil, fmt.Errorf("function bodies need the interpreter's context")
	}
	for _, b := range nodes {
		ts, err := ir.InferNode(g, b)
		if err != nil {
			return nil, fmt.Errorf("body: %w", err)
		}
		for i, v := range b.Outputs {
			if v != nil {
				v.Type = ts[i]
			}
		}
		res, err := in.in.evalNode(g, fr, b)
		if err != nil {
			return nil, err
		}
		for i, v := range b.Outputs {
			if v != nil {
				fr.vals[v] = res[i]
			}
		}
	}
	res := make([]ir.Datum, len(n.Outputs))
	for i := range res {
		if n.Outputs[i] != nil {
			res[i] = fr.vals[outs[i]]
		}
	}
	return res, nil
}
