package ref

import (
	"fmt"
	"math"

	"github.com/llmc/llmc/ir"
)

// Reference evaluation of the ONNX Runtime contrib (com.microsoft) fused ops, with ONNX Runtime's
// semantics (including its masking constants and dynamic quantization rounding), in float64.

func init() {
	const ms = ir.MSDomain
	SetEval(ms, "Attention", evalAttention)
	SetEval(ms, "SkipLayerNormalization", evalSkipLayerNorm(false))
	SetEval(ms, "SkipSimplifiedLayerNormalization", evalSkipLayerNorm(true))
	SetEval("", "SimplifiedLayerNormalization", evalSimplifiedLayerNorm)
	SetEval(ms, "EmbedLayerNormalization", evalEmbedLayerNorm)
	SetEval(ms, "Gelu", contribUnary(contribGeluErf))
	SetEval(ms, "BiasGelu", contribBiased(contribGeluErf, true))
	SetEval(ms, "FastGelu", contribBiased(contribGeluTanh, false))
	SetEval(ms, "QuickGelu", evalQuickGelu)
	SetEval(ms, "BiasAdd", evalBiasAdd)
	SetEval(ms, "FusedGemm", evalFusedGemm)
	SetEval(ms, "FusedMatMul", evalFusedMatMul)
	SetEval(ms, "DynamicQuantizeMatMul", evalDynamicQuantizeMatMul)
	SetEval(ms, "MatMulIntegerToFloat", evalMatMulIntegerToFloat)
}

// contribGeluErf is Gelu with the exact erf: 0.5 x (1 + erf(x / sqrt 2)).
func contribGeluErf(x float64) float64 { return 0.5 * x * (1 + math.Erf(x/math.Sqrt2)) }

// contribGeluTanh is the tanh approximation: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).
func contribGeluTanh(x float64) float64 {
	const alpha = 0.7978845608028654 // sqrt(2/pi)
	return 0.5 * x * (1 + math.Tanh(alpha*(x+0.044715*x*x*x)))
}

// contribFloat reports whether dt is a float type the contrib ops compute in.
func contribFloat(dt ir.DType) bool { return signalFloatDType(dt) }

// contribNew allocates a tensor of dt and shape holding vals.
func contribNew(ctx ir.EvalContext, dt ir.DType, shape []int64, vals []float64) (*ir.Tensor, error) {
	t, err := signalNewTensor(ctx, dt, shape)
	if err != nil {
		return nil, err
	}
	SetF64s(t, vals)
	return t, nil
}

// contribUnary returns the hook of an elementwise float function.
func contribUnary(f func(float64) float64) func(ir.EvalContext, *ir.Node, []*ir.Tensor) ([]*ir.Tensor, error) {
	return func(ctx ir.EvalContext, n *ir.Node, in []*ir.Tensor) ([]*ir.Tensor, error) {
		x := in[0]
		if !contribFloat(x.DType) {
			return nil, Unsupportedf("%s of %s", n.Op, x.DType)
		}
		v := F64s(x)
		for i := range v {
			v[i] = f(v[i])
		}
		out, err := contribNew(ctx, x.DType, x.Shape, v)
		return []*ir.Tensor{out}, err
	}
}

// contribAddBias adds bias (1-D over the last axis, or any shape broadcasting to x's) to xv.
func contribAddBias(x, bias *ir.Tensor, xv []float64) error {
	if bias.DType != x.DType {
		return fmt.Errorf("bias type %s differs from input type %s", bias.DType, x.DType)
	}
	shape, err := BroadcastShape(x.Shape, bias.Shape)
	if err != nil || len(shape) != len(x.Shape) || fmt.Sprint(shape) != fmt.Sprint(x.Shape) {
		return fmt.Errorf("bias shape %v does not broadcast to input shape %v", bias.Shape, x.Shape)
	}
	bv := F64s(bias)
	for i, j := range BroadcastIndex(x.Shape, bias.Shape) {
		xv[i] += bv[j]
	}
	return nil
}

// contribBiased returns the hook of f(X + bias), bias required or optional.
func contribBiased(f func(float64) float64, required bool) func(ir.EvalContext, *ir.Node, []*ir.Tensor) ([]*ir.Tensor, error) {
	return func(ctx ir.EvalContext, n *ir.Node, in []*ir.Tensor) ([]*ir.Tensor, error) {
		x := in[0]
		if !contribFloat(x.DType) {
			return nil, Unsupportedf("%s of %s", n.Op, x.DType)
		}
		v := F64s(x)
		if b := contribOpt(in, 1); b != nil {
			if err := contribAddBias(x, b, v); err != nil {
				return nil, err
			}
		} else if required {
			return nil, fmt.Errorf("bias is missing")
		}
		for i := range v {
			v[i] = f(v[i])
		}
		out, err := contribNew(ctx, x.DType, x.Shape, v)
		return []*ir.Tensor{out}, err
	}
}

func evalQuickGelu(ctx ir.EvalContext, n *ir.Node, in []*ir.Tensor) ([]*ir.Tensor, error) {
	alpha := float64(n.AttrFloat("alpha", 1.702))
	return contribUnary(func(x float64) float64 { return x / (1 + math.Exp(-alpha*x)) })(ctx, n, in)
}

// evalBiasAdd: Y = X + bias + skip, X and skip [N, S, C], bias [C].
func evalBiasAdd(ctx ir.EvalContext, n *ir.Node, in []*ir.Tensor) ([]*ir.Tensor, error) {
	x, bias, skip := in[0], in[1], in[2]
	if !contribFloat(x.DType) {
		return nil, Unsupportedf("BiasAdd of %s", x.DType)
	}
	if len(x.Shape) != 3 || len(bias.Shape) != 1 || bias.Shape[0] != x.Shape[2] || fmt.Sprint(skip.Shape) != fmt.Sprint(x.Shape) {
		return nil, fmt.Errorf("X %v, bias %v and skip %v must be [N,S,C], [C] and [N,S,C]", x.Shape, bias.Shape, skip.Shape)
	}
	if skip.DType != x.DType {
		return nil, fmt.Errorf("skip type %s differs from X type %s", skip.DType, x.DType)
	}
	v := F64s(x)
	if err := contribAddBias(x, bias, v); err != nil {
		return nil, err
	}
	for i, s := range F64s(skip) {
		v[i] += s
	}
	out, err := contribNew(ctx, x.DType, x.Shape, v)
	return []*ir.Tensor{out}, err
}

// contribNormRows normalizes each row of width h in place: (x - mean) / sqrt(var + eps) * gamma
// + beta, or x / sqrt(mean(x^2) + eps) * gamma when simplified. It returns per-row mean and
// 1/sqrt(var + eps) (the RMS form's mean is 0).
func contribNormRows(v []float64, h int, gamma, beta []float64, eps float64, simplified bool) (means, invStd []float64) {
	if h <= 0 {
		return nil, nil // empty rows: nothing to normalize
	}
	rows := len(v) / h
	means, invStd = make([]float64, rows), make([]float64, rows)
	for r := 0; r < rows; r++ {
		row := v[r*h : (r+1)*h]
		var mean float64
		if !simplified {
			for _, x := range row {
				mean += x
			}
			mean /= float64(h)
		}
		var ss float64
		for _, x := range row {
			d := x - mean
			ss += d * d
		}
		inv := 1 / math.Sqrt(ss/float64(h)+eps)
		for i, x := range row {
			y := (x - mean) * inv * gamma[i]
			if beta != nil {
				y += beta[i]
			}
			row[i] = y
		}
		means[r], invStd[r] = mean, inv
	}
	return means, invStd
}

// evalSkipLayerNorm: s = input + skip (+ bias); output = LayerNorm(s) (or RMSNorm when
// simplified) over the last axis; optional outputs mean, inv_std_var (float32, last axis 1) and s.
func evalSkipLayerNorm(simplified bool) func(ir.EvalContext, *ir.Node, []*ir.Tensor) ([]*ir.Tensor, error) {
	return func(ctx ir.EvalContext, n *ir.Node, in []*ir.Tensor) ([]*ir.Tensor, error) {
		x, skip, gamma := in[0], in[1], in[2]
		var beta, bias *ir.Tensor
		if simplified {
			bias = contribOpt(in, 3)
		} else {
			beta, bias = contribOpt(in, 3), contribOpt(in, 4)
		}
		if !contribFloat(x.DType) {
			return nil, Unsupportedf("%s of %s", n.Op, x.DType)
		}
		r := len(x.Shape)
		if r != 2 && r != 3 {
			return nil, fmt.Errorf("input must have rank 2 or 3, got shape %v", x.Shape)
		}
		h := x.Shape[r-1]
		for name, t := range map[string]*ir.Tensor{"gamma": gamma, "beta": beta, "bias": bias} {
			if t != nil && (len(t.Shape) != 1 || t.Shape[0] != h) {
				return nil, fmt.Errorf("%s must have shape [%d], got %v", name, h, t.Shape)
			}
		}
		// skip is [B,S,H], [1,S,H] or [S,H]: it broadcasts to input's shape
		if skip.DType != x.DType {
			return nil, fmt.Errorf("skip type %s differs from input type %s", skip.DType, x.DType)
		}
		if bs, err := BroadcastShape(x.Shape, skip.Shape); err != nil || fmt.Sprint(bs) != fmt.Sprint(x.Shape) {
			return nil, fmt.Errorf("skip shape %v does not broadcast to input shape %v", skip.Shape, x.Shape)
		}
		v := F64s(x)
		sk := F64s(skip)
		for i, j := range BroadcastIndex(x.Shape, skip.Shape) {
			v[i] += sk[j]
		}
		if bias != nil {
			if err := contribAddBias(x, bias, v); err != nil {
				return nil, err
			}
		}
		sum := append([]float64{}, v...)
		var bv []float64
		if beta != nil {
			bv = F64s(beta)
		}
		eps := float64(n.AttrFloat("epsilon", 1e-12))
		means, inv := contribNormRows(v, int(h), F64s(gamma), bv, eps, simplified)
		statShape := append(append([]int64{}, x.Shape[:r-1]...), 1)
		outs := make([]*ir.Tensor, len(n.Outputs))
		for i, o := range n.Outputs {
			if o == nil {
				continue
			}
			var err error
			switch i {
			case 0:
				outs[i], err = contribNew(ctx, x.DType, x.Shape, v)
			case 1:
				outs[i], err = contribNew(ctx, ir.Float32, statShape, means)
			case 2:
				outs[i], err = contribNew(ctx, ir.Float32, statShape, inv)
			case 3:
				outs[i], err = contribNew(ctx, x.DType, x.Shape, sum)
			}
			if err != nil {
				return nil, err
			}
		}
		return outs, nil
	}
}

// evalSimplifiedLayerNorm: Y = X / sqrt(mean(X^2 over axes >= axis) + epsilon) * scale.
func evalSimplifiedLayerNorm(ctx ir.EvalContext, n *ir.Node, in []*ir.Tensor) ([]*ir.Tensor, error) {
	x, scale := in[0], in[1]
	if !contribFloat(x.DType) {
		return nil, Unsupportedf("SimplifiedLayerNormalization of %s", x.DType)
	}
	r := len(x.Shape)
	ax, err := ir.NormalizeAxis(n.AttrInt("axis", -1), r)
	if err != nil {
		return nil, err
	}
	norm := x.Shape[ax:]
	h := 1
	for _, d := range norm {
		h *= int(d)
	}
	// scale broadcasts to the normalized dims
	if bs, err := BroadcastShape(norm, scale.Shape); err != nil || fmt.Sprint(bs) != fmt.Sprint(norm) {
		return nil, fmt.Errorf("scale shape %v does not broadcast to the normalized dims %v", scale.Shape, norm)
	}
	sv := F64s(scale)
	gamma := make([]float64, h)
	for i, j := range BroadcastIndex(norm, scale.Shape) {
		gamma[i] = sv[j]
	}
	v := F64s(x)
	if h == 0 {
		out, err := contribNew(ctx, x.DType, x.Shape, v)
		return []*ir.Tensor{out, nil}[:len(n.Outputs)], err
	}
	_, inv := contribNormRows(v, h, gamma, nil, float64(n.AttrFloat("epsilon", 1e-5)), true)
	outs := make([]*ir.Tensor, len(n.Outputs))
	if outs[0], err = contribNew(ctx, x.DType, x.Shape, v); err != nil {
		return nil, err
	}
	if len(outs) > 1 && n.Outputs[1] != nil {
		stash := ir.Float32
		if n.AttrInt("stash_type", 1) == int64(ir.Float64) {
			stash = ir.Float64
		}
		shape := append([]int64{}, x.Shape...)
		for i := ax; i < r; i++ {
			shape[i] = 1
		}
		if outs[1], err = contribNew(ctx, stash, shape, inv); err != nil {
			return nil, err
		}
	}
	return outs, nil
}

// evalEmbedLayerNorm: output[b, s] = LayerNorm(word[ids[b,s]] + position[pos(b,s)] +
// segment[seg[b,s]]) with gamma and beta; mask_index[b] = number of ones in mask[b] (0 without a
// mask); embedding_sum = the sum before normalization.
func evalEmbedLayerNorm(ctx ir.EvalContext, n *ir.Node, in []*ir.Tensor) ([]*ir.Tensor, error) {
	ids, segIDs, word, pos, seg, gamma, beta := in[0], contribOpt(in, 1), contribOpt(in, 2), contribOpt(in, 3), contribOpt(in, 4), contribOpt(in, 5), contribOpt(in, 6)
	if word == nil || pos == nil || gamma == nil || beta == nil {
		return nil, fmt.Errorf("word_embedding, position_embedding, gamma and beta are required")
	}
	mask, posIDs := contribOpt(in, 7), contribOpt(in, 8)
	if !contribFloat(word.DType) {
		return nil, Unsupportedf("EmbedLayerNormalization of %s", word.DType)
	}
	if len(ids.Shape) != 2 || !ids.DType.IsInt() {
		return nil, fmt.Errorf("input_ids must be an integer [batch, sequence] tensor, got %s%v", ids.DType, ids.Shape)
	}
	B, S := int(ids.Shape[0]), int(ids.Shape[1])
	if len(word.Shape) != 2 || len(pos.Shape) != 2 || pos.Shape[1] != word.Shape[1] {
		return nil, fmt.Errorf("word_embedding %v and position_embedding %v must be [*, hidden]", word.Shape, pos.Shape)
	}
	H := int(word.Shape[1])
	if (segIDs == nil) != (seg == nil) {
		return nil, fmt.Errorf("segment_ids and segment_embedding must be given together")
	}
	if seg != nil && (len(seg.Shape) != 2 || int(seg.Shape[1]) != H || !rnnShapeIs(segIDs.Shape, B, S)) {
		return nil, fmt.Errorf("segment_embedding %v must be [*, %d] and segment_ids %v [%d, %d]", seg.Shape, H, segIDs.Shape, B, S)
	}
	if !rnnShapeIs(gamma.Shape, H) || !rnnShapeIs(beta.Shape, H) {
		return nil, fmt.Errorf("gamma %v and beta %v must be [%d]", gamma.Shape, beta.Shape, H)
	}
	if mask != nil && !rnnShapeIs(mask.Shape, B, S) {
		return nil, fmt.Errorf("mask must be [%d, %d], got %v", B, S, mask.Shape)
	}
	if posIDs != nil && !rnnShapeIs(posIDs.Shape, B, S) && !rnnShapeIs(posIDs.Shape, 1, S) {
		return nil, fmt.Errorf("position_ids must be [%d, %d] or [1, %d], got %v", B, S, S, posIDs.Shape)
	}
	wv, pv := F64s(word), F64s(pos)
	var sv []float64
	if seg != nil {
		sv = F64s(seg)
	}
	idv := ids.AsInt64s()
	var segv, posv []int64
	if segIDs != nil {
		segv = segIDs.AsInt64s()
	}
	if posIDs != nil {
		posv = posIDs.AsInt64s()
	}
	lookup := func(table []float64, rows int64, id int64, what string) ([]float64, error) {
		if id < 0 || id >= rows {
			return nil, fmt.Errorf("%s id %d is outside [0, %d)", what, id, rows)
		}
		return table[id*int64(H) : (id+1)*int64(H)], nil
	}
	shape := []int64{int64(B), int64(S), int64(H)}
	out0, err := signalNewTensor(ctx, word.DType, shape)
	if err != nil {
		return nil, err
	}
	v := make([]float64, B*S*H)
	for b := 0; b < B; b++ {
		for s := 0; s < S; s++ {
			i := b*S + s
			p := int64(s)
			if posv != nil {
				if len(posv) == S {
					p = posv[s]
				} else {
					p = posv[i]
				}
			}
			w, err := lookup(wv, word.Shape[0], idv[i], "word")
			if err != nil {
				return nil, err
			}
			pe, err := lookup(pv, pos.Shape[0], p, "position")
			if err != nil {
				return nil, err
			}
			row := v[i*H : (i+1)*H]
			for k := range row {
				row[k] = w[k] + pe[k]
			}
			if sv != nil {
				se, err := lookup(sv, seg.Shape[0], segv[i], "segment")
				if err != nil {
					return nil, err
				}
				for k := range row {
					row[k] += se[k]
				}
			}
		}
	}
	sum := append([]float64{}, v...)
	contribNormRows(v, H, F64s(gamma), F64s(beta), float64(n.AttrFloat("epsilon", 1e-12)), false)
	outs := make([]*ir.Tensor, len(n.Outputs))
	SetF64s(out0, v)
	outs[0] = out0
	if len(outs) > 1 && n.Outputs[1] != nil {
		mi := make([]float64, B)
		if mask != nil {
			mv := mask.AsInt64s()
			for b := 0; b < B; b++ {
				for s := 0; s < S; s++ {
					if mv[b*S+s] == 1 {
						mi[b]++
					}
				}
			}
		}
		if outs[1], err = contribNew(ctx, ir.Int32, []int64{int64(B)}, mi); err != nil {
			return nil, err
		}
	}
	if len(outs) > 2 && n.Outputs[2] != nil {
		if outs[2], err = contribNew(ctx, word.DType, shape, sum); err != nil {
			return nil, err
		}
	}
	return outs, nil
}

// contribMatMul multiplies a (shape as) by b (shape bs) with numpy matmul semantics (1-D
// operands promoted and their unit dim dropped, batch dims broadcast), accumulating in float64.
// The result buffer is allocated through ctx, so the memory cap applies to it.
func contribMatMul(ctx ir.EvalContext, a []float64, as []int64, b []float64, bs []int64) ([]float64, []int64, error) {
	if len(as) == 0 || len(bs) == 0 {
		return nil, nil, fmt.Errorf("matmul operands must have rank >= 1, got %v and %v", as, bs)
	}
	a2, b2 := as, bs
	if len(as) == 1 {
		a2 = []int64{1, as[0]}
	}
	if len(bs) == 1 {
		b2 = []int64{bs[0], 1}
	}
	M, K, K2, N := a2[len(a2)-2], a2[len(a2)-1], b2[len(b2)-2], b2[len(b2)-1]
	if K != K2 {
		return nil, nil, fmt.Errorf("matmul inner dims differ: %v x %v", as, bs)
	}
	batch, err := BroadcastShape(a2[:len(a2)-2], b2[:len(b2)-2])
	if err != nil {
		return nil, nil, err
	}
	full := append(append([]int64{}, batch...), M, N)
	buf, err := signalNewTensor(ctx, ir.Float64, full)
	if err != nil {
		return nil, nil, err
	}
	out := buf.Float64s()
	ai := BroadcastIndex(batch, a2[:len(a2)-2])
	bi := BroadcastIndex(batch, b2[:len(b2)-2])
	for p := range ai {
		A := a[ai[p]*int(M*K):]
		Bm := b[bi[p]*int(K*N):]
		C := out[p*int(M*N) : (p+1)*int(M*N)]
		for i := 0; i < int(M); i++ {
			row := C[i*int(N) : (i+1)*int(N)]
			for k := 0; k < int(K); k++ {
				av := A[i*int(K)+k]
				if av == 0 {
					continue
				}
				brow := Bm[k*int(N) : (k+1)*int(N)]
				for j, bv := range brow {
					row[j] += av * bv
				}
			}
		}
	}
	shape := append([]int64{}, batch...)
	if len(as) > 1 {
		shape = append(shape, M)
	}
	if len(bs) > 1 {
		shape = append(shape, N)
	}
	return out, shape, nil
}

// contribPermute transposes v (shape s) by perm.
func contribPermute(v []float64, s []int64, perm []int) ([]float64, []int64) {
	r := len(s)
	ns := make([]int64, r)
	for i, p := range perm {
		ns[i] = s[p]
	}
	st := Strides(s)
	out := make([]float64, len(v))
	idx := make([]int64, r)
	for k := range out {
		off := int64(0)
		for i := 0; i < r; i++ {
			off += idx[i] * st[perm[i]]
		}
		out[k] = v[off]
		for i := r - 1; i >= 0; i-- {
			idx[i]++
			if idx[i] < ns[i] {
				break
			}
			idx[i] = 0
		}
	}
	return out, ns
}

// contribFusedPrep applies FusedMatMul's operand transforms: transBatch moves dim 0 behind the
// other batch dims (perm 1, ..., r-2, 0, r-1), then trans swaps the last two dims.
func contribFusedPrep(v []float64, s []int64, transBatch, trans bool) ([]float64, []int64) {
	r := len(s)
	if r < 2 {
		return v, s
	}
	perm := make([]int, r)
	for i := range perm {
		perm[i] = i
	}
	if transBatch && r > 2 {
		for i := 0; i < r-2; i++ {
			perm[i] = i + 1
		}
		perm[r-2] = 0
	}
	if trans {
		perm[r-1], perm[r-2] = perm[r-2], perm[r-1]
	}
	return contribPermute(v, s, perm)
}

// evalFusedMatMul: Y = alpha * matmul(op(A), op(B)).
func evalFusedMatMul(ctx ir.EvalContext, n *ir.Node, in []*ir.Tensor) ([]*ir.Tensor, error) {
	a, b := in[0], in[1]
	if !contribFloat(a.DType) || b.DType != a.DType {
		return nil, Unsupportedf("FusedMatMul of %s and %s", a.DType, b.DType)
	}
	av, as := contribFusedPrep(F64s(a), a.Shape, n.AttrInt("transBatchA", 0) != 0, n.AttrInt("transA", 0) != 0)
	bv, bs := contribFusedPrep(F64s(b), b.Shape, n.AttrInt("transBatchB", 0) != 0, n.AttrInt("transB", 0) != 0)
	y, shape, err := contribMatMul(ctx, av, as, bv, bs)
	if err != nil {
		return nil, err
	}
	alpha := float64(n.AttrFloat("alpha", 1))
	for i := range y {
		y[i] *= alpha
	}
	out, err := contribNew(ctx, a.DType, shape, y)
	return []*ir.Tensor{out}, err
}

// contribPerColumn expands a scalar or per-column ([N]) parameter to N values (def when absent).
func contribPerColumn(t *ir.Tensor, N int64, def float64, what string) ([]float64, error) {
	out := make([]float64, N)
	if t == nil {
		for i := range out {
			out[i] = def
		}
		return out, nil
	}
	v := F64s(t)
	switch {
	case len(v) == 1 && len(t.Shape) <= 1:
		for i := range out {
			out[i] = v[0]
		}
	case len(t.Shape) == 1 && t.Shape[0] == N:
		copy(out, v)
	default:
		return nil, fmt.Errorf("%s must be a scalar or have shape [%d], got %v", what, N, t.Shape)
	}
	return out, nil
}

// contribQuantMatMul computes (A - a_zp)(B - b_zp[col]) * scale[col] + bias[col] with integer
// A and B values held in float64 (the products and sums are exact below 2^53).
func contribQuantMatMul(ctx ir.EvalContext, aq []float64, as []int64, azp float64, b *ir.Tensor, bzp, scale []float64, bias *ir.Tensor) ([]float64, []int64, error) {
	N := b.Shape[len(b.Shape)-1]
	bq := F64s(b)
	for i := range bq {
		bq[i] -= bzp[int64(i)%N]
	}
	for i := range aq {
		aq[i] -= azp
	}
	y, shape, err := contribMatMul(ctx, aq, as, bq, b.Shape)
	if err != nil {
		return nil, nil, err
	}
	var bv []float64
	if bias != nil {
		if len(bias.Shape) != 1 || bias.Shape[0] != N {
			return nil, nil, fmt.Errorf("bias must have shape [%d], got %v", N, bias.Shape)
		}
		bv = F64s(bias)
	}
	cols := int64(1)
	if len(b.Shape) > 1 {
		cols = N
	}
	for i := range y {
		c := int64(i) % cols
		y[i] *= scale[c]
		if bv != nil {
			y[i] += bv[c]
		}
	}
	return y, shape, nil
}

// contribInt8 reports whether t is an 8-bit integer tensor.
func contribInt8(t *ir.Tensor) bool { return t.DType == ir.Int8 || t.DType == ir.Uint8 }

// evalDynamicQuantizeMatMul quantizes A to uint8 as ONNX Runtime does (range widened to include
// 0, scale = (max-min)/255, zero point and values rounded half to even, in float32), then computes
// the integer product rescaled by a_scale * b_scale, plus bias.
func evalDynamicQuantizeMatMul(ctx ir.EvalContext, n *ir.Node, in []*ir.Tensor) ([]*ir.Tensor, error) {
	a, b, bScale, bZP, bias := in[0], in[1], in[2], contribOpt(in, 3), contribOpt(in, 4)
	if a.DType != ir.Float32 || bScale.DType != ir.Float32 || !contribInt8(b) || (bZP != nil && bZP.DType != b.DType) {
		return nil, fmt.Errorf("want float32 A and b_scale, int8/uint8 B and b_zero_point; got %s, %s, %s", a.DType, bScale.DType, b.DType)
	}
	if len(b.Shape) < 1 {
		return nil, fmt.Errorf("B must have rank >= 1")
	}
	N := b.Shape[len(b.Shape)-1]
	bs, err := contribPerColumn(bScale, N, 1, "b_scale")
	if err != nil {
		return nil, err
	}
	bzp, err := contribPerColumn(bZP, N, 0, "b_zero_point")
	if err != nil {
		return nil, err
	}
	av := a.Float32s()
	lo, hi := float32(0), float32(0)
	for _, x := range av {
		lo, hi = min(lo, x), max(hi, x)
	}
	scale := float32(1)
	if hi != lo {
		scale = (hi - lo) / 255
	}
	zp := float32(math.RoundToEven(float64(max(0, min(255, 0-lo/scale)))))
	aq := make([]float64, len(av))
	for i, x := range av {
		q := math.RoundToEven(float64(x/scale)) + float64(zp)
		aq[i] = math.Max(0, math.Min(255, q))
	}
	for i := range bs {
		bs[i] = float64(scale * float32(bs[i]))
	}
	if bias != nil && bias.DType != ir.Float32 {
		return nil, fmt.Errorf("bias must be float32, got %s", bias.DType)
	}
	y, shape, err := contribQuantMatMul(ctx, aq, a.Shape, float64(zp), b, bzp, bs, bias)
	if err != nil {
		return nil, err
	}
	out, err := contribNew(ctx, ir.Float32, shape, y)
	return []*ir.Tensor{out}, err
}

// evalMatMulIntegerToFloat: Y = (A - a_zero_point)(B - b_zero_point) * a_scale * b_scale + bias.
func evalMatMulIntegerToFloat(ctx ir.EvalContext, n *ir.Node, in []*ir.Tensor) ([]*ir.Tensor, error) {
	a, b, aScale, bScale := in[0], in[1], in[2], in[3]
	aZP, bZP, bias := contribOpt(in, 4), contribOpt(in, 5), contribOpt(in, 6)
	if !contribInt8(a) || !contribInt8(b) || !contribFloat(aScale.DType) || bScale.DType != aScale.DType {
		return nil, fmt.Errorf("want int8/uint8 A and B with float scales of one type; got %s, %s, %s, %s", a.DType, b.DType, aScale.DType, bScale.DType)
	}
	if (aZP != nil && aZP.DType != a.DType) || (bZP != nil && bZP.DType != b.DType) || (bias != nil && bias.DType != aScale.DType) {
		return nil, fmt.Errorf("zero points must have their operand's type and bias the scales' type")
	}
	if len(b.Shape) < 1 {
		return nil, fmt.Errorf("B must have rank >= 1")
	}
	N := b.Shape[len(b.Shape)-1]
	if aScale.Len() != 1 {
		return nil, fmt.Errorf("a_scale must be a scalar, got shape %v", aScale.Shape)
	}
	as := aScale.Float64At(0)
	azp := 0.0
	if aZP != nil {
		if aZP.Len() != 1 {
			return nil, fmt.Errorf("a_zero_point must be a scalar, got shape %v", aZP.Shape)
		}
		azp = aZP.Float64At(0)
	}
	bs, err := contribPerColumn(bScale, N, 1, "b_scale")
	if err != nil {
		return nil, err
	}
	bzp, err := contribPerColumn(bZP, N, 0, "b_zero_point")
	if err != nil {
		return nil, err
	}
	for i := range bs {
		bs[i] *= as
	}
	y, shape, err := contribQuantMatMul(ctx, F64s(a), a.Shape, azp, b, bzp, bs, bias)
	if err != nil {
		return nil, err
	}
	out, err := contribNew(ctx, aScale.DType, shape, y)
	return []*ir.Tensor{out}, err
}

// evalAttention implements com.microsoft::Attention as ONNX Runtime's CPU kernel does:
//
//	Q, K, V = input * weights + bias, split by qkv_hidden_sizes and into num_heads heads
//	K, V = concat(past, K/V) along the sequence (present = the result)
//	P = softmax(scale * Q K^T + mask + attention_bias) over keys, output = P V (heads concatenated)
//
// mask_index forms: [B, T] or [B, S, T] 0/1 key masks (0 adds mask_filter_value), [B, 1, M, M]
// (Megatron) 0/1 masks read at rows past..past+S-1 and columns 0..T-1, [B] end positions (right
// padding), [2B] end and start positions, and the dummy [1, 1] / [B, 1] (no mask). unidirectional hides keys after each query's position (the
// lowest float32 is added, so such keys get exactly zero weight).
func evalAttention(ctx ir.EvalContext, n *ir.Node, in []*ir.Tensor) ([]*ir.Tensor, error) {
	x, w := in[0], in[1]
	bias, maskT, past, attnBias, pastLenT := contribOpt(in, 2), contribOpt(in, 3), contribOpt(in, 4), contribOpt(in, 5), contribOpt(in, 6)
	if !contribFloat(x.DType) || w.DType != x.DType || (bias != nil && bias.DType != x.DType) {
		return nil, Unsupportedf("Attention of %s with %s weights", x.DType, w.DType)
	}
	if n.AttrInt("do_rotary", 0) != 0 {
		return nil, Unsupportedf("Attention with do_rotary")
	}
	heads := int(n.AttrInt("num_heads", 0))
	if heads <= 0 {
		return nil, fmt.Errorf("num_heads %d must be positive", heads)
	}
	if len(x.Shape) != 3 || len(w.Shape) != 2 || w.Shape[0] != x.Shape[2] {
		return nil, fmt.Errorf("input %v and weights %v must be [B, S, D] and [D, Q+K+V]", x.Shape, w.Shape)
	}
	B, S := int(x.Shape[0]), int(x.Shape[1])
	qkv := n.AttrInts("qkv_hidden_sizes", nil)
	if qkv == nil {
		if w.Shape[1]%3 != 0 {
			return nil, fmt.Errorf("weights dim 1 (%d) is not 3*hidden", w.Shape[1])
		}
		h := w.Shape[1] / 3
		qkv = []int64{h, h, h}
	}
	if len(qkv) != 3 || qkv[0] != qkv[1] || qkv[0]+qkv[1]+qkv[2] != w.Shape[1] || qkv[0]%int64(heads) != 0 || qkv[2]%int64(heads) != 0 || qkv[0] <= 0 || qkv[2] <= 0 {
		return nil, fmt.Errorf("qkv_hidden_sizes %v must be [h, h, v], sum to weights dim 1 (%d) and divide by num_heads %d", qkv, w.Shape[1], heads)
	}
	if bias != nil && (len(bias.Shape) != 1 || bias.Shape[0] != w.Shape[1]) {
		return nil, fmt.Errorf("bias must have shape [%d], got %v", w.Shape[1], bias.Shape)
	}
	qh, vh := int(qkv[0]), int(qkv[2])
	hs, vhs := qh/heads, vh/heads
	share := n.AttrInt("past_present_share_buffer", 0) != 0
	P := 0
	if past != nil {
		if len(past.Shape) != 5 || past.Shape[0] != 2 || int(past.Shape[1]) != B || int(past.Shape[2]) != heads || int(past.Shape[4]) != hs || hs != vhs {
			return nil, fmt.Errorf("past must be [2, %d, %d, past_seq, %d] (and Q, K, V heads of one size), got %v", B, heads, hs, past.Shape)
		}
		P = int(past.Shape[3])
		if share {
			if pastLenT == nil {
				return nil, fmt.Errorf("past_present_share_buffer needs past_sequence_length")
			}
			pl, err := signalScalarInt(pastLenT, "past_sequence_length")
			if err != nil {
				return nil, err
			}
			if pl < 0 || int(pl)+S > int(past.Shape[3]) {
				return nil, fmt.Errorf("past_sequence_length %d + sequence %d exceeds the buffer length %d", pl, S, past.Shape[3])
			}
			P = int(pl)
		}
	}
	T := P + S
	// projections: proj[b, s, :] = x[b, s, :] * W + bias
	proj, _, err := contribMatMul(ctx, F64s(x), x.Shape, F64s(w), w.Shape)
	if err != nil {
		return nil, err
	}
	width := int(w.Shape[1])
	if bias != nil {
		bv := F64s(bias)
		for i := range proj {
			proj[i] += bv[i%width]
		}
	}
	// keys and values of all T positions per (b, head): past first, then this step's
	keys := make([]float64, B*heads*T*hs)
	vals := make([]float64, B*heads*T*vhs)
	var pv []float64
	if past != nil {
		pv = F64s(past)
	}
	pastSeq := 0
	if past != nil {
		pastSeq = int(past.Shape[3])
	}
	for b := 0; b < B; b++ {
		for h := 0; h < heads; h++ {
			for t := 0; t < T; t++ {
				kd := keys[((b*heads+h)*T+t)*hs:][:hs]
				vd := vals[((b*heads+h)*T+t)*vhs:][:vhs]
				if t < P {
					copy(kd, pv[(((0*B+b)*heads+h)*pastSeq+t)*hs:][:hs])
					copy(vd, pv[(((1*B+b)*heads+h)*pastSeq+t)*hs:][:hs])
					continue
				}
				row := proj[(b*S+t-P)*width:]
				copy(kd, row[qh+h*hs:][:hs])
				copy(vd, row[2*qh+h*vhs:][:vhs])
			}
		}
	}
	// additive mask [B, S, T] from mask_index and unidirectional
	mask, err := attentionMask(maskT, B, S, P, T, float64(n.AttrFloat("mask_filter_value", -10000)), n.AttrInt("unidirectional", 0) != 0)
	if err != nil {
		return nil, err
	}
	var ab []float64
	var abIdx func(b, h, s, t int) int
	if attnBias != nil {
		as := attnBias.Shape
		if attnBias.DType != x.DType || len(as) != 4 || (as[0] != 1 && int(as[0]) != B) || (as[1] != 1 && int(as[1]) != heads) || int(as[2]) != S || int(as[3]) != T {
			return nil, fmt.Errorf("attention_bias must be [%d or 1, %d or 1, %d, %d], got %s%v", B, heads, S, T, attnBias.DType, as)
		}
		ab = F64s(attnBias)
		abIdx = func(b, h, s, t int) int {
			if as[0] == 1 {
				b = 0
			}
			if as[1] == 1 {
				h = 0
			}
			return ((b*int(as[1])+h)*S+s)*T + t
		}
	}
	scale := float64(n.AttrFloat("scale", 0))
	if scale == 0 {
		scale = 1 / math.Sqrt(float64(hs))
	}
	out := make([]float64, B*S*vh)
	scores := make([]float64, T)
	for b := 0; b < B; b++ {
		for h := 0; h < heads; h++ {
			for s := 0; s < S; s++ {
				q := proj[(b*S+s)*width+h*hs:][:hs]
				mx := math.Inf(-1)
				for t := 0; t < T; t++ {
					k := keys[((b*heads+h)*T+t)*hs:][:hs]
					var dot float64
					for i := range q {
						dot += q[i] * k[i]
					}
					v := dot * scale
					if mask != nil {
						v += mask[(b*S+s)*T+t]
					}
					if ab != nil {
						v += ab[abIdx(b, h, s, t)]
					}
					scores[t] = v
					mx = math.Max(mx, v)
				}
				var sum float64
				for t := range scores {
					scores[t] = math.Exp(scores[t] - mx)
					sum += scores[t]
				}
				o := out[(b*S+s)*vh+h*vhs:][:vhs]
				for t, p := range scores {
					p /= sum
					v := vals[((b*heads+h)*T+t)*vhs:][:vhs]
					for i := range o {
						o[i] += p * v[i]
					}
				}
			}
		}
	}
	outs := make([]*ir.Tensor, len(n.Outputs))
	if outs[0], err = contribNew(ctx, x.DType, []int64{int64(B), int64(S), int64(vh)}, out); err != nil {
		return nil, err
	}
	if len(outs) > 1 && n.Outputs[1] != nil {
		if hs != vhs {
			return nil, fmt.Errorf("present needs K and V heads of one size, got %d and %d", hs, vhs)
		}
		Tp := T
		if share && past != nil {
			Tp = pastSeq
		}
		pres := make([]float64, 2*B*heads*Tp*hs)
		if share && past != nil {
			copy(pres, pv)
		}
		for b := 0; b < B; b++ {
			for h := 0; h < heads; h++ {
				for t := 0; t < T; t++ {
					copy(pres[(((0*B+b)*heads+h)*Tp+t)*hs:][:hs], keys[((b*heads+h)*T+t)*hs:][:hs])
					copy(pres[(((1*B+b)*heads+h)*Tp+t)*hs:][:hs], vals[((b*heads+h)*T+t)*vhs:][:vhs])
				}
			}
		}
		if outs[1], err = contribNew(ctx, x.DType, []int64{2, int64(B), int64(heads), int64(Tp), int64(hs)}, pres); err != nil {
			return nil, err
		}
	}
	return outs, nil
}

// attentionMask builds the additive [B, S, T] mask of Attention (nil when there is none).
func attentionMask(m *ir.Tensor, B, S, P, T int, filter float64, causal bool) ([]float64, error) {
	if m == nil && !causal {
		return nil, nil
	}
	mask := make([]float64, B*S*T)
	if m != nil {
		if !m.DType.IsInt() && m.DType != ir.Bool {
			return nil, fmt.Errorf("mask_index must be an integer tensor, got %s", m.DType)
		}
		mv := m.AsInt64s()
		if m.DType == ir.Bool {
			for i := range mv {
				mv[i] = int64(m.Raw[i])
			}
		}
		set := func(b, s, t int, keep bool) {
			if !keep {
				mask[(b*S+s)*T+t] = filter
			}
		}
		switch sh := m.Shape; {
		case len(sh) == 2 && sh[1] == 1 && (sh[0] == 1 || int(sh[0]) == B) && T != 1:
			// ONNX Runtime's dummy mask ([1, 1] or [B, 1]): the same as no mask
		case len(sh) == 2 && int(sh[0]) == B && int(sh[1]) == T:
			for b := 0; b < B; b++ {
				for s := 0; s < S; s++ {
					for t := 0; t < T; t++ {
						set(b, s, t, mv[b*T+t] > 0)
					}
				}
			}
		case len(sh) == 3 && int(sh[0]) == B && int(sh[1]) == S && int(sh[2]) == T:
			for i, v := range mv {
				if v <= 0 {
					mask[i] = filter
				}
			}
		case len(sh) == 4 && int(sh[0]) == B && sh[1] == 1 && sh[2] == sh[3] && int(sh[2]) >= T:
			M := int(sh[2])
			for b := 0; b < B; b++ {
				for s := 0; s < S; s++ {
					for t := 0; t < T; t++ {
						set(b, s, t, mv[(b*M+P+s)*M+t] != 0)
					}
				}
			}
		case len(sh) == 1 && (int(sh[0]) == B || int(sh[0]) == 2*B):
			for b := 0; b < B; b++ {
				end := int(min(max(mv[b], 0), int64(T)))
				start := 0
				if int(sh[0]) == 2*B {
					start = int(min(max(mv[B+b], 0), int64(T)))
				}
				for s := 0; s < S; s++ {
					for t := 0; t < T; t++ {
						set(b, s, t, t < end && t >= start)
					}
				}
			}
		default:
			return nil, fmt.Errorf("mask_index shape %v is not [B], [2B], [B, T], [B, S, T] or [B, 1, M, M] for B=%d, S=%d, T=%d", sh, B, S, T)
		}
	}
	if causal {
		for b := 0; b < B; b++ {
			for s := 0; s < S; s++ {
				for t := P + s + 1; t < T; t++ {
					mask[(b*S+s)*T+t] = -math.MaxFloat32
				}
			}
		}
	}
	return mask, nil
}

// contribOpt returns optional input i, or nil when absent.
func contribOpt(in []*ir.Tensor, i int) *ir.Tensor {
	if i < len(in) {
		return in[i]
	}
	return nil
}

// fusedActivation returns ONNX Runtime's fused activation named by a FusedGemm/FusedConv node's
// "activation" attribute (with its activation_alpha/beta), or an error for one it does not know.
func fusedActivation(n *ir.Node) (func(float64) float64, error) {
	alpha, beta := float64(n.AttrFloat("activation_alpha", 0)), float64(n.AttrFloat("activation_beta", 0))
	switch act := n.AttrString("activation", ""); act {
	case "":
		return func(x float64) float64 { return x }, nil
	case "Relu":
		return func(x float64) float64 { return math.Max(x, 0) }, nil
	case "Tanh":
		return math.Tanh, nil
	case "Sigmoid":
		return func(x float64) float64 { return 1 / (1 + math.Exp(-x)) }, nil
	case "LeakyRelu":
		return func(x float64) float64 {
			if x < 0 {
				return alpha * x
			}
			return x
		}, nil
	case "HardSigmoid":
		return func(x float64) float64 { return math.Max(0, math.Min(1, alpha*x+beta)) }, nil
	default:
		return nil, Unsupportedf("fused activation %q", act)
	}
}

// evalFusedGemm: Gemm, then the activation elementwise.
func evalFusedGemm(ctx ir.EvalContext, n *ir.Node, in []*ir.Tensor) ([]*ir.Tensor, error) {
	f, err := fusedActivation(n)
	if err != nil {
		return nil, err
	}
	out, err := nnEvalGemm(ctx, n, in)
	if err != nil {
		return nil, err
	}
	y := out[0]
	if !contribFloat(y.DType) {
		return nil, Unsupportedf("FusedGemm of %s", y.DType)
	}
	v := F64s(y)
	for i := range v {
		v[i] = f(v[i])
	}
	SetF64s(y, v)
	return out, nil
}
