// Package viz draws IR graphs as Graphviz DOT (with github.com/emicklei/dot) so that a
// 1,400-node transformer stays readable: ops are coloured by kind, edges carry dtype and shape,
// constants are folded into the label of the node that uses them instead of being drawn as
// hundreds of loose boxes, and name scopes (/encoder/layer.3/attention/...) become clusters.
package viz

import (
	"fmt"
	"strings"

	"github.com/emicklei/dot"

	"github.com/llmc/llmc/ir"
)

// Options tune the drawing.
type Options struct {
	// MaxClusterDepth limits how many name-scope levels become nested clusters (default 4).
	MaxClusterDepth int
	// NoClusters draws every node at the top level.
	NoClusters bool
	// Title labels the drawing (default: the graph name).
	Title string
}

// CategoryColors maps op categories (ir.OpSchema.Category) to fill colours.
var CategoryColors = map[string]string{
	"math":     "#dbe9f6",
	"nn":       "#f9d5a7",
	"shape":    "#e8e8e8",
	"reduce":   "#d5ecd4",
	"logic":    "#f2e1f7",
	"quant":    "#fde2e4",
	"control":  "#fff3b0",
	"sequence": "#e0f7fa",
	"training": "#ffe0b2",
	"fused":    "#ffb4a2",
	"misc":     "#f5f5f5",
}

// Dot renders g as DOT source.
func Dot(g *ir.Graph, opts Options) string {
	if opts.MaxClusterDepth == 0 {
		opts.MaxClusterDepth = 4
	}
	title := opts.Title
	if title == "" {
		title = g.Name
	}
	root := dot.NewGraph(dot.Directed)
	root.Attr("rankdir", "TB")
	root.Attr("label", title)
	root.Attr("fontname", "Helvetica")
	root.NodeInitializer(func(n dot.Node) {
		n.Attr("fontname", "Helvetica")
		n.Attr("fontsize", "10")
	})
	root.EdgeInitializer(func(e dot.Edge) {
		e.Attr("fontname", "Helvetica")
		e.Attr("fontsize", "8")
	})
	d := &drawer{root: root, opts: opts, nodes: map[*ir.Value]dot.Node{}, clusters: map[string]*dot.Graph{}}
	d.graph(g)
	return root.String()
}

type drawer struct {
	root     *dot.Graph
	opts     Options
	nodes    map[*ir.Value]dot.Node // value -> drawn producer (input box or op node)
	clusters map[string]*dot.Graph
	seq      int
}

// folded reports whether v is drawn inside its consumer's label: constants and the outputs of
// Constant nodes.
func folded(v *ir.Value) bool {
	return v.IsConst() || (v.Def != nil && v.Def.Op == "Constant" && v.Def.Domain == "")
}

func (d *drawer) id() string {
	d.seq++
	return fmt.Sprintf("n%d", d.seq)
}

// cluster returns the DOT (sub)graph for a node name's scope.
func (d *drawer) cluster(name string) *dot.Graph {
	if d.opts.NoClusters || !strings.Contains(name, "/") {
		return d.root
	}
	parts := strings.Split(strings.Trim(name, "/"), "/")
	parts = parts[:len(parts)-1] // the last part names the node itself
	if len(parts) > d.opts.MaxClusterDepth {
		parts = parts[:d.opts.MaxClusterDepth]
	}
	g := d.root
	path := ""
	for _, p := range parts {
		if p == "" {
			continue
		}
		path += "/" + p
		sub, ok := d.clusters[path]
		if !ok {
			sub = g.Subgraph(path, dot.ClusterOption{})
			sub.Attr("label", p)
			sub.Attr("style", "rounded")
			sub.Attr("color", "#999999")
			d.clusters[path] = sub
		}
		g = sub
	}
	return g
}

func typeLabel(t ir.Type) string {
	if t.Kind == ir.KindUnknown {
		return ""
	}
	return t.String()
}

func (d *drawer) graph(g *ir.Graph) {
	for _, v := range g.Inputs {
		n := d.root.Node(d.id()).Label(fmt.Sprintf("%s\n%s", v.Name, typeLabel(v.Type)))
		n.Attr("shape", "oval").Attr("style", "filled").Attr("fillcolor", "#c7f0c2")
		d.nodes[v] = n
	}
	for _, n := range g.Nodes {
		if n.Op == "Constant" && n.Domain == "" {
			continue
		}
		d.node(n)
	}
	for _, v := range g.Outputs {
		out := d.root.Node(d.id()).Label(fmt.Sprintf("%s\n%s", v.Name, typeLabel(v.Type)))
		out.Attr("shape", "oval").Attr("style", "filled").Attr("fillcolor", "#b8d8f2")
		if src, ok := d.nodes[v]; ok {
			d.root.Edge(src, out)
		}
	}
}

func (d *drawer) node(n *ir.Node) {
	var label strings.Builder
	label.WriteString(n.QualifiedOp())
	var attrs []string
	for i := range n.Attrs {
		a := &n.Attrs[i]
		if a.Kind == ir.AttrGraph || a.Kind == ir.AttrGraphs {
			attrs = append(attrs, a.Name+"="+a.ValueString())
			continue
		}
		s := a.ValueString()
		if len(s) > 24 {
			s = s[:21] + "..."
		}
		attrs = append(attrs, a.Name+"="+s)
	}
	if len(attrs) > 0 {
		label.WriteString("\n" + strings.Join(attrs, " "))
	}
	for i, in := range n.Inputs {
		if in != nil && folded(in) {
			fmt.Fprintf(&label, "\n%s", constLabel(i, in))
		}
	}
	c := d.cluster(n.Name)
	dn := c.Node(d.id()).Label(label.String())
	schema := n.Schema()
	color := CategoryColors["misc"]
	if schema != nil {
		if col, ok := CategoryColors[schema.Category]; ok {
			color = col
		}
	}
	dn.Attr("shape", "box").Attr("style", "rounded,filled").Attr("fillcolor", color)
	if n.Name != "" {
		dn.Attr("tooltip", n.Name)
	}
	for _, in := range n.Inputs {
		if in == nil || folded(in) {
			continue
		}
		if src, ok := d.nodes[in]; ok {
			d.root.Edge(src, dn, typeLabel(in.Type))
		}
	}
	for _, out := range n.Outputs {
		if out != nil {
			d.nodes[out] = dn
		}
	}
}

// constLabel describes a folded constant input: its name (shortened) and type, or its value
// when it is a scalar.
func constLabel(i int, v *ir.Value) string {
	var t *ir.Tensor
	if v.IsConst() {
		t = v.Const
	} else if v.Def != nil {
		t = v.Def.AttrTensor("value")
	}
	name := v.Name
	if k := strings.LastIndexAny(name, "/:"); k >= 0 && k < len(name)-1 {
		name = name[k+1:]
	}
	if len(name) > 28 {
		name = name[:25] + "..."
	}
	if t != nil && t.Len() == 1 && t.DType != ir.String {
		return fmt.Sprintf("in%d = %.6g", i, t.Float64At(0))
	}
	return fmt.Sprintf("in%d: %s %s", i, name, typeLabel(v.Type))
}
