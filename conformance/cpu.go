package conformance

import (
	"fmt"

	"github.com/llmc/llmc/backend/cpu/plan"
	"github.com/llmc/llmc/backend/ref"
	"github.com/llmc/llmc/ir"
)

// CPUBackend runs graphs through the CPU execution plan (the schedule's kernels, with reference
// steps for ops without one, control flow included). Graphs it cannot plan (sequence, optional
// and string values, sizes that depend on the input data) are reported as unsupported, so they
// count as skipped.
func CPUBackend(g *ir.Graph, inputs map[string]ir.Datum) ([]ir.Datum, error) {
	ts := map[string]*ir.Tensor{}
	for k, d := range inputs {
		t, ok := d.(*ir.Tensor)
		if !ok {
			return nil, ref.Unsupportedf("cpu backend: input %q is not a tensor", k)
		}
		ts[k] = t
	}
	for _, v := range g.Outputs {
		if v.Type.Kind != ir.KindTensor && v.Type.Kind != ir.KindUnknown {
			return nil, ref.Unsupportedf("cpu backend: output %q is a %s", v.Name, v.Type)
		}
	}
	m, err := plan.New(g, plan.Options{Threads: 1})
	if err != nil {
		return nil, err
	}
	if err := ref.CheckInputs(g, inputs); err != nil {
		return nil, err
	}
	if _, err := m.PlanFor(ts); err != nil {
		return nil, fmt.Errorf("%w: cpu backend cannot plan: %v", ref.ErrUnsupported, err)
	}
	outs, err := m.Run(ts)
	if err != nil {
		return nil, err
	}
	res := make([]ir.Datum, len(outs))
	for i, t := range outs {
		res[i] = t
	}
	return res, nil
}
