package passes

import (
	"math"

	"github.com/llmc/llmc/ir"
)

// attentionMatch is BERT-style multi-head self-attention:
//
//	Q,K,V = X·Wq+bq, X·Wk+bk, X·Wv+bv   (separate MatMuls, or one MatMul split in three)
//	heads = Transpose(Reshape(Q|K|V, [B,S,H,D]))
//	P = Softmax(scale·Qh·Khᵀ + mask);  out = Reshape(Transpose(P·Vh), [B,S,H·D])
//
// with the mask built from a 2-D 0/1 attention_mask as (1 - m)·c or through Where.
type attentionMatch struct {
	out        *ir.Value
	x          *ir.Value
	w          [3]*ir.Tensor // [hidden_in, hidden] each
	b          [3]*ir.Tensor // [hidden] each, nil when absent
	heads      int64
	scale      float64
	mask2d     *ir.Value // [B, S] 0/1 key mask, nil without mask
	filter     float64   // value added where the mask is 0
	packed     *ir.Tensor
	packedBias *ir.Tensor
}

// headsOf matches Transpose(Reshape(v, [B,S,H,D]), perm) and returns v, H, D.
func headsOf(t *ir.Value, perm []int64) (v *ir.Value, h, d int64, ok bool) {
	tr := producer(t, "Transpose")
	if tr == nil || !equalInts(tr.AttrInts("perm", nil), perm) {
		return nil, 0, 0, false
	}
	rs := producer(tr.Inputs[0], "Reshape")
	if rs == nil || rankOf(rs.Outputs[0]) != 4 || rankOf(rs.Inputs[0]) != 3 {
		return nil, 0, 0, false
	}
	in, out := rs.Inputs[0].Type.Shape, rs.Outputs[0].Type.Shape
	if out[0] != in[0] || out[1] != in[1] || out[0].IsUnknown() || out[1].IsUnknown() || !out[2].IsConcrete() || !out[3].IsConcrete() {
		return nil, 0, 0, false
	}
	return rs.Inputs[0], out[2].Value, out[3].Value, true
}

// keyHeads matches Kᵀ of the scores Q·Kᵀ: Transpose(Reshape(K, [B,S,H,D]), [0,2,3,1]), or the
// head split [0,2,1,3] followed by a swap of the last two axes (k.transpose(-1, -2)) when a
// scalar factor sits between the two (Whisper-style d^-1/4 on both q and k). It returns K, H,
// D and the factor.
func keyHeads(t *ir.Value) (v *ir.Value, h, d int64, scale float64, ok bool) {
	t, scale = scaled(t)
	if v, h, d, ok = headsOf(t, []int64{0, 2, 3, 1}); ok {
		return v, h, d, scale, true
	}
	tr := producer(t, "Transpose")
	if tr == nil || !equalInts(tr.AttrInts("perm", nil), []int64{0, 1, 3, 2}) {
		return nil, 0, 0, 0, false
	}
	inner, s2 := scaled(tr.Inputs[0])
	if v, h, d, ok = headsOf(inner, []int64{0, 2, 1, 3}); !ok {
		return nil, 0, 0, 0, false
	}
	return v, h, d, scale * s2, true
}

func equalInts(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// projection matches v = X·W (+ b) with constant W [in, out] and b [out]; returns X, W, b.
func projection(v *ir.Value) (x *ir.Value, w, b *ir.Tensor, ok bool) {
	if add := producer(v, "Add"); add != nil {
		for i := 0; i < 2; i++ {
			bt := constOf(add.Inputs[i])
			if bt == nil || len(bt.Shape) != 1 {
				continue
			}
			if x, w, nb, ok := projection(add.Inputs[1-i]); ok && nb == nil && w.Shape[1] == bt.Shape[0] {
				return x, w, bt, true
			}
		}
		return nil, nil, nil, false
	}
	mm := producer(v, "MatMul")
	if mm == nil {
		return nil, nil, nil, false
	}
	w = constOf(mm.Inputs[1])
	if w == nil || len(w.Shape) != 2 || w.DType != ir.Float32 || rankOf(mm.Inputs[0]) != 3 {
		return nil, nil, nil, false
	}
	return mm.Inputs[0], w, nil, true
}

// splitProjection matches Q, K, V taken as three equal column blocks of one projection, through
// Split or Slice on the last axis; it returns per-part weights.
func splitProjection(q, k, v *ir.Value) (x *ir.Value, w, b [3]*ir.Tensor, ok bool) {
	parts := [3]*ir.Value{q, k, v}
	var src *ir.Value
	var idx [3]int
	for i, p := range parts {
		var s *ir.Value
		var at int
		if sp := producer(p, "Split"); sp != nil {
			if ax := sp.AttrInt("axis", 0); ax != -1 && ax != 2 || len(sp.Outputs) != 3 {
				return x, w, b, false
			}
			for j, o := range sp.Outputs {
				if o == p {
					at = j
				}
			}
			s = sp.Inputs[0]
		} else if sl := producer(p, "Slice"); sl != nil {
			starts, ok1 := intsOf(sl.Inputs[1])
			axes, ok2 := intsOf(sl.Input(3))
			if !ok1 || !ok2 || len(starts) != 1 || len(axes) != 1 || (axes[0] != -1 && axes[0] != 2) {
				return x, w, b, false
			}
			h, ok := lastDim(sl.Outputs[0])
			if !ok || h == 0 || starts[0]%h != 0 {
				return x, w, b, false
			}
			at = int(starts[0] / h)
			s = sl.Inputs[0]
		} else {
			return x, w, b, false
		}
		if src != nil && s != src {
			return x, w, b, false
		}
		src, idx[i] = s, at
	}
	if idx != [3]int{0, 1, 2} {
		return x, w, b, false
	}
	x, wAll, bAll, ok := projection(src)
	if !ok || wAll.Shape[1]%3 != 0 {
		return x, w, b, false
	}
	for i := 0; i < 3; i++ {
		w[i] = columns(wAll, i, 3)
		if bAll != nil {
			b[i] = columns(bAll, i, 3)
		}
	}
	return x, w, b, true
}

// columns returns part i of n equal column blocks of a [rows, cols] or [cols] float32 tensor.
func columns(t *ir.Tensor, i, n int) *ir.Tensor {
	src := t.Float32s()
	if len(t.Shape) == 1 {
		c := int(t.Shape[0]) / n
		return ir.FromFloat32s([]int64{int64(c)}, src[i*c:(i+1)*c])
	}
	rows, cols := int(t.Shape[0]), int(t.Shape[1])
	c := cols / n
	out := make([]float32, rows*c)
	for r := 0; r < rows; r++ {
		copy(out[r*c:(r+1)*c], src[r*cols+i*c:r*cols+(i+1)*c])
	}
	return ir.FromFloat32s([]int64{int64(rows), int64(c)}, out)
}

// keyMask recognises an additive mask built from a 2-D 0/1 mask m: (1 - float(m[:,None,None,:]))·c
// (either operand order). It returns m and c.
func keyMask(v *ir.Value) (*ir.Value, float64, bool) {
	mul := producer(v, "Mul")
	if mul == nil {
		return nil, 0, false
	}
	for i := 0; i < 2; i++ {
		c, ok := scalarOf(mul.Inputs[i])
		if !ok {
			continue
		}
		sub := producer(mul.Inputs[1-i], "Sub")
		if sub == nil || !isScalarNear(sub.Inputs[0], 1, 0) {
			continue
		}
		if m := mask2dOf(sub.Inputs[1]); m != nil {
			return m, c, true
		}
	}
	return nil, 0, false
}

// mask2dOf follows Cast/Unsqueeze from a [B,1,1,S] tensor back to its [B,S] source.
func mask2dOf(v *ir.Value) *ir.Value {
	for i := 0; i < 4 && v != nil; i++ {
		if c := producer(v, "Cast"); c != nil {
			v = c.Inputs[0]
			continue
		}
		break
	}
	u := producer(v, "Unsqueeze")
	if u == nil {
		return nil
	}
	if rankOf(v) != 4 {
		return nil
	}
	src := u.Inputs[0]
	for rankOf(src) > 2 {
		u2 := producer(src, "Unsqueeze")
		if u2 == nil {
			return nil
		}
		src = u2.Inputs[0]
	}
	for i := 0; i < 4; i++ {
		if c := producer(src, "Cast"); c != nil {
			src = c.Inputs[0]
		}
	}
	if rankOf(src) != 2 || !src.Type.DType.IsInt() && src.Type.DType != ir.Bool && !src.Type.DType.IsFloat() {
		return nil
	}
	s := v.Type.Shape
	if !(s[1].IsConcrete() && s[1].Value == 1 && s[2].IsConcrete() && s[2].Value == 1) {
		return nil
	}
	return src
}

// whereMask recognises Where(m == 0, fill, scores) / Where(bool(m), scores, fill) (masked_fill).
func whereMask(v *ir.Value) (scores, mask *ir.Value, fill float64, ok bool) {
	w := producer(v, "Where")
	if w == nil {
		return nil, nil, 0, false
	}
	cond := w.Inputs[0]
	if eq := producer(cond, "Equal"); eq != nil {
		for i := 0; i < 2; i++ {
			if isScalarNear(eq.Inputs[i], 0, 0) {
				if m := mask2dOf(eq.Inputs[1-i]); m != nil {
					if f, ok := scalarOf(w.Inputs[1]); ok {
						return w.Inputs[2], m, f, true
					}
				}
			}
		}
	}
	if m := mask2dOf(cond); m != nil {
		if f, ok := scalarOf(w.Inputs[2]); ok {
			return w.Inputs[1], m, f, true
		}
	}
	return nil, nil, 0, false
}

// scaled strips a scalar Mul (or Div) and returns the inner value and the factor.
func scaled(v *ir.Value) (*ir.Value, float64) {
	if m := producer(v, "Mul"); m != nil {
		for i := 0; i < 2; i++ {
			if c, ok := scalarOf(m.Inputs[i]); ok {
				return m.Inputs[1-i], c
			}
		}
	}
	if d := producer(v, "Div"); d != nil {
		if c, ok := scalarOf(d.Inputs[1]); ok && c != 0 {
			return d.Inputs[0], 1 / c
		}
	}
	return v, 1
}

func matchAttention(rc *RewriteContext, root *ir.Node) (any, string) {
	// root: Reshape(Transpose(P·Vh, [0,2,1,3]), [B,S,H·D])
	if rankOf(root.Outputs[0]) != 3 {
		return nil, ""
	}
	tr := producer(root.Inputs[0], "Transpose")
	if tr == nil || !equalInts(tr.AttrInts("perm", nil), []int64{0, 2, 1, 3}) {
		return nil, ""
	}
	pv := producer(tr.Inputs[0], "MatMul")
	if pv == nil {
		return nil, ""
	}
	sm := producer(pv.Inputs[0], "Softmax")
	if sm == nil {
		return nil, "context is not Softmax(...)·V"
	}
	if ax := sm.AttrInt("axis", -1); ax != -1 && ax != 3 {
		return nil, "softmax is not over the key axis"
	}
	m := &attentionMatch{out: root.Outputs[0], scale: 1}
	scores := sm.Inputs[0]
	if s, mask, fill, ok := whereMask(scores); ok {
		scores, m.mask2d, m.filter = s, mask, fill
	} else if add := producer(scores, "Add"); add != nil {
		found := false
		for i := 0; i < 2; i++ {
			if mk, c, ok := keyMask(add.Inputs[i]); ok {
				scores, m.mask2d, m.filter, found = add.Inputs[1-i], mk, c, true
				break
			}
		}
		if !found {
			return nil, "the additive mask is not (1 - mask)·c of a 2-D mask"
		}
	}
	scores, sc := scaled(scores)
	m.scale *= sc
	var qIn, k *ir.Value
	var h2, d2 int64
	var ok2 bool
	if qk := producer(scores, "MatMul"); qk != nil {
		var sk float64
		qIn = qk.Inputs[0]
		k, h2, d2, sk, ok2 = keyHeads(qk.Inputs[1])
		m.scale *= sk
	} else if f := scores.Def; f != nil && f.Domain == MSDomain && f.Op == "FusedMatMul" && f.AttrInt("transA", 0) == 0 &&
		f.AttrInt("transBatchA", 0) == 0 && f.AttrInt("transBatchB", 0) == 0 {
		// ONNX Runtime's optimizer already folded the scale (and maybe Kᵀ) into FusedMatMul
		var sk float64
		qIn = f.Inputs[0]
		m.scale *= float64(f.AttrFloat("alpha", 1))
		if f.AttrInt("transB", 0) != 0 {
			var kh *ir.Value
			kh, sk = scaled(f.Inputs[1])
			k, h2, d2, ok2 = headsOf(kh, []int64{0, 2, 1, 3})
		} else {
			k, h2, d2, sk, ok2 = keyHeads(f.Inputs[1])
		}
		m.scale *= sk
	} else {
		return nil, "scores are not Q·Kᵀ"
	}
	qh, sq := scaled(qIn)
	m.scale *= sq
	q, h1, d1, ok1 := headsOf(qh, []int64{0, 2, 1, 3})
	v, h3, d3, ok3 := headsOf(pv.Inputs[1], []int64{0, 2, 1, 3})
	if !ok1 || !ok2 || !ok3 {
		return nil, "Q, K or V is not a head split (Reshape to [B,S,H,D] + Transpose)"
	}
	if h1 != h2 || h1 != h3 || d1 != d2 || d1 != d3 {
		return nil, "Q, K, V head shapes differ"
	}
	q, s2 := scaled(q)
	k, s3 := scaled(k)
	m.scale *= s2 * s3
	m.heads = h1
	hidden := h1 * d1
	if last, ok := lastDim(root.Outputs[0]); !ok || last != hidden {
		return nil, "output is not [B, S, H·D]"
	}
	var x [3]*ir.Value
	var okAll = true
	for i, p := range []*ir.Value{q, k, v} {
		var ok bool
		x[i], m.w[i], m.b[i], ok = projection(p)
		okAll = okAll && ok
	}
	if !okAll || x[0] != x[1] || x[0] != x[2] {
		var ok bool
		x[0], m.w, m.b, ok = splitProjection(q, k, v)
		if !ok {
			return nil, "Q, K, V are not projections of one input by constant weights"
		}
	}
	m.x = x[0]
	for i := 0; i < 3; i++ {
		if m.w[i].Shape[1] != hidden || m.w[i].Shape[0] != m.w[0].Shape[0] {
			return nil, "projection widths differ from H·D"
		}
		if (m.b[i] == nil) != (m.b[0] == nil) {
			return nil, "only some projections have a bias"
		}
	}
	if in, ok := lastDim(m.x); !ok || in != m.w[0].Shape[0] {
		return nil, "input width does not match the weights"
	}
	if m.mask2d != nil && rankOf(m.mask2d) == 2 {
		ms, xs := m.mask2d.Type.Shape, m.x.Type.Shape
		if ms[0] != xs[0] || ms[1] != xs[1] {
			return nil, "mask is not [batch, sequence] of the input"
		}
	}
	if math.IsNaN(m.scale) || m.scale == 0 {
		return nil, "bad scale"
	}
	return m, ""
}

func rewriteAttention(rc *RewriteContext, mm any) error {
	m := mm.(*attentionMatch)
	useMS(rc.G)
	in, hid := m.w[0].Shape[0], m.w[0].Shape[1]
	w := make([]float32, in*3*hid)
	bias := make([]float32, 3*hid)
	for p := 0; p < 3; p++ {
		src := m.w[p].Float32s()
		for r := int64(0); r < in; r++ {
			copy(w[r*3*hid+int64(p)*hid:r*3*hid+int64(p+1)*hid], src[r*hid:(r+1)*hid])
		}
		if m.b[p] != nil {
			copy(bias[int64(p)*hid:], m.b[p].Float32s())
		}
	}
	wv := rc.G.AddConst(rc.Names, "attention_qkv_weight", ir.FromFloat32s([]int64{in, 3 * hid}, w))
	bv := rc.G.AddConst(rc.Names, "attention_qkv_bias", ir.FromFloat32s([]int64{3 * hid}, bias))
	ins := []*ir.Value{m.x, wv, bv}
	attrs := []ir.Attr{ir.AInt("num_heads", m.heads), ir.AFloat("scale", float32(m.scale))}
	if m.mask2d != nil {
		mask := m.mask2d
		if mask.Type.DType != ir.Int32 {
			c, err := rc.G.AddNode(rc.Names, "", "Cast", []*ir.Value{mask}, 1, ir.AInt("to", int64(ir.Int32)))
			if err != nil {
				return err
			}
			mask = c.Outputs[0]
		}
		ins = append(ins, mask)
		filter := m.filter
		if filter < -math.MaxFloat32 {
			filter = -math.MaxFloat32
		}
		attrs = append(attrs, ir.AFloat("mask_filter_value", float32(filter)))
	}
	n, err := rc.G.AddNode(rc.Names, MSDomain, "Attention", ins, 1, attrs...)
	if err != nil {
		return err
	}
	rc.G.ReplaceUses(m.out, n.Outputs[0])
	return nil
}

// ruleAttention fuses multi-head self-attention, matched from its output Reshape.
var ruleAttention = Rule{Name: "attention", Op: "Reshape", Match: matchAttention, Rewrite: rewriteAttention}
