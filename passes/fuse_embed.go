package passes

import (
	"github.com/llmc/llmc/ir"
)

// embedMatch is BERT's embedding layer: LayerNorm(word[ids] + position[0..S) + segment[tt]).
type embedMatch struct {
	ln             *ir.Node
	ids, segIDs    *ir.Value
	word, pos, seg *ir.Value
	gamma, beta    *ir.Value
	sum            *ir.Value // the embedding sum, when other nodes read it too (pre-LN residual)
}

// addLeaves flattens a tree of single-reader Adds into its leaves.
func addLeaves(rc *RewriteContext, v *ir.Value, depth int) []*ir.Value {
	add := producer(v, "Add")
	if add == nil || depth == 0 {
		return []*ir.Value{v}
	}
	var out []*ir.Value
	for _, in := range add.Inputs {
		if producer(in, "Add") != nil && rc.Users.Count(in) == 1 {
			out = append(out, addLeaves(rc, in, depth-1)...)
		} else {
			out = append(out, in)
		}
	}
	return out
}

// isPositionRange reports whether idx holds 0..S-1 for the sequence length S of ids: a Slice
// [0:S] along the last axis of a constant arange of shape [1, max] (or [max]).
func isPositionRange(idx, ids *ir.Value) bool {
	if isArangePositions(idx, ids) {
		return true
	}
	sl := producer(idx, "Slice")
	var table *ir.Tensor
	if sl != nil {
		starts, ok := intsOf(sl.Inputs[1])
		if !ok || len(starts) != 1 || starts[0] != 0 {
			return false
		}
		if len(sl.Inputs) > 4 && sl.Inputs[4] != nil {
			if st, ok := intsOf(sl.Inputs[4]); !ok || len(st) != 1 || st[0] != 1 {
				return false
			}
		}
		table = constOf(sl.Inputs[0])
	} else {
		table = constOf(idx)
	}
	if table == nil || !table.DType.IsInt() {
		return false
	}
	for i := 0; i < table.Len(); i++ {
		if table.Int64At(i) != int64(i) {
			return false
		}
	}
	r := rankOf(idx)
	if r < 1 || rankOf(ids) != 2 {
		return false
	}
	// the slice must end at the sequence length: its size is the ids' sequence dim
	return idx.Type.Shape[r-1] == ids.Type.Shape[1] && !ids.Type.Shape[1].IsUnknown()
}

// isArangePositions reports whether idx holds 0..S-1 made on the fly (DistilBERT, GPT-2):
// [Expand(] [Unsqueeze(] Range(0, S, 1) [, 0)] [, shape)], S being the ids' sequence dim.
func isArangePositions(idx, ids *ir.Value) bool {
	v := idx
	if e := producer(v, "Expand"); e != nil {
		v = e.Inputs[0]
	}
	if u := producer(v, "Unsqueeze"); u != nil {
		axes, ok := intsOf(u.Input(1))
		if a := u.Attr("axes"); a != nil {
			axes, ok = a.Ints, true
		}
		if !ok || len(axes) != 1 || axes[0] != 0 {
			return false
		}
		v = u.Inputs[0]
	}
	r := producer(v, "Range")
	if r == nil || !isScalarNear(r.Inputs[0], 0, 0) || !isScalarNear(r.Inputs[2], 1, 0) || rankOf(v) != 1 || rankOf(ids) != 2 {
		return false
	}
	n, s := v.Type.Shape[0], ids.Type.Shape[1]
	return n == s && !s.IsUnknown() && idx.Type.Shape[rankOf(idx)-1] == s
}

func matchEmbedLayerNorm(rc *RewriteContext, ln *ir.Node) (any, string) {
	if rankOf(ln.Inputs[0]) != 3 {
		return nil, ""
	}
	leaves := addLeaves(rc, ln.Inputs[0], 3)
	if len(leaves) < 2 || len(leaves) > 3 {
		return nil, ""
	}
	lookups := 0
	for _, l := range leaves {
		if producer(l, "Gather") != nil {
			lookups++
		}
	}
	if lookups == 0 {
		return nil, "" // a residual sum, not an embedding (SkipLayerNormalization's candidate)
	}
	if axis := ln.AttrInt("axis", -1); axis != -1 && axis != 2 {
		return nil, "not normalizing the last axis"
	}
	h, ok := lastDim(ln.Inputs[0])
	if !ok || !isVector(ln.Inputs[1], h) || ln.Input(2) == nil || !isVector(ln.Inputs[2], h) {
		return nil, "gamma/beta are not constant vectors"
	}
	m := &embedMatch{ln: ln, gamma: ln.Inputs[1], beta: ln.Inputs[2]}
	type lookup struct {
		table, idx *ir.Value
		rows       int64
	}
	var gathers []lookup
	for _, l := range leaves {
		g := producer(l, "Gather")
		if g == nil || g.AttrInt("axis", 0) != 0 {
			return nil, "a summand is not an embedding lookup (Gather on axis 0)"
		}
		t := constOf(g.Inputs[0])
		if t == nil || len(t.Shape) != 2 || t.Shape[1] != h || t.DType != ir.Float32 {
			return nil, "an embedding table is not a constant [rows, hidden] float32"
		}
		gathers = append(gathers, lookup{g.Inputs[0], g.Inputs[1], t.Shape[0]})
	}
	// the word lookup is the one with the most rows among the [B,S] index inputs
	var rest []lookup
	wi := -1
	for i, g := range gathers {
		if rankOf(g.idx) == 2 && g.idx.Type.DType.IsInt() && (wi < 0 || g.rows > gathers[wi].rows) && g.idx.Def == nil {
			wi = i
		}
	}
	if wi < 0 {
		return nil, "no word lookup indexed by a [batch, sequence] model input"
	}
	m.ids, m.word = gathers[wi].idx, gathers[wi].table
	for i, g := range gathers {
		if i != wi {
			rest = append(rest, g)
		}
	}
	for _, g := range rest {
		switch {
		case isPositionRange(g.idx, m.ids):
			if m.pos != nil {
				return nil, "two position lookups"
			}
			m.pos = g.table
		case rankOf(g.idx) == 2 && g.idx.Type.DType.IsInt() && sameShape(g.idx.Type, m.ids.Type):
			if m.seg != nil {
				return nil, "two segment lookups"
			}
			m.seg, m.segIDs = g.table, g.idx
		default:
			return nil, "a lookup is neither positions 0..S-1 nor a [batch, sequence] segment input"
		}
	}
	if m.pos == nil {
		return nil, "no position embedding"
	}
	if rc.Users.Count(ln.Inputs[0]) > 1 {
		// Pre-LN models add the sum to the first block's output: take it from the fused op's
		// embedding_sum output.
		m.sum = ln.Inputs[0]
	}
	return m, ""
}

func sameShape(a, b ir.Type) bool {
	if !a.Ranked || !b.Ranked || len(a.Shape) != len(b.Shape) {
		return false
	}
	for i := range a.Shape {
		if a.Shape[i] != b.Shape[i] || a.Shape[i].IsUnknown() {
			return false
		}
	}
	return true
}

func rewriteEmbedLayerNorm(rc *RewriteContext, mm any) error {
	m := mm.(*embedMatch)
	useMS(rc.G)
	toI32 := func(v *ir.Value) (*ir.Value, error) {
		if v.Type.DType == ir.Int32 {
			return v, nil
		}
		c, err := rc.G.AddNode(rc.Names, "", "Cast", []*ir.Value{v}, 1, ir.AInt("to", int64(ir.Int32)))
		if err != nil {
			return nil, err
		}
		return c.Outputs[0], nil
	}
	ids, err := toI32(m.ids)
	if err != nil {
		return err
	}
	var seg *ir.Value
	if m.segIDs != nil {
		if seg, err = toI32(m.segIDs); err != nil {
			return err
		}
	}
	ins := []*ir.Value{ids, seg, m.word, m.pos, m.seg, m.gamma, m.beta}
	nout := 2
	if m.sum != nil {
		nout = 3
	}
	n, err := rc.G.AddNode(rc.Names, MSDomain, "EmbedLayerNormalization", ins, nout, ir.AFloat("epsilon", m.ln.AttrFloat("epsilon", 1e-5)))
	if err != nil {
		return err
	}
	if m.sum != nil {
		rc.G.ReplaceUses(m.sum, n.Outputs[2])
	}
	rc.G.ReplaceUses(m.ln.Outputs[0], n.Outputs[0])
	return nil
}

// ruleEmbedLayerNorm fuses the embedding lookups and sum into the LayerNormalization after them.
var ruleEmbedLayerNorm = Rule{Name: "embed-layernorm", Op: "LayerNormalization", Match: matchEmbedLayerNorm, Rewrite: rewriteEmbedLayerNorm}
