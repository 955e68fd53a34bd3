package ir

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// AttrKind is an attribute's type; the numbers are ONNX's AttributeProto.AttributeType codes.
type AttrKind uint8

// Attribute kinds.
const (
	AttrUndefined     AttrKind = 0
	AttrFloat         AttrKind = 1
	AttrInt           AttrKind = 2
	AttrString        AttrKind = 3
	AttrTensor        AttrKind = 4
	AttrGraph         AttrKind = 5
	AttrFloats        AttrKind = 6
	AttrInts          AttrKind = 7
	AttrStrings       AttrKind = 8
	AttrTensors       AttrKind = 9
	AttrGraphs        AttrKind = 10
	AttrSparseTensor  AttrKind = 11
	AttrSparseTensors AttrKind = 12
	AttrType          AttrKind = 13
	AttrTypes         AttrKind = 14
)

var attrKindNames = map[AttrKind]string{
	AttrFloat: "float", AttrInt: "int", AttrString: "string", AttrTensor: "tensor", AttrGraph: "graph",
	AttrFloats: "floats", AttrInts: "ints", AttrStrings: "strings", AttrTensors: "tensors",
	AttrGraphs: "graphs", AttrSparseTensor: "sparse_tensor", AttrSparseTensors: "sparse_tensors",
	AttrType: "type", AttrTypes: "types",
}

func (k AttrKind) String() string {
	if s, ok := attrKindNames[k]; ok {
		return s
	}
	return "attrkind(" + strconv.Itoa(int(k)) + ")"
}

// SparseTensor is a COO sparse tensor: Values[i] sits at Indices[i] (or at the linearised index
// when Indices is rank 1) of a dense tensor of shape Dims.
type SparseTensor struct {
	Values  *Tensor
	Indices *Tensor
	Dims    []int64
}

// Attr is a node attribute. Exactly the field(s) of its Kind are meaningful. RefAttrName is set
// only inside function bodies, where the attribute takes the value of the caller's attribute.
type Attr struct {
	Name          string
	Kind          AttrKind
	F             float32
	I             int64
	S             []byte
	T             *Tensor
	G             *Graph
	Sparse        *SparseTensor
	Type          *Type
	Floats        []float32
	Ints          []int64
	Strings       [][]byte
	Tensors       []*Tensor
	Graphs        []*Graph
	SparseTensors []*SparseTensor
	Types         []Type
	RefAttrName   string
	Doc           string
}

// Constructors for common attributes.

// AInt makes an int attribute.
func AInt(name string, v int64) Attr { return Attr{Name: name, Kind: AttrInt, I: v} }

// AFloat makes a float attribute.
func AFloat(name string, v float32) Attr { return Attr{Name: name, Kind: AttrFloat, F: v} }

// AString makes a string attribute.
func AString(name, v string) Attr { return Attr{Name: name, Kind: AttrString, S: []byte(v)} }

// AInts makes an ints attribute.
func AInts(name string, v ...int64) Attr {
	return Attr{Name: name, Kind: AttrInts, Ints: append([]int64{}, v...)}
}

// AFloats makes a floats attribute.
func AFloats(name string, v ...float32) Attr {
	return Attr{Name: name, Kind: AttrFloats, Floats: append([]float32{}, v...)}
}

// ATensor makes a tensor attribute.
func ATensor(name string, t *Tensor) Attr { return Attr{Name: name, Kind: AttrTensor, T: t} }

// AGraph makes a graph attribute.
func AGraph(name string, g *Graph) Attr { return Attr{Name: name, Kind: AttrGraph, G: g} }

// Typed accessors with defaults, used by inference and evaluation hooks.

// AttrInt returns the int attribute name or def when absent.
func (n *Node) AttrInt(name string, def int64) int64 {
	if a := n.Attr(name); a != nil && a.Kind == AttrInt {
		return a.I
	}
	return def
}

// AttrFloat returns the float attribute name or def when absent.
func (n *Node) AttrFloat(name string, def float32) float32 {
	if a := n.Attr(name); a != nil && a.Kind == AttrFloat {
		return a.F
	}
	return def
}

// AttrString returns the string attribute name or def when absent.
func (n *Node) AttrString(name string, def string) string {
	if a := n.Attr(name); a != nil && a.Kind == AttrString {
		return string(a.S)
	}
	return def
}

// AttrInts returns the ints attribute name or def when absent.
func (n *Node) AttrInts(name string, def []int64) []int64 {
	if a := n.Attr(name); a != nil && a.Kind == AttrInts {
		return a.Ints
	}
	return def
}

// AttrFloats returns the floats attribute name or def when absent.
func (n *Node) AttrFloats(name string, def []float32) []float32 {
	if a := n.Attr(name); a != nil && a.Kind == AttrFloats {
		return a.Floats
	}
	return def
}

// AttrStrings returns the strings attribute name as Go strings, or def when absent.
func (n *Node) AttrStrings(name string, def []string) []string {
	if a := n.Attr(name); a != nil && a.Kind == AttrStrings {
		out := make([]string, len(a.Strings))
		for i, s := range a.Strings {
			out[i] = string(s)
		}
		return out
	}
	return def
}

// AttrTensor returns the tensor attribute name, or nil.
func (n *Node) AttrTensor(name string) *Tensor {
	if a := n.Attr(name); a != nil && a.Kind == AttrTensor {
		return a.T
	}
	return nil
}

// AttrGraph returns the graph attribute name, or nil.
func (n *Node) AttrGraph(name string) *Graph {
	if a := n.Attr(name); a != nil && a.Kind == AttrGraph {
		return a.G
	}
	return nil
}

// ValueString renders the attribute value compactly for labels and messages (tensors and graphs
// are summarised).
func (a *Attr) ValueString() string {
	switch a.Kind {
	case AttrFloat:
		return formatFloat32(a.F)
	case AttrInt:
		return strconv.FormatInt(a.I, 10)
	case AttrString:
		return strconv.Quote(string(a.S))
	case AttrFloats:
		parts := make([]string, len(a.Floats))
		for i, f := range a.Floats {
			parts[i] = formatFloat32(f)
		}
		return "[" + strings.Join(parts, ",") + "]"
	case AttrInts:
		parts := make([]string, len(a.Ints))
		for i, v := range a.Ints {
			parts[i] = strconv.FormatInt(v, 10)
		}
		return "[" + strings.Join(parts, ",") + "]"
	case AttrStrings:
		parts := make([]string, len(a.Strings))
		for i, s := range a.Strings {
			parts[i] = strconv.Quote(string(s))
		}
		return "[" + strings.Join(parts, ",") + "]"
	case AttrTensor:
		return "tensor " + a.T.Type().String()
	case AttrGraph:
		return fmt.Sprintf("graph(%d nodes)", len(a.G.Nodes))
	case AttrGraphs:
		return fmt.Sprintf("%d graphs", len(a.Graphs))
	case AttrTensors:
		return fmt.Sprintf("%d tensors", len(a.Tensors))
	case AttrType:
		return a.Type.String()
	}
	return a.Kind.String()
}

// formatFloat32 prints f so that parsing it back gives the same bits (nan/inf spelled out).
func formatFloat32(f float32) string {
	switch {
	case math.IsNaN(float64(f)):
		if math.Float32bits(f) == 0x7FC00000 {
			return "nan"
		}
		return fmt.Sprintf("nan:0x%08x", math.Float32bits(f))
	case math.IsInf(float64(f), 1):
		return "inf"
	case math.IsInf(float64(f), -1):
		return "-inf"
	}
	s := strconv.FormatFloat(float64(f), 'g', -1, 32)
	if !strings.ContainsAny(s, ".eEn") {
		s += ".0"
	}
	return s
}
