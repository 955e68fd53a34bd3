package ref

import (
	"github.com/llmc/llmc/ir"
)

// Identity passes its input through unchanged (tensors, sequences and optionals alike). The
// arithmetic ops registered next to it in ir/ops_basic.go are evaluated in elementwise.go.
func init() {
	ir.MustOp("", "Identity").Eval = func(ctx ir.EvalContext, n *ir.Node, in []ir.Datum) ([]ir.Datum, error) {
		return []ir.Datum{in[0]}, nil
	}
}
