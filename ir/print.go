package ir

import (
	"encoding/hex"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// The textual IR. A model prints as
//
//	model ir_version=8 producer="pytorch" opsets{"": 14, "com.microsoft": 1}
//	graph main(%x: f32[batch,4]) -> (%y) {
//	  %w: f32[4] = const [1.0, 2.0, 3.0, 4.0]
//	  %y: f32[batch,4] = Add(%x, %w) @"add_0"
//	  %s: f32[batch,4], _ = com.microsoft::SkipLayerNormalization(%y, %x, %g, %b) {epsilon=1e-12}
//	}
//
// Values are %name (quoted when the name is not a plain identifier), absent operands are _, node
// names follow @, attributes sit in braces. Parse(Print(m)) reproduces m exactly (constants
// included, float bits preserved) unless PrintOptions.ElideConstants is set.

// PrintOptions tune the printer.
type PrintOptions struct {
	// ElideConstants prints constants with more than this many elements as <N elements> (the
	// output then no longer parses). 0 prints everything.
	ElideConstants int
}

// PrintModel writes the model in textual IR.
func PrintModel(w io.Writer, m *Model, opts PrintOptions) error {
	p := &printer{opts: opts}
	p.model(m)
	_, err := io.WriteString(w, p.b.String())
	return err
}

// FormatModel returns the model's textual IR.
func FormatModel(m *Model) string {
	var b strings.Builder
	_ = PrintModel(&b, m, PrintOptions{})
	return b.String()
}

// FormatGraph returns a main graph's textual IR, with its opsets in a model header.
func FormatGraph(g *Graph) string { return FormatModel(&Model{Graph: g}) }

// String renders a node on one line (for messages), eliding large constants in attributes.
func (n *Node) String() string {
	p := &printer{opts: PrintOptions{ElideConstants: 8}}
	p.node(n, "")
	return strings.TrimSpace(p.b.String())
}

type printer struct {
	b    strings.Builder
	opts PrintOptions
}

func (p *printer) printf(format string, args ...any) { fmt.Fprintf(&p.b, format, args...) }

func isIdent(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		ok := r == '_' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (i > 0 && (r == '.' || (r >= '0' && r <= '9')))
		if !ok {
			return false
		}
	}
	return true
}

func quoteName(s string) string {
	if isIdent(s) {
		return s
	}
	return strconv.Quote(s)
}

func valueRef(v *Value) string {
	if v == nil {
		return "_"
	}
	return "%" + quoteName(v.Name)
}

func typeText(t Type) string {
	switch t.Kind {
	case KindTensor, KindSparseTensor:
		var b strings.Builder
		b.WriteString(t.DType.String())
		if !t.Ranked {
			b.WriteString("[*]")
		} else {
			b.WriteByte('[')
			for i, d := range t.Shape {
				if i > 0 {
					b.WriteByte(',')
				}
				switch {
				case d.IsSymbolic():
					b.WriteString(quoteName(d.Param))
				case d.IsConcrete():
					b.WriteString(strconv.FormatInt(d.Value, 10))
				default:
					b.WriteByte('?')
				}
			}
			b.WriteByte(']')
		}
		if t.Kind == KindSparseTensor {
			return "sparse<" + b.String() + ">"
		}
		return b.String()
	case KindSequence:
		return "seq<" + elemText(t.Elem) + ">"
	case KindOptional:
		return "opt<" + elemText(t.Elem) + ">"
	case KindMap:
		return "map<" + t.KeyDType.String() + "," + elemText(t.Elem) + ">"
	}
	return "?"
}

func elemText(t *Type) string {
	if t == nil {
		return "?"
	}
	return typeText(*t)
}

func (p *printer) model(m *Model) {
	p.printf("model")
	if m.IRVersion != 0 {
		p.printf(" ir_version=%d", m.IRVersion)
	}
	if m.ProducerName != "" {
		p.printf(" producer=%s", strconv.Quote(m.ProducerName))
	}
	if m.ProducerVersion != "" {
		p.printf(" producer_version=%s", strconv.Quote(m.ProducerVersion))
	}
	if m.Domain != "" {
		p.printf(" domain=%s", strconv.Quote(m.Domain))
	}
	if m.ModelVersion != 0 {
		p.printf(" model_version=%d", m.ModelVersion)
	}
	if m.Doc != "" {
		p.printf(" doc=%s", strconv.Quote(m.Doc))
	}
	if len(m.Metadata) > 0 {
		p.printf(" metadata{")
		for i, kv := range m.Metadata {
			if i > 0 {
				p.printf(", ")
			}
			p.printf("%s: %s", strconv.Quote(kv.Key), strconv.Quote(kv.Value))
		}
		p.printf("}")
	}
	p.printf(" opsets{")
	for i, d := range sortedDomains(m.Graph.Opsets) {
		if i > 0 {
			p.printf(", ")
		}
		p.printf("%s: %d", strconv.Quote(d), m.Graph.Opsets[d])
	}
	p.printf("}\n")
	p.graph(m.Graph, "")
	p.printf("\n")
}

func sortedDomains(m map[string]int64) []string {
	ds := make([]string, 0, len(m))
	for d := range m {
		ds = append(ds, d)
	}
	for i := 1; i < len(ds); i++ {
		for j := i; j > 0 && ds[j] < ds[j-1]; j-- {
			ds[j], ds[j-1] = ds[j-1], ds[j]
		}
	}
	return ds
}

func (p *printer) graph(g *Graph, indent string) {
	p.printf("graph %s", quoteName(g.Name))
	if g.Name == "" {
		p.printf(`""`)
	}
	if g.Doc != "" {
		p.printf(" doc=%s", strconv.Quote(g.Doc))
	}
	p.printf("(")
	for i, v := range g.Inputs {
		if i > 0 {
			p.printf(", ")
		}
		p.printf("%s: %s", valueRef(v), typeText(v.Type))
	}
	p.printf(") -> (")
	for i, v := range g.Outputs {
		if i > 0 {
			p.printf(", ")
		}
		p.printf("%s", valueRef(v))
	}
	p.printf(") {\n")
	inner := indent + "  "
	for _, c := range g.Consts {
		p.printf("%s%s: %s = const ", inner, valueRef(c), typeText(c.Type))
		p.tensorData(c.Const)
		p.printf("\n")
	}
	for _, n := range g.Nodes {
		p.node(n, inner)
	}
	// outputs' types are printed where they are defined; an output that is a graph input or
	// constant already carries its type.
	p.printf("%s}", indent)
}

func (p *printer) node(n *Node, indent string) {
	p.printf("%s", indent)
	for i, v := range n.Outputs {
		if i > 0 {
			p.printf(", ")
		}
		if v == nil {
			p.printf("_")
		} else {
			p.printf("%s: %s", valueRef(v), typeText(v.Type))
		}
	}
	if len(n.Outputs) > 0 {
		p.printf(" ")
	}
	p.printf("= ")
	if n.Domain != "" {
		p.printf("%s::", quoteName(n.Domain))
	}
	p.printf("%s(", quoteName(n.Op))
	for i, v := range n.Inputs {
		if i > 0 {
			p.printf(", ")
		}
		p.printf("%s", valueRef(v))
	}
	p.printf(")")
	if len(n.Attrs) > 0 {
		p.printf(" {")
		for i := range n.Attrs {
			if i > 0 {
				p.printf(", ")
			}
			p.attr(&n.Attrs[i], indent)
		}
		p.printf("}")
	}
	if n.Name != "" {
		p.printf(" @%s", strconv.Quote(n.Name))
	}
	if n.Doc != "" {
		p.printf(" doc=%s", strconv.Quote(n.Doc))
	}
	p.printf("\n")
}

func (p *printer) attr(a *Attr, indent string) {
	p.printf("%s=", quoteName(a.Name))
	if a.RefAttrName != "" {
		p.printf("ref<%s>%s", a.Kind, strconv.Quote(a.RefAttrName))
		return
	}
	switch a.Kind {
	case AttrFloat:
		p.printf("%s", formatFloat32(a.F))
	case AttrInt:
		p.printf("%d", a.I)
	case AttrString:
		p.printf("%s", strconv.Quote(string(a.S)))
	case AttrFloats:
		if len(a.Floats) == 0 {
			p.printf("floats[]")
			return
		}
		p.printf("[")
		for i, f := range a.Floats {
			if i > 0 {
				p.printf(", ")
			}
			p.printf("%s", formatFloat32(f))
		}
		p.printf("]")
	case AttrInts:
		if len(a.Ints) == 0 {
			p.printf("ints[]")
			return
		}
		p.printf("[")
		for i, v := range a.Ints {
			if i > 0 {
				p.printf(", ")
			}
			p.printf("%d", v)
		}
		p.printf("]")
	case AttrStrings:
		if len(a.Strings) == 0 {
			p.printf("strings[]")
			return
		}
		p.printf("[")
		for i, s := range a.Strings {
			if i > 0 {
				p.printf(", ")
			}
			p.printf("%s", strconv.Quote(string(s)))
		}
		p.printf("]")
	case AttrTensor:
		p.tensorLit(a.T)
	case AttrTensors:
		p.printf("tensors[")
		for i, t := range a.Tensors {
			if i > 0 {
				p.printf(", ")
			}
			p.tensorLit(t)
		}
		p.printf("]")
	case AttrSparseTensor:
		p.sparseLit(a.Sparse)
	case AttrSparseTensors:
		p.printf("sparse_tensors[")
		for i, s := range a.SparseTensors {
			if i > 0 {
				p.printf(", ")
			}
			p.sparseLit(s)
		}
		p.printf("]")
	case AttrGraph:
		p.graph(a.G, indent)
	case AttrGraphs:
		p.printf("graphs[")
		for i, g := range a.Graphs {
			if i > 0 {
				p.printf(", ")
			}
			p.graph(g, indent)
		}
		p.printf("]")
	case AttrType:
		p.printf("type<%s>", typeText(*a.Type))
	case AttrTypes:
		p.printf("types[")
		for i, t := range a.Types {
			if i > 0 {
				p.printf(", ")
			}
			p.printf("type<%s>", typeText(t))
		}
		p.printf("]")
	default:
		p.printf("<%s>", a.Kind)
	}
}

func (p *printer) sparseLit(s *SparseTensor) {
	p.printf("sparse(")
	p.tensorLit(s.Values)
	p.printf(", ")
	p.tensorLit(s.Indices)
	p.printf(", [")
	for i, d := range s.Dims {
		if i > 0 {
			p.printf(", ")
		}
		p.printf("%d", d)
	}
	p.printf("])")
}

// tensorLit prints a self-typed tensor: tensor<f32[2]>[1.0, 2.0].
func (p *printer) tensorLit(t *Tensor) {
	p.printf("tensor<%s>", typeText(t.Type()))
	p.tensorData(t)
}

// tensorData prints tensor elements: a flat list for float32/64, integers and bool; hex of the
// raw bytes for other dtypes; quoted strings for string tensors.
func (p *printer) tensorData(t *Tensor) {
	n := t.Len()
	if p.opts.ElideConstants > 0 && n > p.opts.ElideConstants {
		p.printf("<%d elements>", n)
		return
	}
	switch t.DType {
	case Float32, Float64, Int8, Int16, Int32, Int64, Uint8, Uint16, Uint32, Uint64, Bool:
		p.printf("[")
		for i := 0; i < n; i++ {
			if i > 0 {
				p.printf(", ")
			}
			switch t.DType {
			case Float32:
				p.printf("%s", formatFloat32(math.Float32frombits(leU32(t.Raw[4*i:]))))
			case Float64:
				p.printf("%s", formatFloat64(math.Float64frombits(leU64(t.Raw[8*i:]))))
			case Uint64:
				p.printf("%d", leU64(t.Raw[8*i:]))
			case Bool:
				if t.Raw[i] > 1 {
					p.printf("%d", t.Raw[i])
				} else {
					p.printf("%t", t.Raw[i] == 1)
				}
			default:
				p.printf("%d", t.Int64At(i))
			}
		}
		p.printf("]")
	case String:
		p.printf("[")
		for i, s := range t.Strings {
			if i > 0 {
				p.printf(", ")
			}
			p.printf("%s", strconv.Quote(string(s)))
		}
		p.printf("]")
	default:
		p.printf("hex%s", strconv.Quote(hex.EncodeToString(t.Raw)))
	}
}

func leU32(b []byte) uint32 {
	return uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24
}
func leU64(b []byte) uint64 { return uint64(leU32(b)) | uint64(leU32(b[4:]))<<32 }

func formatFloat64(f float64) string {
	switch {
	case math.IsNaN(f):
		if math.Float64bits(f) == 0x7FF8000000000001 || math.Float64bits(f) == math.Float64bits(math.NaN()) {
			return "nan"
		}
		return fmt.Sprintf("nan:0x%016x", math.Float64bits(f))
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	}
	s := strconv.FormatFloat(f, 'g', -1, 64)
	if !strings.ContainsAny(s, ".eEn") {
		s += ".0"
	}
	return s
}
