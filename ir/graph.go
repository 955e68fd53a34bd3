package ir

import (
	"fmt"
	"sort"
)

// Value is an SSA value: defined exactly once, by a graph input, a constant (initializer), or a
// node output. Name is the ONNX name (unique within its graph scope); Type may be partially known.
type Value struct {
	Name  string
	Type  Type
	Def   *Node   // defining node, nil for graph inputs and constants
	Const *Tensor // constant data for initializers, nil otherwise
	Doc   string
}

// IsConst reports whether v is a constant (initializer).
func (v *Value) IsConst() bool { return v != nil && v.Const != nil }

func (v *Value) String() string {
	if v == nil {
		return "<none>"
	}
	return "%" + v.Name
}

// Node is one operation. Inputs and Outputs may contain nil for omitted optional operands.
type Node struct {
	Name    string
	Op      string // op type, e.g. "MatMul"
	Domain  string // "" is the default ONNX domain (ai.onnx)
	Inputs  []*Value
	Outputs []*Value
	Attrs   []Attr // sorted by name
	Doc     string
}

// Schema returns the op table entry for the node, or nil if the op is not in the table.
func (n *Node) Schema() *OpSchema { return LookupOp(n.Domain, n.Op) }

// QualifiedOp returns "Op" for the default domain and "domain::Op" otherwise.
func (n *Node) QualifiedOp() string {
	if n.Domain == "" {
		return n.Op
	}
	return n.Domain + "::" + n.Op
}

// Describe names the node for error messages: `node "name" (Op)`.
func (n *Node) Describe() string {
	if n.Name == "" {
		return fmt.Sprintf("unnamed %s node", n.QualifiedOp())
	}
	return fmt.Sprintf("node %q (%s)", n.Name, n.QualifiedOp())
}

// Attr returns the attribute called name, or nil.
func (n *Node) Attr(name string) *Attr {
	i := sort.Search(len(n.Attrs), func(i int) bool { return n.Attrs[i].Name >= name })
	if i < len(n.Attrs) && n.Attrs[i].Name == name {
		return &n.Attrs[i]
	}
	return nil
}

// SetAttr adds or replaces an attribute, keeping Attrs sorted.
func (n *Node) SetAttr(a Attr) {
	i := sort.Search(len(n.Attrs), func(i int) bool { return n.Attrs[i].Name >= a.Name })
	if i < len(n.Attrs) && n.Attrs[i].Name == a.Name {
		n.Attrs[i] = a
		return
	}
	n.Attrs = append(n.Attrs, Attr{})
	copy(n.Attrs[i+1:], n.Attrs[i:])
	n.Attrs[i] = a
}

// DelAttr removes an attribute if present.
func (n *Node) DelAttr(name string) {
	for i := range n.Attrs {
		if n.Attrs[i].Name == name {
			n.Attrs = append(n.Attrs[:i], n.Attrs[i+1:]...)
			return
		}
	}
}

// Input returns input i or nil when absent.
func (n *Node) Input(i int) *Value {
	if i < len(n.Inputs) {
		return n.Inputs[i]
	}
	return nil
}

// Output returns output i or nil when absent.
func (n *Node) Output(i int) *Value {
	if i < len(n.Outputs) {
		return n.Outputs[i]
	}
	return nil
}

// Graph is a list of nodes in topological order with its inputs, constants and outputs. Subgraphs
// (If/Loop/Scan bodies) have Parent set and may use values of enclosing graphs.
type Graph struct {
	Name     string
	Doc      string
	Inputs   []*Value
	Consts   []*Value // initializers, in file order
	Nodes    []*Node
	Outputs  []*Value
	Parent   *Graph           // enclosing graph for subgraphs
	Opsets   map[string]int64 // opset per domain; set on the main graph, inherited by subgraphs
	Metadata []KV
}

// KV is a string key/value pair (model and graph metadata).
type KV struct{ Key, Value string }

// Model is an imported model: a graph plus the metadata of its file.
type Model struct {
	IRVersion       int64
	ProducerName    string
	ProducerVersion string
	Domain          string
	ModelVersion    int64
	Doc             string
	Metadata        []KV
	Graph           *Graph
	// ExternalFiles lists the external data files the weights were read from (import only).
	ExternalFiles []string
}

// OpsetVersion returns the opset version imported for domain ("" and "ai.onnx" are the default
// domain), searching enclosing graphs; 0 if none.
func (g *Graph) OpsetVersion(domain string) int64 {
	if domain == "ai.onnx" {
		domain = ""
	}
	for h := g; h != nil; h = h.Parent {
		if h.Opsets != nil {
			if v, ok := h.Opsets[domain]; ok {
				return v
			}
			return 0
		}
	}
	return 0
}

// Root returns the outermost graph.
func (g *Graph) Root() *Graph {
	for g.Parent != nil {
		g = g.Parent
	}
	return g
}

// Subgraphs returns the graphs held in a node's attributes, in attribute order.
func (n *Node) Subgraphs() []*Graph {
	var gs []*Graph
	for i := range n.Attrs {
		a := &n.Attrs[i]
		if a.G != nil {
			gs = append(gs, a.G)
		}
		gs = append(gs, a.Graphs...)
	}
	return gs
}

// Walk calls fn for g and then every nested subgraph, depth first.
func (g *Graph) Walk(fn func(*Graph)) {
	fn(g)
	for _, n := range g.Nodes {
		for _, sg := range n.Subgraphs() {
			sg.Walk(fn)
		}
	}
}

// NumNodes counts nodes including those in subgraphs.
func (g *Graph) NumNodes() int {
	c := 0
	g.Walk(func(h *Graph) { c += len(h.Nodes) })
	return c
}

// Uses maps every value to the nodes that read it (in this graph and its subgraphs, where a
// subgraph's use of an outer value is attributed to the node holding the subgraph).
func (g *Graph) Uses() map[*Value][]*Node {
	uses := map[*Value][]*Node{}
	for _, n := range g.Nodes {
		seen := map[*Value]bool{}
		add := func(v *Value) {
			if v != nil && !seen[v] {
				seen[v] = true
				uses[v] = append(uses[v], n)
			}
		}
		for _, in := range n.Inputs {
			add(in)
		}
		for _, sg := range n.Subgraphs() {
			for v := range sg.FreeValues() {
				add(v)
			}
		}
	}
	return uses
}

// FreeValues returns the values a (sub)graph reads but does not define: outer-scope captures.
func (g *Graph) FreeValues() map[*Value]bool {
	defined := map[*Value]bool{}
	free := map[*Value]bool{}
	var visit func(h *Graph)
	visit = func(h *Graph) {
		for _, v := range h.Inputs {
			defined[v] = true
		}
		for _, v := range h.Consts {
			defined[v] = true
		}
		for _, n := range h.Nodes {
			for _, v := range n.Inputs {
				if v != nil && !defined[v] {
					free[v] = true
				}
			}
			for _, sg := range n.Subgraphs() {
				visit(sg)
			}
			for _, v := range n.Outputs {
				if v != nil {
					defined[v] = true
				}
			}
		}
		for _, v := range h.Outputs {
			if v != nil && !defined[v] {
				free[v] = true
			}
		}
	}
	visit(g)
	for v := range free {
		if defined[v] {
			delete(free, v)
		}
	}
	return free
}

// FreeValues lists the outer-scope values n's subgraphs read (If, Loop, Scan captures), sorted
// by name.
func (n *Node) FreeValues() []*Value {
	seen := map[*Value]bool{}
	var out []*Value
	for _, sg := range n.Subgraphs() {
		for v := range sg.FreeValues() {
			if !seen[v] {
				seen[v] = true
				out = append(out, v)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// ParamCount returns the number of constant elements and their bytes in g (subgraphs included).
func (g *Graph) ParamCount() (elems, bytes int64) {
	g.Walk(func(h *Graph) {
		for _, c := range h.Consts {
			elems += int64(c.Const.Len())
			bytes += int64(len(c.Const.Raw))
			for _, s := range c.Const.Strings {
				bytes += int64(len(s))
			}
		}
	})
	return elems, bytes
}

// OpHistogram counts nodes by qualified op (subgraphs included).
func (g *Graph) OpHistogram() map[string]int {
	h := map[string]int{}
	g.Walk(func(x *Graph) {
		for _, n := range x.Nodes {
			h[n.QualifiedOp()]++
		}
	})
	return h
}
