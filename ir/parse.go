package ir

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// ParseModel parses the textual IR written by PrintModel. The result is verified unless the
// text declares ops missing from the op table (then the error says so).
func ParseModel(src string) (*Model, error) {
	p := &parser{lx: lexer{src: src}}
	p.next()
	m, err := p.model()
	if err != nil {
		return nil, err
	}
	if err := Verify(m.Graph); err != nil {
		return nil, err
	}
	return m, nil
}

// ParseGraph parses a model and returns its graph (for golden tests).
func ParseGraph(src string) (*Graph, error) {
	m, err := ParseModel(src)
	if err != nil {
		return nil, err
	}
	return m.Graph, nil
}

// MustParseGraph is ParseGraph that panics (tests).
func MustParseGraph(src string) *Graph {
	g, err := ParseGraph(src)
	if err != nil {
		panic(err)
	}
	return g
}

type tokKind int

const (
	tEOF tokKind = iota
	tIdent
	tValue  // %name
	tString // "..."
	tNumber
	tPunct // ( ) [ ] { } < > , = : _ @ ->  ::
)

type token struct {
	kind tokKind
	text string // identifier, unquoted string/value name, number text, or punctuation
	pos  int
}

type lexer struct {
	src string
	pos int
}

type parseError struct {
	line, col int
	msg       string
}

func (e *parseError) Error() string { return fmt.Sprintf("line %d:%d: %s", e.line, e.col, e.msg) }

func (lx *lexer) errAt(pos int, format string, args ...any) error {
	line := 1 + strings.Count(lx.src[:pos], "\n")
	col := pos - strings.LastIndex(lx.src[:pos], "\n")
	return &parseError{line, col, fmt.Sprintf(format, args...)}
}

func isIdentStart(c byte) bool { return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') }
func isIdentChar(c byte) bool  { return isIdentStart(c) || c == '.' || (c >= '0' && c <= '9') }

func (lx *lexer) quoted() (string, error) {
	start := lx.pos
	i := lx.pos + 1
	for i < len(lx.src) && lx.src[i] != '"' {
		if lx.src[i] == '\\' {
			i++
		}
		if i < len(lx.src) && lx.src[i] == '\n' {
			break
		}
		i++
	}
	if i >= len(lx.src) || lx.src[i] != '"' {
		return "", lx.errAt(start, "unterminated string")
	}
	s, err := strconv.Unquote(lx.src[start : i+1])
	if err != nil {
		return "", lx.errAt(start, "bad string literal: %v", err)
	}
	lx.pos = i + 1
	return s, nil
}

func (lx *lexer) next() (token, error) {
	for lx.pos < len(lx.src) {
		c := lx.src[lx.pos]
		if c == ' ' || c == '\t' || c == '\n' || c == '\r' {
			lx.pos++
			continue
		}
		if c == '#' || (c == '/' && strings.HasPrefix(lx.src[lx.pos:], "//")) { // comment to end of line
			for lx.pos < len(lx.src) && lx.src[lx.pos] != '\n' {
				lx.pos++
			}
			continue
		}
		break
	}
	start := lx.pos
	if lx.pos >= len(lx.src) {
		return token{kind: tEOF, pos: start}, nil
	}
	c := lx.src[lx.pos]
	switch {
	case c == '%':
		lx.pos++
		if lx.pos < len(lx.src) && lx.src[lx.pos] == '"' {
			s, err := lx.quoted()
			return token{tValue, s, start}, err
		}
		j := lx.pos
		for j < len(lx.src) && isIdentChar(lx.src[j]) {
			j++
		}
		if j == lx.pos {
			return token{}, lx.errAt(start, "expected a value name after %%")
		}
		t := token{tValue, lx.src[lx.pos:j], start}
		lx.pos = j
		return t, nil
	case c == '"':
		s, err := lx.quoted()
		return token{tString, s, start}, err
	case c == '-' && strings.HasPrefix(lx.src[lx.pos:], "->"):
		lx.pos += 2
		return token{tPunct, "->", start}, nil
	case c == ':' && strings.HasPrefix(lx.src[lx.pos:], "::"):
		lx.pos += 2
		return token{tPunct, "::", start}, nil
	case c == '-' || c == '+' || (c >= '0' && c <= '9'):
		j := lx.pos + 1
		for j < len(lx.src) && (isIdentChar(lx.src[j]) || ((lx.src[j] == '-' || lx.src[j] == '+') && (lx.src[j-1] == 'e' || lx.src[j-1] == 'E')) || lx.src[j] == ':') {
			j++
		}
		t := token{tNumber, lx.src[lx.pos:j], start}
		lx.pos = j
		return t, nil
	case isIdentStart(c):
		j := lx.pos
		for j < len(lx.src) && isIdentChar(lx.src[j]) {
			j++
		}
		text := lx.src[lx.pos:j]
		lx.pos = j
		if text == "_" {
			return token{tPunct, "_", start}, nil
		}
		// nan / inf / nan:0x... are numbers
		if text == "nan" || text == "inf" {
			if text == "nan" && strings.HasPrefix(lx.src[lx.pos:], ":0x") {
				k := lx.pos + 3
				for k < len(lx.src) && isIdentChar(lx.src[k]) {
					k++
				}
				text = lx.src[start:k]
				lx.pos = k
			}
			return token{tNumber, text, start}, nil
		}
		return token{tIdent, text, start}, nil
	case strings.ContainsRune("()[]{}<>,=:@?*", rune(c)):
		lx.pos++
		return token{tPunct, string(c), start}, nil
	}
	return token{}, lx.errAt(start, "unexpected character %q", c)
}

type parser struct {
	lx    lexer
	tok   token
	err   error
	scope *pscope
}

type pscope struct {
	vals    map[string]*Value
	pending map[string]int // graph outputs referenced before definition: name -> position
	parent  *pscope
}

func (p *parser) next() {
	if p.err != nil {
		return
	}
	t, err := p.lx.next()
	if err != nil {
		p.err = err
		p.tok = token{kind: tEOF}
		return
	}
	p.tok = t
}

func (p *parser) fail(format string, args ...any) error {
	if p.err != nil {
		return p.err
	}
	p.err = p.lx.errAt(p.tok.pos, format, args...)
	return p.err
}

func (p *parser) is(punct string) bool { return p.tok.kind == tPunct && p.tok.text == punct }

func (p *parser) expect(punct string) error {
	if !p.is(punct) {
		return p.fail("expected %q, found %q", punct, p.tok.text)
	}
	p.next()
	return p.err
}

func (p *parser) ident() (string, error) {
	if p.tok.kind != tIdent && p.tok.kind != tString {
		return "", p.fail("expected a name, found %q", p.tok.text)
	}
	s := p.tok.text
	p.next()
	return s, p.err
}

func (p *parser) keyword(kw string) error {
	if p.tok.kind != tIdent || p.tok.text != kw {
		return p.fail("expected %q, found %q", kw, p.tok.text)
	}
	p.next()
	return p.err
}

func (p *parser) str() (string, error) {
	if p.tok.kind != tString {
		return "", p.fail("expected a string, found %q", p.tok.text)
	}
	s := p.tok.text
	p.next()
	return s, p.err
}

func (p *parser) int64() (int64, error) {
	if p.tok.kind != tNumber {
		return 0, p.fail("expected an integer, found %q", p.tok.text)
	}
	v, err := strconv.ParseInt(p.tok.text, 10, 64)
	if err != nil {
		return 0, p.fail("bad integer %q", p.tok.text)
	}
	p.next()
	return v, p.err
}

func (p *parser) model() (*Model, error) {
	m := &Model{}
	if err := p.keyword("model"); err != nil {
		return nil, err
	}
	var opsets map[string]int64
	for p.tok.kind == tIdent && p.tok.text != "graph" {
		key := p.tok.text
		p.next()
		var err error
		switch key {
		case "opsets", "metadata":
			if err = p.expect("{"); err != nil {
				return nil, err
			}
			if key == "opsets" {
				opsets = map[string]int64{}
			}
			for !p.is("}") {
				k, err := p.str()
				if err != nil {
					return nil, err
				}
				if err := p.expect(":"); err != nil {
					return nil, err
				}
				if key == "opsets" {
					v, err := p.int64()
					if err != nil {
						return nil, err
					}
					opsets[k] = v
				} else {
					v, err := p.str()
					if err != nil {
						return nil, err
					}
					m.Metadata = append(m.Metadata, KV{k, v})
				}
				if !p.is("}") {
					if err := p.expect(","); err != nil {
						return nil, err
					}
				}
			}
			err = p.expect("}")
		default:
			if err = p.expect("="); err != nil {
				return nil, err
			}
			switch key {
			case "ir_version":
				m.IRVersion, err = p.int64()
			case "model_version":
				m.ModelVersion, err = p.int64()
			case "producer":
				m.ProducerName, err = p.str()
			case "producer_version":
				m.ProducerVersion, err = p.str()
			case "domain":
				m.Domain, err = p.str()
			case "doc":
				m.Doc, err = p.str()
			default:
				return nil, p.fail("unknown model field %q", key)
			}
		}
		if err != nil {
			return nil, err
		}
	}
	if opsets == nil {
		return nil, p.fail("the model header needs opsets{...}")
	}
	g, err := p.graph(nil, opsets)
	if err != nil {
		return nil, err
	}
	if p.tok.kind != tEOF {
		return nil, p.fail("unexpected %q after the graph", p.tok.text)
	}
	m.Graph = g
	return m, nil
}

func (p *parser) define(v *Value) error {
	if _, dup := p.scope.vals[v.Name]; dup {
		return p.fail("value %%%s is defined twice", v.Name)
	}
	p.scope.vals[v.Name] = v
	return nil
}

func (p *parser) lookup(name string) *Value {
	for s := p.scope; s != nil; s = s.parent {
		if v, ok := s.vals[name]; ok {
			return v
		}
	}
	return nil
}

func (p *parser) graph(parent *Graph, opsets map[string]int64) (*Graph, error) {
	if err := p.keyword("graph"); err != nil {
		return nil, err
	}
	return p.graphRest(parent, opsets)
}

// graphRest parses a graph after its "graph" keyword.
func (p *parser) graphRest(parent *Graph, opsets map[string]int64) (*Graph, error) {
	name, err := p.ident()
	if err != nil {
		return nil, err
	}
	g := &Graph{Name: name, Parent: parent}
	if parent == nil {
		g.Opsets = opsets
	}
	p.scope = &pscope{vals: map[string]*Value{}, parent: p.scope}
	defer func() { p.scope = p.scope.parent }()
	if p.tok.kind == tIdent && p.tok.text == "doc" {
		p.next()
		if err := p.expect("="); err != nil {
			return nil, err
		}
		if g.Doc, err = p.str(); err != nil {
			return nil, err
		}
	}
	if err := p.expect("("); err != nil {
		return nil, err
	}
	for !p.is(")") {
		v, err := p.typedValue()
		if err != nil {
			return nil, err
		}
		if err := p.define(v); err != nil {
			return nil, err
		}
		g.Inputs = append(g.Inputs, v)
		if !p.is(")") {
			if err := p.expect(","); err != nil {
				return nil, err
			}
		}
	}
	p.next()
	if err := p.expect("->"); err != nil {
		return nil, err
	}
	if err := p.expect("("); err != nil {
		return nil, err
	}
	var outNames []string
	var outPos []int
	for !p.is(")") {
		if p.tok.kind != tValue {
			return nil, p.fail("expected an output value, found %q", p.tok.text)
		}
		outNames = append(outNames, p.tok.text)
		outPos = append(outPos, p.tok.pos)
		p.next()
		if !p.is(")") {
			if err := p.expect(","); err != nil {
				return nil, err
			}
		}
	}
	p.next()
	if err := p.expect("{"); err != nil {
		return nil, err
	}
	for !p.is("}") {
		if p.tok.kind == tEOF {
			return nil, p.fail("unexpected end of input in graph %q", g.Name)
		}
		if err := p.statement(g); err != nil {
			return nil, err
		}
	}
	p.next()
	for i, name := range outNames {
		v := p.lookup(name)
		if v == nil {
			return nil, p.lx.errAt(outPos[i], "graph %q output %%%s is never defined", g.Name, name)
		}
		g.Outputs = append(g.Outputs, v)
	}
	return g, p.err
}

// typedValue parses "%name: type".
func (p *parser) typedValue() (*Value, error) {
	if p.tok.kind != tValue {
		return nil, p.fail("expected a value, found %q", p.tok.text)
	}
	v := &Value{Name: p.tok.text}
	p.next()
	if err := p.expect(":"); err != nil {
		return nil, err
	}
	t, err := p.typ()
	if err != nil {
		return nil, err
	}
	v.Type = t
	return v, nil
}

func (p *parser) typ() (Type, error) {
	if p.is("?") {
		p.next()
		return Type{}, p.err
	}
	if p.tok.kind != tIdent {
		return Type{}, p.fail("expected a type, found %q", p.tok.text)
	}
	word := p.tok.text
	p.next()
	switch word {
	case "seq", "opt", "sparse", "map":
		if err := p.expect("<"); err != nil {
			return Type{}, err
		}
		var t Type
		switch word {
		case "map":
			k, err := p.ident()
			if err != nil {
				return Type{}, err
			}
			kd, ok := ParseDType(k)
			if !ok {
				return Type{}, p.fail("unknown element type %q", k)
			}
			if err := p.expect(","); err != nil {
				return Type{}, err
			}
			e, err := p.typ()
			if err != nil {
				return Type{}, err
			}
			t = Type{Kind: KindMap, KeyDType: kd, Elem: &e}
		default:
			e, err := p.typ()
			if err != nil {
				return Type{}, err
			}
			switch word {
			case "seq":
				t = SequenceOf(e)
			case "opt":
				t = OptionalOf(e)
			case "sparse":
				t = e
				t.Kind = KindSparseTensor
			}
		}
		return t, p.expect(">")
	}
	dt, ok := ParseDType(word)
	if !ok {
		return Type{}, p.fail("unknown element type %q", word)
	}
	t := Type{Kind: KindTensor, DType: dt}
	if err := p.expect("["); err != nil {
		return Type{}, err
	}
	if p.is("*") {
		p.next()
		return t, p.expect("]")
	}
	t.Ranked = true
	t.Shape = Shape{}
	for !p.is("]") {
		switch {
		case p.is("?"):
			t.Shape = append(t.Shape, UnknownDim())
			p.next()
		case p.tok.kind == tNumber:
			v, err := p.int64()
			if err != nil {
				return Type{}, err
			}
			if v < 0 {
				return Type{}, p.fail("negative dimension %d", v)
			}
			t.Shape = append(t.Shape, D(v))
		case p.tok.kind == tIdent || p.tok.kind == tString:
			t.Shape = append(t.Shape, Sym(p.tok.text))
			p.next()
		default:
			return Type{}, p.fail("expected a dimension, found %q", p.tok.text)
		}
		if !p.is("]") {
			if err := p.expect(","); err != nil {
				return Type{}, err
			}
		}
	}
	p.next()
	return t, p.err
}

// statement parses a constant or a node.
func (p *parser) statement(g *Graph) error {
	var outs []*Value
	if !p.is("=") {
		for {
			if p.is("_") {
				outs = append(outs, nil)
				p.next()
			} else {
				v, err := p.typedValue()
				if err != nil {
					return err
				}
				outs = append(outs, v)
			}
			if !p.is(",") {
				break
			}
			p.next()
		}
	}
	if err := p.expect("="); err != nil {
		return err
	}
	if p.tok.kind == tIdent && p.tok.text == "const" {
		p.next()
		if len(outs) != 1 || outs[0] == nil {
			return p.fail("a constant defines exactly one value")
		}
		v := outs[0]
		t, err := p.tensorBody(v.Type)
		if err != nil {
			return err
		}
		v.Const = t
		g.Consts = append(g.Consts, v)
		return p.define(v)
	}
	n := &Node{}
	name, err := p.ident()
	if err != nil {
		return err
	}
	if p.is("::") {
		p.next()
		n.Domain = name
		if name, err = p.ident(); err != nil {
			return err
		}
	}
	n.Op = name
	if err := p.expect("("); err != nil {
		return err
	}
	for !p.is(")") {
		switch {
		case p.is("_"):
			n.Inputs = append(n.Inputs, nil)
			p.next()
		case p.tok.kind == tValue:
			v := p.lookup(p.tok.text)
			if v == nil {
				return p.fail("value %%%s is used before it is defined", p.tok.text)
			}
			n.Inputs = append(n.Inputs, v)
			p.next()
		default:
			return p.fail("expected an operand, found %q", p.tok.text)
		}
		if !p.is(")") {
			if err := p.expect(","); err != nil {
				return err
			}
		}
	}
	p.next()
	if p.is("{") {
		p.next()
		for !p.is("}") {
			a, err := p.attr(g)
			if err != nil {
				return err
			}
			if n.Attr(a.Name) != nil {
				return p.fail("attribute %q given twice", a.Name)
			}
			n.SetAttr(a)
			if !p.is("}") {
				if err := p.expect(","); err != nil {
					return err
				}
			}
		}
		p.next()
	}
	if p.is("@") {
		p.next()
		if n.Name, err = p.str(); err != nil {
			return err
		}
	}
	if p.tok.kind == tIdent && p.tok.text == "doc" {
		p.next()
		if err := p.expect("="); err != nil {
			return err
		}
		if n.Doc, err = p.str(); err != nil {
			return err
		}
	}
	for _, v := range outs {
		if v != nil {
			v.Def = n
			if err := p.define(v); err != nil {
				return err
			}
		}
	}
	n.Outputs = outs
	g.Nodes = append(g.Nodes, n)
	return p.err
}

func (p *parser) attr(g *Graph) (Attr, error) {
	name, err := p.ident()
	if err != nil {
		return Attr{}, err
	}
	a := Attr{Name: name}
	if err := p.expect("="); err != nil {
		return a, err
	}
	switch {
	case p.tok.kind == tNumber:
		text := p.tok.text
		if strings.ContainsAny(text, ".eEn") || strings.Contains(text, "inf") {
			f, err := parseFloat(text, 32)
			if err != nil {
				return a, p.fail("%v", err)
			}
			a.Kind, a.F = AttrFloat, float32(f)
		} else {
			v, err := strconv.ParseInt(text, 10, 64)
			if err != nil {
				return a, p.fail("bad integer %q", text)
			}
			a.Kind, a.I = AttrInt, v
		}
		p.next()
	case p.tok.kind == tString:
		a.Kind, a.S = AttrString, []byte(p.tok.text)
		p.next()
	case p.is("["):
		return p.list(a)
	case p.tok.kind == tIdent:
		word := p.tok.text
		p.next()
		switch word {
		case "floats", "ints", "strings":
			if err := p.expect("["); err != nil {
				return a, err
			}
			if err := p.expect("]"); err != nil {
				return a, err
			}
			a.Kind = map[string]AttrKind{"floats": AttrFloats, "ints": AttrInts, "strings": AttrStrings}[word]
			switch a.Kind {
			case AttrFloats:
				a.Floats = []float32{}
			case AttrInts:
				a.Ints = []int64{}
			case AttrStrings:
				a.Strings = [][]byte{}
			}
		case "tensor":
			t, err := p.tensorLitAfterKeyword()
			if err != nil {
				return a, err
			}
			a.Kind, a.T = AttrTensor, t
		case "graph":
			sg, err := p.graphRest(g, nil)
			if err != nil {
				return a, err
			}
			a.Kind, a.G = AttrGraph, sg
		case "type":
			if err := p.expect("<"); err != nil {
				return a, err
			}
			t, err := p.typ()
			if err != nil {
				return a, err
			}
			a.Kind, a.Type = AttrType, &t
			return a, p.expect(">")
		case "sparse":
			s, err := p.sparseAfterKeyword()
			if err != nil {
				return a, err
			}
			a.Kind, a.Sparse = AttrSparseTensor, s
		case "ref":
			if err := p.expect("<"); err != nil {
				return a, err
			}
			k, err := p.ident()
			if err != nil {
				return a, err
			}
			kind, ok := parseAttrKind(k)
			if !ok {
				return a, p.fail("unknown attribute kind %q", k)
			}
			if err := p.expect(">"); err != nil {
				return a, err
			}
			ref, err := p.str()
			if err != nil {
				return a, err
			}
			a.Kind, a.RefAttrName = kind, ref
		case "tensors", "graphs", "types", "sparse_tensors":
			return p.typedList(a, word, g)
		default:
			return a, p.fail("unexpected %q in attribute %q", word, name)
		}
	default:
		return a, p.fail("expected an attribute value, found %q", p.tok.text)
	}
	return a, p.err
}

func parseAttrKind(s string) (AttrKind, bool) {
	for k, n := range attrKindNames {
		if n == s {
			return k, true
		}
	}
	return 0, false
}

func (p *parser) list(a Attr) (Attr, error) {
	p.next() // [
	var nums []string
	var strs [][]byte
	for !p.is("]") {
		switch p.tok.kind {
		case tNumber:
			nums = append(nums, p.tok.text)
		case tString:
			strs = append(strs, []byte(p.tok.text))
		default:
			return a, p.fail("expected a list element, found %q", p.tok.text)
		}
		p.next()
		if !p.is("]") {
			if err := p.expect(","); err != nil {
				return a, err
			}
		}
	}
	p.next()
	if len(strs) > 0 {
		if len(nums) > 0 {
			return a, p.fail("attribute %q mixes strings and numbers", a.Name)
		}
		a.Kind, a.Strings = AttrStrings, strs
		return a, p.err
	}
	isFloat := false
	for _, s := range nums {
		if strings.ContainsAny(s, ".eEn") || strings.Contains(s, "inf") {
			isFloat = true
		}
	}
	if isFloat {
		a.Kind = AttrFloats
		for _, s := range nums {
			f, err := parseFloat(s, 32)
			if err != nil {
				return a, p.fail("%v", err)
			}
			a.Floats = append(a.Floats, float32(f))
		}
		return a, p.err
	}
	a.Kind = AttrInts
	for _, s := range nums {
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return a, p.fail("bad integer %q", s)
		}
		a.Ints = append(a.Ints, v)
	}
	return a, p.err
}

func (p *parser) typedList(a Attr, word string, g *Graph) (Attr, error) {
	if err := p.expect("["); err != nil {
		return a, err
	}
	switch word {
	case "tensors":
		a.Kind, a.Tensors = AttrTensors, []*Tensor{}
	case "graphs":
		a.Kind, a.Graphs = AttrGraphs, []*Graph{}
	case "types":
		a.Kind, a.Types = AttrTypes, []Type{}
	case "sparse_tensors":
		a.Kind, a.SparseTensors = AttrSparseTensors, []*SparseTensor{}
	}
	for !p.is("]") {
		kw, err := p.ident()
		if err != nil {
			return a, err
		}
		switch {
		case word == "tensors" && kw == "tensor":
			t, err := p.tensorLitAfterKeyword()
			if err != nil {
				return a, err
			}
			a.Tensors = append(a.Tensors, t)
		case word == "graphs" && kw == "graph":
			sg, err := p.graphRest(g, nil)
			if err != nil {
				return a, err
			}
			a.Graphs = append(a.Graphs, sg)
		case word == "types" && kw == "type":
			if err := p.expect("<"); err != nil {
				return a, err
			}
			t, err := p.typ()
			if err != nil {
				return a, err
			}
			if err := p.expect(">"); err != nil {
				return a, err
			}
			a.Types = append(a.Types, t)
		case word == "sparse_tensors" && kw == "sparse":
			s, err := p.sparseAfterKeyword()
			if err != nil {
				return a, err
			}
			a.SparseTensors = append(a.SparseTensors, s)
		default:
			return a, p.fail("unexpected %q in %s list", kw, word)
		}
		if !p.is("]") {
			if err := p.expect(","); err != nil {
				return a, err
			}
		}
	}
	p.next()
	return a, p.err
}

func (p *parser) sparseAfterKeyword() (*SparseTensor, error) {
	if err := p.expect("("); err != nil {
		return nil, err
	}
	if err := p.keyword("tensor"); err != nil {
		return nil, err
	}
	vals, err := p.tensorLitAfterKeyword()
	if err != nil {
		return nil, err
	}
	if err := p.expect(","); err != nil {
		return nil, err
	}
	if err := p.keyword("tensor"); err != nil {
		return nil, err
	}
	idx, err := p.tensorLitAfterKeyword()
	if err != nil {
		return nil, err
	}
	if err := p.expect(","); err != nil {
		return nil, err
	}
	if err := p.expect("["); err != nil {
		return nil, err
	}
	dims := []int64{}
	for !p.is("]") {
		d, err := p.int64()
		if err != nil {
			return nil, err
		}
		dims = append(dims, d)
		if !p.is("]") {
			if err := p.expect(","); err != nil {
				return nil, err
			}
		}
	}
	p.next()
	return &SparseTensor{Values: vals, Indices: idx, Dims: dims}, p.expect(")")
}

// tensorLitAfterKeyword parses <type>data after the "tensor" keyword.
func (p *parser) tensorLitAfterKeyword() (*Tensor, error) {
	if err := p.expect("<"); err != nil {
		return nil, err
	}
	t, err := p.typ()
	if err != nil {
		return nil, err
	}
	if err := p.expect(">"); err != nil {
		return nil, err
	}
	return p.tensorBody(t)
}

// maxLiteralElements bounds tensors built from text, so hostile input cannot allocate without
// bound before the element count is checked.
const maxLiteralElements = 1 << 26

// tensorBody parses element data for a tensor of type t (which must be a concrete tensor type).
func (p *parser) tensorBody(t Type) (*Tensor, error) {
	if t.Kind != KindTensor || !t.Ranked {
		return nil, p.fail("constants need a ranked tensor type, got %s", t)
	}
	dims, ok := t.Shape.Ints()
	if !ok {
		return nil, p.fail("constants need a concrete shape, got %s", t)
	}
	n, err := NumElements(dims)
	if err != nil || n > maxLiteralElements {
		return nil, p.fail("constant of shape %v is too large for a literal", dims)
	}
	if !t.DType.Valid() {
		return nil, p.fail("constant of undefined element type")
	}
	if p.tok.kind == tIdent && p.tok.text == "hex" {
		p.next()
		s, err := p.str()
		if err != nil {
			return nil, err
		}
		raw, err := hex.DecodeString(s)
		if err != nil {
			return nil, p.fail("bad hex data: %v", err)
		}
		if int64(len(raw)) != ByteSize(t.DType, n) || t.DType == String {
			return nil, p.fail("hex data has %d bytes, %s needs %d", len(raw), t, ByteSize(t.DType, n))
		}
		out := MustTensor(t.DType, dims...)
		if len(raw) != len(out.Raw) {
			return nil, p.fail("hex data has %d bytes, %s needs %d", len(raw), t, len(out.Raw))
		}
		copy(out.Raw, raw)
		return out, nil
	}
	if err := p.expect("["); err != nil {
		return nil, err
	}
	// Collect the element tokens first, so the allocation is bounded by the text's own size.
	var elems []token
	for !p.is("]") {
		if p.tok.kind == tEOF {
			return nil, p.fail("unterminated tensor literal")
		}
		if int64(len(elems)) >= n {
			return nil, p.fail("more than %d elements for %s", n, t)
		}
		elems = append(elems, p.tok)
		p.next()
		if !p.is("]") {
			if err := p.expect(","); err != nil {
				return nil, err
			}
		}
	}
	if int64(len(elems)) != n {
		return nil, p.fail("%d elements for %s, want %d", len(elems), t, n)
	}
	closing := p.tok
	out := MustTensor(t.DType, dims...)
	for i, e := range elems {
		p.tok = e
		if err := p.element(out, i); err != nil {
			return nil, err
		}
	}
	p.tok = closing
	p.next()
	return out, p.err
}

// element stores the current token (not consumed) as element i of t.
func (p *parser) element(t *Tensor, i int) error {
	if t.DType == String {
		if p.tok.kind != tString {
			return p.fail("expected a string, found %q", p.tok.text)
		}
		t.Strings[i] = []byte(p.tok.text)
		return nil
	}
	if t.DType == Bool && p.tok.kind == tIdent && (p.tok.text == "true" || p.tok.text == "false") {
		if p.tok.text == "true" {
			t.Raw[i] = 1
		}
		return nil
	}
	if p.tok.kind != tNumber {
		return p.fail("expected a number, found %q", p.tok.text)
	}
	text := p.tok.text
	r := t.Raw
	switch t.DType {
	case Float32:
		f, err := parseFloat(text, 32)
		if err != nil {
			return p.fail("%v", err)
		}
		binary.LittleEndian.PutUint32(r[4*i:], math.Float32bits(float32(f)))
		if strings.HasPrefix(text, "nan:") {
			bits, _ := strconv.ParseUint(text[6:], 16, 32)
			binary.LittleEndian.PutUint32(r[4*i:], uint32(bits))
		} else if text == "nan" {
			binary.LittleEndian.PutUint32(r[4*i:], 0x7FC00000)
		}
	case Float64:
		f, err := parseFloat(text, 64)
		if err != nil {
			return p.fail("%v", err)
		}
		binary.LittleEndian.PutUint64(r[8*i:], math.Float64bits(f))
		if strings.HasPrefix(text, "nan:") {
			bits, _ := strconv.ParseUint(text[6:], 16, 64)
			binary.LittleEndian.PutUint64(r[8*i:], bits)
		}
	case Uint64:
		v, err := strconv.ParseUint(text, 10, 64)
		if err != nil {
			return p.fail("bad uint64 %q", text)
		}
		binary.LittleEndian.PutUint64(r[8*i:], v)
	default:
		v, err := strconv.ParseInt(text, 10, 64)
		if err != nil {
			return p.fail("bad integer %q", text)
		}
		switch t.DType.Size() {
		case 1:
			r[i] = byte(v)
		case 2:
			binary.LittleEndian.PutUint16(r[2*i:], uint16(v))
		case 4:
			binary.LittleEndian.PutUint32(r[4*i:], uint32(v))
		case 8:
			binary.LittleEndian.PutUint64(r[8*i:], uint64(v))
		}
	}
	return nil
}

func parseFloat(s string, bits int) (float64, error) {
	switch {
	case s == "nan" || strings.HasPrefix(s, "nan:"):
		return math.NaN(), nil
	case s == "inf" || s == "+inf":
		return math.Inf(1), nil
	case s == "-inf":
		return math.Inf(-1), nil
	}
	f, err := strconv.ParseFloat(s, bits)
	if err != nil {
		return 0, fmt.Errorf("bad number %q", s)
	}
	return f, nil
}
