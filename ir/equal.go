package ir

import (
	"fmt"
	"math"
)

// Diff compares two graphs structurally: same inputs, constants, nodes (op, domain, name,
// attributes, operand wiring) and outputs, in the same order, with equal types and constant
// data. Value identity is compared through the wiring, names must match too. It returns "" when
// the graphs are equal and otherwise a description of the first difference.
func Diff(a, b *Graph) string {
	m := map[*Value]*Value{}
	return diffGraph(a, b, m, "graph")
}

// Equal reports whether Diff finds no difference.
func Equal(a, b *Graph) bool { return Diff(a, b) == "" }

// DiffModels compares models: metadata that survives export, opsets and graphs.
func DiffModels(a, b *Model) string {
	if a.IRVersion != b.IRVersion || a.ProducerName != b.ProducerName || a.ProducerVersion != b.ProducerVersion ||
		a.Domain != b.Domain || a.ModelVersion != b.ModelVersion || a.Doc != b.Doc || fmt.Sprint(a.Metadata) != fmt.Sprint(b.Metadata) {
		return "model metadata differs"
	}
	if fmt.Sprint(a.Graph.Opsets) != fmt.Sprint(b.Graph.Opsets) {
		return fmt.Sprintf("opsets differ: %v vs %v", a.Graph.Opsets, b.Graph.Opsets)
	}
	return Diff(a.Graph, b.Graph)
}

func diffValue(a, b *Value, m map[*Value]*Value, what string) string {
	if a == nil || b == nil {
		if a != b {
			return what + ": one side is absent"
		}
		return ""
	}
	if a.Name != b.Name {
		return fmt.Sprintf("%s: name %q vs %q", what, a.Name, b.Name)
	}
	if !a.Type.Equal(b.Type) {
		return fmt.Sprintf("%s %q: type %s vs %s", what, a.Name, a.Type, b.Type)
	}
	if (a.Const == nil) != (b.Const == nil) || (a.Const != nil && !a.Const.Equal(b.Const)) {
		return fmt.Sprintf("%s %q: constant data differs", what, a.Name)
	}
	m[a] = b
	return ""
}

func diffGraph(a, b *Graph, m map[*Value]*Value, where string) string {
	if a.Name != b.Name {
		return fmt.Sprintf("%s: name %q vs %q", where, a.Name, b.Name)
	}
	where = fmt.Sprintf("graph %q", a.Name)
	if len(a.Inputs) != len(b.Inputs) || len(a.Consts) != len(b.Consts) || len(a.Nodes) != len(b.Nodes) || len(a.Outputs) != len(b.Outputs) {
		return fmt.Sprintf("%s: sizes differ (inputs %d/%d, constants %d/%d, nodes %d/%d, outputs %d/%d)", where,
			len(a.Inputs), len(b.Inputs), len(a.Consts), len(b.Consts), len(a.Nodes), len(b.Nodes), len(a.Outputs), len(b.Outputs))
	}
	if a.Doc != b.Doc {
		return where + ": doc strings differ"
	}
	for i := range a.Inputs {
		if d := diffValue(a.Inputs[i], b.Inputs[i], m, where+" input"); d != "" {
			return d
		}
	}
	for i := range a.Consts {
		if d := diffValue(a.Consts[i], b.Consts[i], m, where+" constant"); d != "" {
			return d
		}
	}
	for i := range a.Nodes {
		na, nb := a.Nodes[i], b.Nodes[i]
		at := fmt.Sprintf("%s: node %d (%s)", where, i, na.Describe())
		if na.Name != nb.Name || na.Op != nb.Op || na.Domain != nb.Domain || na.Doc != nb.Doc {
			return fmt.Sprintf("%s: is %s in the other graph", at, nb.Describe())
		}
		if len(na.Inputs) != len(nb.Inputs) || len(na.Outputs) != len(nb.Outputs) || len(na.Attrs) != len(nb.Attrs) {
			return at + ": operand or attribute counts differ"
		}
		for j := range na.Inputs {
			ia, ib := na.Inputs[j], nb.Inputs[j]
			if (ia == nil) != (ib == nil) || (ia != nil && m[ia] != ib) {
				return fmt.Sprintf("%s: input %d is wired differently", at, j)
			}
		}
		for j := range na.Attrs {
			if d := diffAttr(&na.Attrs[j], &nb.Attrs[j], m); d != "" {
				return at + ": " + d
			}
		}
		for j := range na.Outputs {
			if d := diffValue(na.Outputs[j], nb.Outputs[j], m, at+" output"); d != "" {
				return d
			}
		}
	}
	for i := range a.Outputs {
		if m[a.Outputs[i]] != b.Outputs[i] {
			return fmt.Sprintf("%s: output %d is %q vs %q", where, i, a.Outputs[i].Name, b.Outputs[i].Name)
		}
		if !a.Outputs[i].Type.Equal(b.Outputs[i].Type) {
			return fmt.Sprintf("%s: output %q type %s vs %s", where, a.Outputs[i].Name, a.Outputs[i].Type, b.Outputs[i].Type)
		}
	}
	return ""
}

func diffAttr(a, b *Attr, m map[*Value]*Value) string {
	at := fmt.Sprintf("attribute %q", a.Name)
	if a.Name != b.Name || a.Kind != b.Kind || a.RefAttrName != b.RefAttrName {
		return at + ": name or kind differs"
	}
	same := true
	switch a.Kind {
	case AttrFloat:
		same = math.Float32bits(a.F) == math.Float32bits(b.F)
	case AttrInt:
		same = a.I == b.I
	case AttrString:
		same = string(a.S) == string(b.S)
	case AttrFloats:
		same = len(a.Floats) == len(b.Floats)
		for i := 0; same && i < len(a.Floats); i++ {
			same = math.Float32bits(a.Floats[i]) == math.Float32bits(b.Floats[i])
		}
	case AttrInts:
		same = fmt.Sprint(a.Ints) == fmt.Sprint(b.Ints)
	case AttrStrings:
		same = len(a.Strings) == len(b.Strings)
		for i := 0; same && i < len(a.Strings); i++ {
			same = string(a.Strings[i]) == string(b.Strings[i])
		}
	case AttrTensor:
		same = a.T.Equal(b.T)
	case AttrTensors:
		same = len(a.Tensors) == len(b.Tensors)
		for i := 0; same && i < len(a.Tensors); i++ {
			same = a.Tensors[i].Equal(b.Tensors[i])
		}
	case AttrSparseTensor:
		same = sparseEqual(a.Sparse, b.Sparse)
	case AttrSparseTensors:
		same = len(a.SparseTensors) == len(b.SparseTensors)
		for i := 0; same && i < len(a.SparseTensors); i++ {
			same = sparseEqual(a.SparseTensors[i], b.SparseTensors[i])
		}
	case AttrGraph:
		return diffGraph(a.G, b.G, m, at)
	case AttrGraphs:
		if len(a.Graphs) != len(b.Graphs) {
			return at + ": graph counts differ"
		}
		for i := range a.Graphs {
			if d := diffGraph(a.Graphs[i], b.Graphs[i], m, at); d != "" {
				return d
			}
		}
	case AttrType:
		same = a.Type.Equal(*b.Type)
	case AttrTypes:
		same = len(a.Types) == len(b.Types)
		for i := 0; same && i < len(a.Types); i++ {
			same = a.Types[i].Equal(b.Types[i])
		}
	}
	if !same {
		return at + ": values differ"
	}
	return ""
}

func sparseEqual(a, b *SparseTensor) bool {
	return a.Values.Equal(b.Values) && a.Indices.Equal(b.Indices) && fmt.Sprint(a.Dims) == fmt.Sprint(b.Dims)
}
