// Package refstep runs the reference steps of a package made by `llmc compile`: the nodes the
// schedule has no fast kernel for run on llmc's reference implementation (backend/ref), exactly
// as they do in the execution plan. A compiled package imports it only when it has such steps.
package refstep

import (
	"fmt"

	"github.com/llmc/llmc/backend/ref"
	"github.com/llmc/llmc/ir"
)

// Graph holds the nodes of a package's reference steps, parsed once from the textual IR the
// compiler embedded: its inputs are the values those nodes read from the rest of the model.
type Graph struct {
	g *ir.Graph
}

// Parse parses the embedded textual IR.
func Parse(text string) (*Graph, error) {
	m, err := ir.ParseModel(text)
	if err != nil {
		return nil, fmt.Errorf("reference steps: %w", err)
	}
	return &Graph{g: m.Graph}, nil
}

// Arg is one input of a reference step: its shape (for the bound dims) and bytes.
type Arg struct {
	Shape []int64
	Data  []byte
}

// Run runs node i of the graph on ins (one per node input; a zero Arg for an absent one) and
// copies its results into outs (one per node output; nil to skip), failing when a result's size
// differs from the one planned. free holds the outer-scope values its subgraphs read (control
// flow), in ir.Node.FreeValues order.
func (g *Graph) Run(i int, ins []Arg, outs [][]byte, free ...Arg) error {
	n := g.g.Nodes[i]
	ts := make([]*ir.Tensor, len(ins))
	for j, a := range ins {
		if j >= len(n.Inputs) || n.Inputs[j] == nil {
			continue
		}
		ts[j] = &ir.Tensor{DType: n.Inputs[j].Type.DType, Shape: a.Shape, Raw: a.Data}
	}
	var scope map[*ir.Value]*ir.Tensor
	if fv := n.FreeValues(); len(fv) > 0 {
		if len(fv) != len(free) {
			return fmt.Errorf("%s: %d outer-scope values, want %d", n.Describe(), len(free), len(fv))
		}
		scope = map[*ir.Value]*ir.Tensor{}
		for j, v := range fv {
			scope[v] = &ir.Tensor{DType: v.Type.DType, Shape: free[j].Shape, Raw: free[j].Data}
		}
	}
	if err := ref.EvalInto(g.g, n, ts, outs, scope, ref.Options{}); err != nil {
		return fmt.Errorf("%s: %w", n.Describe(), err)
	}
	return nil
}
