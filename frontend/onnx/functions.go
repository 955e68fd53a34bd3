package onnx

import (
	"fmt"
	"sort"

	"github.com/llmc/llmc/frontend/onnx/onnxpb"
	"github.com/llmc/llmc/ir"
)

// Ops with a Function definition (llmc's fused ops, ir/ops_llmc.go) are exported together with
// that definition as a model-local function, so runtimes without llmc's kernels (ONNX Runtime)
// run the model by inlining the body. On import, a call to such an op whose model-local function
// is llmc's own definition stays one node; any other function is inlined.

// functionProtos returns a FunctionProto for every op with a Function that the graph (or its
// subgraphs) uses, with the body's opsets at the versions the model imports.
func functionProtos(g *ir.Graph, opsets map[string]int64) ([]*onnxpb.FunctionProto, error) {
	used := map[*ir.OpSchema]bool{}
	g.Walk(func(h *ir.Graph) {
		for _, n := range h.Nodes {
			if s := n.Schema(); s != nil && s.Function != nil {
				used[s] = true
			}
		}
	})
	var schemas []*ir.OpSchema
	for s := range used {
		schemas = append(schemas, s)
	}
	sort.Slice(schemas, func(i, j int) bool { return schemas[i].Key() < schemas[j].Key() })
	var out []*onnxpb.FunctionProto
	for _, s := range schemas {
		fp, err := functionProto(s, opsets)
		if err != nil {
			return nil, fmt.Errorf("function %s: %v", s.Key(), err)
		}
		out = append(out, fp)
	}
	return out, nil
}

func functionProto(s *ir.OpSchema, opsets map[string]int64) (*onnxpb.FunctionProto, error) {
	f := s.Function
	fp := &onnxpb.FunctionProto{Name: ptr(s.Name), Domain: ptr(s.Domain), DocString: ptr(s.Doc),
		Input: f.Inputs, Output: f.Outputs, Attribute: f.Attrs}
	var doms []string
	for d := range f.Opsets {
		doms = append(doms, d)
	}
	sort.Strings(doms)
	for _, d := range doms {
		v := max(f.Opsets[d], opsets[d])
		fp.OpsetImport = append(fp.OpsetImport, &onnxpb.OperatorSetIdProto{Domain: ptr(d), Version: ptr(v)})
	}
	for _, fn := range f.Nodes {
		np := &onnxpb.NodeProto{OpType: ptr(fn.Op), Input: fn.Inputs, Output: fn.Outputs}
		if fn.Domain != "" {
			np.Domain = ptr(fn.Domain)
		}
		body := ir.LookupOp(fn.Domain, fn.Op)
		if body == nil {
			return nil, fmt.Errorf("body op %s::%s is unknown", fn.Domain, fn.Op)
		}
		var names []string
		for to := range fn.AttrRefs {
			names = append(names, to)
		}
		sort.Strings(names)
		for _, to := range names {
			spec := body.AttrSpec(to)
			if spec == nil {
				return nil, fmt.Errorf("body op %s has no attribute %q", fn.Op, to)
			}
			np.Attribute = append(np.Attribute, &onnxpb.AttributeProto{Name: ptr(to), RefAttrName: ptr(fn.AttrRefs[to]),
				Type: ptr(onnxpb.AttributeProto_AttributeType(spec.Kind))})
		}
		fp.Node = append(fp.Node, np)
	}
	return fp, nil
}

// isOwnFunction reports whether a model-local function is the definition of an op of llmc's
// table with the same domain and name (as the exporter writes it), so calls to it can stay
// native: same formal parameters, same body ops.
func isOwnFunction(f *onnxpb.FunctionProto) bool {
	s := ir.LookupOp(f.GetDomain(), f.GetName())
	if s == nil || s.Function == nil {
		return false
	}
	d := s.Function
	if len(f.GetInput()) != len(d.Inputs) || len(f.GetOutput()) != len(d.Outputs) || len(f.GetNode()) != len(d.Nodes) {
		return false
	}
	for i, n := range f.GetNode() {
		if n.GetOpType() != d.Nodes[i].Op || n.GetDomain() != d.Nodes[i].Domain {
			return false
		}
	}
	return true
}
