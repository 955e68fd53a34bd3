package ir

import (
	"fmt"
	"strconv"
)

// Graph editing for passes. Passes may append nodes at the end of g.Nodes and rewire freely;
// they then call TopoSort (the pass manager does) to restore a valid order.

// Names returns every value name defined in g and its subgraphs.
func (g *Graph) Names() map[string]bool {
	names := map[string]bool{}
	g.Walk(func(h *Graph) {
		for _, v := range h.Inputs {
			names[v.Name] = true
		}
		for _, v := range h.Consts {
			names[v.Name] = true
		}
		for _, n := range h.Nodes {
			for _, v := range n.Outputs {
				if v != nil {
					names[v.Name] = true
				}
			}
		}
	})
	return names
}

// Namer hands out value and node names unique within a graph.
type Namer struct {
	used map[string]bool
	seq  int
}

// NewNamer returns a namer that avoids every name already in g (values and nodes).
func NewNamer(g *Graph) *Namer {
	used := g.Names()
	g.Walk(func(h *Graph) {
		for _, n := range h.Nodes {
			used[n.Name] = true
		}
	})
	return &Namer{used: used}
}

// Name returns hint if unused, otherwise hint_N.
func (nm *Namer) Name(hint string) string {
	if hint == "" {
		hint = "t"
	}
	if !nm.used[hint] {
		nm.used[hint] = true
		return hint
	}
	for {
		nm.seq++
		s := hint + "_" + strconv.Itoa(nm.seq)
		if !nm.used[s] {
			nm.used[s] = true
			return s
		}
	}
}

// AddConst adds a constant to g with a fresh name.
func (g *Graph) AddConst(nm *Namer, hint string, t *Tensor) *Value {
	v := &Value{Name: nm.Name(hint), Type: t.Type(), Const: t}
	g.Consts = append(g.Consts, v)
	return v
}

// AddNode appends a node (domain "" for ONNX) with nout outputs, names them, and infers their
// types from the inputs. Call TopoSort before relying on order.
func (g *Graph) AddNode(nm *Namer, domain, op string, ins []*Value, nout int, attrs ...Attr) (*Node, error) {
	n := &Node{Name: nm.Name(op), Op: op, Domain: domain, Inputs: ins}
	for _, a := range attrs {
		n.SetAttr(a)
	}
	for i := 0; i < nout; i++ {
		n.Outputs = append(n.Outputs, &Value{Name: nm.Name(n.Name + "_out" + strconv.Itoa(i)), Def: n})
	}
	if err := CheckNodeContract(n, g.OpsetVersion(domain)); err != nil {
		return nil, err
	}
	ts, err := InferNode(g, n)
	if err != nil {
		return nil, err
	}
	for i, v := range n.Outputs {
		v.Type = ts[i]
	}
	g.Nodes = append(g.Nodes, n)
	return n, nil
}

// ReplaceUses makes every reader of old (nodes of g and its subgraphs, and g's outputs) read
// new instead. A graph output keeps its name: if new can take it over (a node output that is
// not already a graph output) it is renamed, otherwise an Identity node is inserted.
func (g *Graph) ReplaceUses(old, new *Value) {
	if old == new {
		return
	}
	g.Walk(func(h *Graph) {
		for _, n := range h.Nodes {
			for i, in := range n.Inputs {
				if in == old {
					n.Inputs[i] = new
				}
			}
		}
		if h != g {
			for i, out := range h.Outputs {
				if out == old {
					h.Outputs[i] = new
				}
			}
		}
	})
	for i, out := range g.Outputs {
		if out != old {
			continue
		}
		if new.Def != nil && !g.isOutput(new) && !new.Def.hasOutputNamed(old.Name) {
			new.Name = old.Name
			if t, ok := Refine(new.Type, old.Type); ok {
				new.Type = t
			}
			g.Outputs[i] = new
			continue
		}
		id := &Node{Name: "identity_" + old.Name, Op: "Identity", Inputs: []*Value{new}}
		v := &Value{Name: old.Name, Type: new.Type, Def: id}
		id.Outputs = []*Value{v}
		g.Nodes = append(g.Nodes, id)
		g.Outputs[i] = v
	}
}

func (g *Graph) isOutput(v *Value) bool {
	for _, o := range g.Outputs {
		if o == v {
			return true
		}
	}
	return false
}

func (n *Node) hasOutputNamed(name string) bool {
	for _, o := range n.Outputs {
		if o != nil && o.Name == name {
			return true
		}
	}
	return false
}

// RemoveDead deletes nodes none of whose outputs are used (graph outputs count as uses) and
// constants nobody reads. Nodes of nondeterministic ops are kept only if used as well. It
// returns the number of nodes removed (in g and, recursively, subgraphs).
func (g *Graph) RemoveDead() int {
	removed := 0
	for _, n := range g.Nodes {
		for _, sg := range n.Subgraphs() {
			removed += sg.RemoveDead()
		}
	}
	// liveness by worklist, so the node order does not matter (passes append nodes at the end)
	live := map[*Value]bool{}
	liveNode := map[*Node]bool{}
	var work []*Value
	mark := func(v *Value) {
		if v != nil && !live[v] {
			live[v] = true
			work = append(work, v)
		}
	}
	for _, v := range g.Outputs {
		mark(v)
	}
	inGraph := map[*Node]bool{}
	for _, n := range g.Nodes {
		inGraph[n] = true
	}
	for len(work) > 0 {
		v := work[len(work)-1]
		work = work[:len(work)-1]
		n := v.Def
		if n == nil || liveNode[n] || !inGraph[n] {
			continue
		}
		liveNode[n] = true
		for _, in := range n.Inputs {
			mark(in)
		}
		for _, sg := range n.Subgraphs() {
			for fv := range sg.FreeValues() {
				mark(fv)
			}
		}
	}
	keep := make([]bool, len(g.Nodes))
	for i, n := range g.Nodes {
		keep[i] = liveNode[n]
	}
	nodes := g.Nodes[:0]
	for i, n := range g.Nodes {
		if keep[i] {
			nodes = append(nodes, n)
		} else {
			removed++
		}
	}
	for i := len(nodes); i < len(g.Nodes); i++ {
		g.Nodes[i] = nil
	}
	g.Nodes = nodes
	consts := g.Consts[:0]
	for _, c := range g.Consts {
		if live[c] {
			consts = append(consts, c)
		}
	}
	g.Consts = consts
	// unused trailing optional outputs become absent
	for _, n := range g.Nodes {
		for i, o := range n.Outputs {
			if o != nil && !live[o] && i > 0 && optionalOutput(n, i) {
				n.Outputs[i] = nil
			}
		}
		for len(n.Outputs) > 0 && n.Outputs[len(n.Outputs)-1] == nil {
			n.Outputs = n.Outputs[:len(n.Outputs)-1]
		}
	}
	return removed
}

// optionalOutput reports whether output i of n may be omitted per its schema.
func optionalOutput(n *Node, i int) bool {
	s := n.Schema()
	return s != nil && i >= s.MinOut
}

// TopoSort reorders g.Nodes so every value is defined before use, keeping the existing order
// where it is already valid. It fails on a cycle.
func (g *Graph) TopoSort() error {
	producer := map[*Value]int{}
	for i, n := range g.Nodes {
		for _, o := range n.Outputs {
			if o != nil {
				producer[o] = i
			}
		}
	}
	deps := func(i int) []int {
		n := g.Nodes[i]
		var out []int
		for _, in := range n.Inputs {
			if j, ok := producer[in]; ok {
				out = append(out, j)
			}
		}
		for _, sg := range n.Subgraphs() {
			for v := range sg.FreeValues() {
				if j, ok := producer[v]; ok {
					out = append(out, j)
				}
			}
		}
		return out
	}
	state := make([]uint8, len(g.Nodes))
	order := make([]*Node, 0, len(g.Nodes))
	var visit func(i int) error
	visit = func(i int) error {
		switch state[i] {
		case 1:
			return fmt.Errorf("graph %q: cycle through %s", g.Name, g.Nodes[i].Describe())
		case 2:
			return nil
		}
		state[i] = 1
		for _, j := range deps(i) {
			if err := visit(j); err != nil {
				return err
			}
		}
		state[i] = 2
		order = append(order, g.Nodes[i])
		return nil
	}
	for i := range g.Nodes {
		if err := visit(i); err != nil {
			return err
		}
	}
	copy(g.Nodes, order)
	return nil
}

// Users returns, for each value of g, the nodes of g reading it (a subgraph's read of an outer
// value counts as a read by the node holding the subgraph), and whether it is a graph output.
type Users struct {
	ByValue map[*Value][]*Node
	Outputs map[*Value]bool
}

// ComputeUsers indexes the readers of every value in g.
func (g *Graph) ComputeUsers() *Users {
	u := &Users{ByValue: g.Uses(), Outputs: map[*Value]bool{}}
	for _, o := range g.Outputs {
		u.Outputs[o] = true
	}
	return u
}

// Count is the number of reading nodes plus one if v is a graph output.
func (u *Users) Count(v *Value) int {
	c := len(u.ByValue[v])
	if u.Outputs[v] {
		c++
	}
	return c
}

// Only returns the single node reading v, or nil if v has zero or several readers or is a
// graph output.
func (u *Users) Only(v *Value) *Node {
	if u.Outputs[v] || len(u.ByValue[v]) != 1 {
		return nil
	}
	return u.ByValue[v][0]
}
