package ir

import "sort"

// Summary describes a model for `llmc inspect`.
type Summary struct {
	Producer        string           `json:"producer"`
	ProducerVersion string           `json:"producer_version,omitempty"`
	IRVersion       int64            `json:"ir_version"`
	Opsets          map[string]int64 `json:"opsets"`
	Inputs          []ValueSummary   `json:"inputs"`
	Outputs         []ValueSummary   `json:"outputs"`
	Nodes           int              `json:"nodes"`
	Ops             []OpCount        `json:"ops"`
	Parameters      int64            `json:"parameters"`
	ParameterBytes  int64            `json:"parameter_bytes"`
	Constants       int              `json:"constants"`
	ExternalFiles   []string         `json:"external_files,omitempty"`
}

// ValueSummary names a graph input or output with its type.
type ValueSummary struct {
	Name  string   `json:"name"`
	Type  string   `json:"type"`
	DType string   `json:"dtype"`
	Shape []string `json:"shape,omitempty"`
}

// OpCount is one row of the op histogram.
type OpCount struct {
	Op    string `json:"op"`
	Count int    `json:"count"`
}

// Summarize computes a model summary.
func Summarize(m *Model) Summary {
	g := m.Graph
	s := Summary{Producer: m.ProducerName, ProducerVersion: m.ProducerVersion, IRVersion: m.IRVersion, Opsets: map[string]int64{}, ExternalFiles: m.ExternalFiles}
	for d, v := range g.Opsets {
		if d == "" {
			d = "ai.onnx"
		}
		s.Opsets[d] = v
	}
	vs := func(v *Value) ValueSummary {
		out := ValueSummary{Name: v.Name, Type: v.Type.String(), DType: v.Type.DType.String()}
		for _, d := range v.Type.Shape {
			out.Shape = append(out.Shape, d.String())
		}
		return out
	}
	for _, v := range g.Inputs {
		s.Inputs = append(s.Inputs, vs(v))
	}
	for _, v := range g.Outputs {
		s.Outputs = append(s.Outputs, vs(v))
	}
	s.Nodes = g.NumNodes()
	for op, c := range g.OpHistogram() {
		s.Ops = append(s.Ops, OpCount{op, c})
	}
	sort.Slice(s.Ops, func(i, j int) bool {
		if s.Ops[i].Count != s.Ops[j].Count {
			return s.Ops[i].Count > s.Ops[j].Count
		}
		return s.Ops[i].Op < s.Ops[j].Op
	})
	s.Parameters, s.ParameterBytes = g.ParamCount()
	g.Walk(func(h *Graph) { s.Constants += len(h.Consts) })
	return s
}
