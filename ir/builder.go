package ir

import (
	"fmt"
)

// Builder assembles a graph node by node, inferring output types as it goes. The first error is
// kept and returned by Graph, so call sites need not check each step.
type Builder struct {
	g     *Graph
	names map[string]bool
	next  int
	err   error
}

// NewBuilder starts a main graph importing the given opsets (nil: default domain at opset 17).
func NewBuilder(name string, opsets map[string]int64) *Builder {
	if opsets == nil {
		opsets = map[string]int64{"": 17}
	}
	return &Builder{g: &Graph{Name: name, Opsets: opsets}, names: map[string]bool{}}
}

// NewSubgraphBuilder starts a subgraph of parent (an If/Loop/Scan body).
func NewSubgraphBuilder(name string, parent *Graph) *Builder {
	return &Builder{g: &Graph{Name: name, Parent: parent}, names: map[string]bool{}}
}

// Fresh returns a name not used yet in this builder, starting from hint.
func (b *Builder) Fresh(hint string) string {
	if hint != "" && !b.names[hint] {
		b.names[hint] = true
		return hint
	}
	if hint == "" {
		hint = "v"
	}
	for {
		b.next++
		n := fmt.Sprintf("%s_%d", hint, b.next)
		if !b.names[n] {
			b.names[n] = true
			return n
		}
	}
}

// Input adds a graph input.
func (b *Builder) Input(name string, t Type) *Value {
	v := &Value{Name: b.Fresh(name), Type: t}
	b.g.Inputs = append(b.g.Inputs, v)
	return v
}

// Const adds a constant (initializer).
func (b *Builder) Const(name string, t *Tensor) *Value {
	v := &Value{Name: b.Fresh(name), Type: t.Type(), Const: t}
	b.g.Consts = append(b.g.Consts, v)
	return v
}

// Op adds a default-domain node with one output and returns it.
func (b *Builder) Op(op string, ins []*Value, attrs ...Attr) *Value {
	return b.OpD("", op, 1, ins, attrs...)[0]
}

// OpN adds a default-domain node with nout outputs.
func (b *Builder) OpN(op string, nout int, ins []*Value, attrs ...Attr) []*Value {
	return b.OpD("", op, nout, ins, attrs...)
}

// OpD adds a node of any domain with nout outputs, infers their types, and returns them.
func (b *Builder) OpD(domain, op string, nout int, ins []*Value, attrs ...Attr) []*Value {
	n := &Node{Name: b.Fresh(op), Op: op, Domain: domain, Inputs: ins}
	for _, a := range attrs {
		n.SetAttr(a)
	}
	outs := make([]*Value, nout)
	for i := range outs {
		outs[i] = &Value{Name: b.Fresh(n.Name + "_out"), Def: n}
	}
	n.Outputs = outs
	b.g.Nodes = append(b.g.Nodes, n)
	if b.err != nil {
		return outs
	}
	if err := CheckNodeContract(n, b.g.OpsetVersion(domain)); err != nil {
		b.err = err
		return outs
	}
	ts, err := InferNode(b.g, n)
	if err != nil {
		b.err = err
		return outs
	}
	for i, v := range outs {
		v.Type = ts[i]
	}
	return outs
}

// Output marks values as graph outputs.
func (b *Builder) Output(vs ...*Value) { b.g.Outputs = append(b.g.Outputs, vs...) }

// Graph returns the built graph after verifying it.
func (b *Builder) Graph() (*Graph, error) {
	if b.err != nil {
		return nil, b.err
	}
	if b.g.Parent == nil {
		if err := Verify(b.g); err != nil {
			return nil, err
		}
	}
	return b.g, nil
}

// MustGraph is Graph that panics on error (tests).
func (b *Builder) MustGraph() *Graph {
	g, err := b.Graph()
	if err != nil {
		panic(err)
	}
	return g
}

// G returns the graph under construction (e.g. to parent a subgraph builder to it).
func (b *Builder) G() *Graph { return b.g }
