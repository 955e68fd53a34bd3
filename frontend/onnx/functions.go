package onnx

import (
	"fmt"
	"sort"
	"strings"

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
// native: the same body ops wired the same way to the same formal parameters, whatever the
// names.
func isOwnFunction(f *onnxpb.FunctionProto) bool {
	s := ir.LookupOp(f.GetDomain(), f.GetName())
	if s == nil || s.Function == nil {
		return false
	}
	d := s.Function
	if len(f.GetInput()) != len(d.Inputs) || len(f.GetOutput()) != len(d.Outputs) || len(f.GetNode()) != len(d.Nodes) {
		return false
	}
	var nodes [][4][]string // per body node: domain/op, inputs, outputs, attribute refs
	for _, n := range f.GetNode() {
		var refs []string
		for _, a := range n.GetAttribute() {
			refs = append(refs, a.GetName()+"="+a.GetRefAttrName())
		}
		nodes = append(nodes, [4][]string{{n.GetDomain(), n.GetOpType()}, n.GetInput(), n.GetOutput(), refs})
	}
	var own [][4][]string
	for _, n := range d.Nodes {
		var refs []string
		for to, from := range n.AttrRefs {
			refs = append(refs, to+"="+from)
		}
		own = append(own, [4][]string{{n.Domain, n.Op}, n.Inputs, n.Outputs, refs})
	}
	return canonicalBody(f.GetInput(), f.GetOutput(), nodes) == canonicalBody(d.Inputs, d.Outputs, own)
}

// canonicalBody renders a function body with every value named by its role (formal input i,
// formal output i, output k of body node j, or absent), so bodies that differ only in names
// compare equal.
func canonicalBody(ins, outs []string, nodes [][4][]string) string {
	role := map[string]string{"": "-"}
	for i, n := range ins {
		role[n] = fmt.Sprintf("in%d", i)
	}
	formalOut := map[string]int{}
	for i, n := range outs {
		formalOut[n] = i
	}
	var b strings.Builder
	for j, n := range nodes {
		fmt.Fprintf(&b, "%s::%s(", n[0][0], n[0][1])
		for _, in := range n[1] {
			r, ok := role[in]
			if !ok {
				r = "?" + in // read before being defined
			}
			b.WriteString(r + ",")
		}
		b.WriteString(")->(")
		for k, out := range n[2] {
			r := fmt.Sprintf("n%d.%d", j, k)
			if i, ok := formalOut[out]; ok {
				r = fmt.Sprintf("out%d", i)
			}
			if out == "" {
				r = "-"
			} else {
				role[out] = r
			}
			b.WriteString(r + ",")
		}
		refs := append([]string(nil), n[3]...)
		sort.Strings(refs)
		fmt.Fprintf(&b, ")%v;", refs)
	}
	return b.String()
}
