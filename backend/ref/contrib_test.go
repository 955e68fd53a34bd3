package ref

import (
	"errors"
	"math"
	"math/rand"
	"strings"
	"testing"

	"github.com/llmc/llmc/ir"
	"github.com/stretchr/testify/require"
)

// Each fused op is checked twice: against a direct loop written in the test, and against the
// decomposed standard-op graph that llmc's fusions replace (skipped while an op of that graph has
// no reference implementation yet).

const ctbTDomain = ir.MSDomain

// ctbTUnfused builds a graph with build, runs it and returns its first output's values, or nil
// (after logging why) when an op it uses is not available in the op table or interpreter.
func ctbTUnfused(t *testing.T, opset int64, build func(b *ir.Builder) *ir.Value) []float64 {
	t.Helper()
	b := ir.NewBuilder("unfused", map[string]int64{"": opset})
	b.Output(build(b))
	g, err := b.Graph()
	if err != nil && (strings.Contains(err.Error(), "unknown op") || strings.Contains(err.Error(), "not defined")) {
		t.Logf("unfused graph skipped: %v", err)
		return nil
	}
	require.NoError(t, err)
	res, err := Run(g, nil, Options{})
	if errors.Is(err, ErrUnsupported) {
		t.Logf("unfused graph skipped: %v", err)
		return nil
	}
	require.NoError(t, err)
	return F64s(res[0].(*ir.Tensor))
}

// ctbTNear checks want against got elementwise (skipping when want is nil).
func ctbTNear(t *testing.T, want []float64, got *ir.Tensor, tol float64) {
	t.Helper()
	if want == nil {
		return
	}
	rnnTClose(t, want, got, tol)
}

// ctbTAttention is a direct attention over explicit per-head matrices: x [B,S,D], w [D,3H],
// bias [3H], additive mask add[b][s][t], past keys/values pk/pv [B][N][P][hs].
func ctbTAttention(x, w, bias []float64, B, S, D, H, N int, add func(b, n, s, t int) float64, pk, pv [][][][]float64) []float64 {
	hs := H / N
	proj := func(b, s, col int) float64 {
		v := bias[col]
		for d := 0; d < D; d++ {
			v += x[(b*S+s)*D+d] * w[d*3*H+col]
		}
		return v
	}
	out := make([]float64, B*S*H)
	for b := 0; b < B; b++ {
		for n := 0; n < N; n++ {
			var K, V [][]float64
			if pk != nil {
				K = append(K, pk[b][n]...)
				V = append(V, pv[b][n]...)
			}
			for s := 0; s < S; s++ {
				k, v := make([]float64, hs), make([]float64, hs)
				for i := 0; i < hs; i++ {
					k[i] = proj(b, s, H+n*hs+i)
					v[i] = proj(b, s, 2*H+n*hs+i)
				}
				K, V = append(K, k), append(V, v)
			}
			T := len(K)
			for s := 0; s < S; s++ {
				logits := make([]float64, T)
				for t := 0; t < T; t++ {
					for i := 0; i < hs; i++ {
						logits[t] += proj(b, s, n*hs+i) * K[t][i]
					}
					logits[t] = logits[t]/math.Sqrt(float64(hs)) + add(b, n, s, t)
				}
				z := 0.0
				for _, l := range logits {
					z += math.Exp(l)
				}
				for t := 0; t < T; t++ {
					p := math.Exp(logits[t]) / z
					for i := 0; i < hs; i++ {
						out[(b*S+s)*H+n*hs+i] += p * V[t][i]
					}
				}
			}
		}
	}
	return out
}

func TestAttentionMatchesUnfused(t *testing.T) {
	r := rand.New(rand.NewSource(11))
	const B, S, D, H, N = 2, 3, 4, 4, 2
	x, w, bias := rnnTRand(r, B, S, D), rnnTRand(r, D, 3*H), rnnTRand(r, 3*H)
	mask := ir.FromInt32s([]int64{B, S}, []int32{1, 1, 1, 1, 1, 0})
	mv := mask.Int32s()
	nh := ir.AInt("num_heads", N)
	got := rnnTRun(t, ctbTDomain, "Attention", 1, 1, []*ir.Tensor{x, w, bias, mask}, nh)[0]
	require.Equal(t, []int64{B, S, H}, got.Shape)
	want := ctbTAttention(F64s(x), F64s(w), F64s(bias), B, S, D, H, N, func(b, n, s, t int) float64 {
		return float64(1-mv[b*S+t]) * -10000
	}, nil, nil)
	rnnTClose(t, want, got, 1e-5)

	// the BERT-export decomposition: per-projection MatMul + Add, Reshape, Transpose, MatMul,
	// Div by sqrt(head size), Add of (1 - mask) * -10000, Softmax, MatMul, Transpose, Reshape
	wv, bv := w.Float32s(), bias.Float32s()
	slice := func(off int) (*ir.Tensor, *ir.Tensor) {
		ws := make([]float32, D*H)
		for d := 0; d < D; d++ {
			copy(ws[d*H:(d+1)*H], wv[d*3*H+off:d*3*H+off+H])
		}
		return ir.FromFloat32s([]int64{D, H}, ws), ir.FromFloat32s([]int64{H}, bv[off:off+H])
	}
	unfused := ctbTUnfused(t, 17, func(b *ir.Builder) *ir.Value {
		xin := b.Const("x", x)
		shape4 := b.Const("s4", ir.FromInt64s([]int64{4}, []int64{B, S, N, H / N}))
		head := func(off int, perm ...int64) *ir.Value {
			wt, bt := slice(off)
			p := b.Op("Add", []*ir.Value{b.Op("MatMul", []*ir.Value{xin, b.Const("w", wt)}), b.Const("b", bt)})
			return b.Op("Transpose", []*ir.Value{b.Op("Reshape", []*ir.Value{p, shape4})}, ir.AInts("perm", perm...))
		}
		q, k, v := head(0, 0, 2, 1, 3), head(H, 0, 2, 3, 1), head(2*H, 0, 2, 1, 3)
		scores := b.Op("Div", []*ir.Value{b.Op("MatMul", []*ir.Value{q, k}), b.Const("sq", ir.ScalarFloat32(float32(math.Sqrt(H/N))))})
		m := b.Op("Cast", []*ir.Value{b.Const("m", ir.FromInt32s([]int64{B, 1, 1, S}, mv))}, ir.AInt("to", int64(ir.Float32)))
		add := b.Op("Mul", []*ir.Value{b.Op("Sub", []*ir.Value{b.Const("one", ir.ScalarFloat32(1)), m}), b.Const("neg", ir.ScalarFloat32(-10000))})
		p := b.Op("Softmax", []*ir.Value{b.Op("Add", []*ir.Value{scores, add})}, ir.AInt("axis", -1))
		ctx := b.Op("Transpose", []*ir.Value{b.Op("MatMul", []*ir.Value{p, v})}, ir.AInts("perm", 0, 2, 1, 3))
		return b.Op("Reshape", []*ir.Value{ctx, b.Const("s3", ir.FromInt64s([]int64{3}, []int64{B, S, H}))})
	})
	ctbTNear(t, unfused, got, 1e-5)

	// 1-D mask_index (right padding: valid lengths) is the same mask as above
	lens := ir.FromInt32s([]int64{B}, []int32{3, 2})
	rnnTClose(t, F64s(got), rnnTRun(t, ctbTDomain, "Attention", 1, 1, []*ir.Tensor{x, w, bias, lens}, nh)[0], 1e-9)
	// 3-D and 4-D 0/1 masks holding the same key mask
	m3 := make([]int32, B*S*S)
	m4 := make([]int32, B*5*5)
	for b := 0; b < B; b++ {
		for s := 0; s < S; s++ {
			for k := 0; k < S; k++ {
				m3[(b*S+s)*S+k] = mv[b*S+k]
				m4[(b*5+s)*5+k] = mv[b*S+k]
			}
		}
	}
	rnnTClose(t, F64s(got), rnnTRun(t, ctbTDomain, "Attention", 1, 1, []*ir.Tensor{x, w, bias, ir.FromInt32s([]int64{B, S, S}, m3)}, nh)[0], 1e-9)
	rnnTClose(t, F64s(got), rnnTRun(t, ctbTDomain, "Attention", 1, 1, []*ir.Tensor{x, w, bias, ir.FromInt32s([]int64{B, 1, 5, 5}, m4)}, nh)[0], 1e-9)
	// an additive attention_bias [1, N, S, T] adds to the masked scores of every batch
	ab := make([]float32, N*S*S)
	for i := range ab {
		ab[i] = float32(r.Float64())
	}
	withBias := rnnTRun(t, ctbTDomain, "Attention", 1, 1, []*ir.Tensor{x, w, bias, mask, nil, ir.FromFloat32s([]int64{1, N, S, S}, ab)}, nh)[0]
	want = ctbTAttention(F64s(x), F64s(w), F64s(bias), B, S, D, H, N, func(b, n, s, t int) float64 {
		return float64(1-mv[b*S+t])*-10000 + float64(ab[(n*S+s)*S+t])
	}, nil, nil)
	rnnTClose(t, want, withBias, 1e-5)
	require.Equal(t, []int64{B, S, H}, withBias.Shape)
}

func TestAttentionCausalWithPast(t *testing.T) {
	r := rand.New(rand.NewSource(12))
	const B, S, D, H, N, P = 1, 2, 3, 4, 2, 2
	hs := H / N
	x, w, bias := rnnTRand(r, B, S, D), rnnTRand(r, D, 3*H), rnnTRand(r, 3*H)
	past := rnnTRand(r, 2, B, N, P, int64(hs))
	pv := F64s(past)
	pk, pvv := make([][][][]float64, B), make([][][][]float64, B)
	for b := 0; b < B; b++ {
		pk[b], pvv[b] = make([][][]float64, N), make([][][]float64, N)
		for n := 0; n < N; n++ {
			for p := 0; p < P; p++ {
				pk[b][n] = append(pk[b][n], pv[(((0*B+b)*N+n)*P+p)*hs:][:hs])
				pvv[b][n] = append(pvv[b][n], pv[(((1*B+b)*N+n)*P+p)*hs:][:hs])
			}
		}
	}
	outs := rnnTRun(t, ctbTDomain, "Attention", 1, 2, []*ir.Tensor{x, w, bias, nil, past}, ir.AInt("num_heads", N), ir.AInt("unidirectional", 1))
	want := ctbTAttention(F64s(x), F64s(w), F64s(bias), B, S, D, H, N, func(b, n, s, t int) float64 {
		if t > P+s {
			return math.Inf(-1)
		}
		return 0
	}, pk, pvv)
	rnnTClose(t, want, outs[0], 1e-5)
	require.Equal(t, []int64{2, B, N, P + S, int64(hs)}, outs[1].Shape)
	pres := F64s(outs[1])
	// present starts with past and continues with this step's keys
	for n := 0; n < N; n++ {
		for p := 0; p < P; p++ {
			for i := 0; i < hs; i++ {
				require.Equal(t, pk[0][n][p][i], pres[((0*N+n)*(P+S)+p)*hs+i])
			}
		}
	}

	// symbolic inference
	b := ir.NewBuilder("t", map[string]int64{"": 17, ctbTDomain: 1})
	xv := b.Input("x", ir.TensorType(ir.Float32, ir.Shape{ir.Sym("batch"), ir.Sym("seq"), ir.D(D)}))
	o := b.OpD(ctbTDomain, "Attention", 2, []*ir.Value{xv, b.Const("w", w), b.Const("b", bias)}, ir.AInt("num_heads", N))
	require.Equal(t, "f32[batch,seq,4]", o[0].Type.String())
	require.Equal(t, "f32[2,batch,2,seq,2]", o[1].Type.String())
	_, err := rnnTTry(ctbTDomain, "Attention", 1, 1, []*ir.Tensor{x, w, bias}, ir.AInt("num_heads", 3))
	require.Error(t, err)
	_, err = rnnTTry(ctbTDomain, "Attention", 1, 1, []*ir.Tensor{x, w, bias, ir.FromInt32s([]int64{3}, []int32{1, 1, 1})}, ir.AInt("num_heads", N))
	require.ErrorContains(t, err, "mask_index")
}

// ctbTLayerNorm normalizes rows of width h with gamma and beta (beta may be nil).
func ctbTLayerNorm(v []float64, h int, gamma, beta []float64, eps float64) []float64 {
	out := make([]float64, len(v))
	for r := 0; r*h < len(v); r++ {
		row := v[r*h : (r+1)*h]
		mean, sq := 0.0, 0.0
		for _, x := range row {
			mean += x / float64(h)
		}
		for _, x := range row {
			sq += (x - mean) * (x - mean) / float64(h)
		}
		for i, x := range row {
			out[r*h+i] = (x-mean)/math.Sqrt(sq+eps)*gamma[i] + func() float64 {
				if beta == nil {
					return 0
				}
				return beta[i]
			}()
		}
	}
	return out
}

func TestSkipLayerNormMatchesUnfused(t *testing.T) {
	r := rand.New(rand.NewSource(13))
	const B, S, H = 2, 3, 5
	x, skip, gamma, beta, bias := rnnTRand(r, B, S, H), rnnTRand(r, B, S, H), rnnTRand(r, H), rnnTRand(r, H), rnnTRand(r, H)
	outs := rnnTRun(t, ctbTDomain, "SkipLayerNormalization", 1, 4, []*ir.Tensor{x, skip, gamma, beta, bias}, ir.AFloat("epsilon", 1e-5))
	xv, sv, bv := F64s(x), F64s(skip), F64s(bias)
	sum := make([]float64, len(xv))
	for i := range sum {
		sum[i] = xv[i] + sv[i] + bv[i%H]
	}
	rnnTClose(t, ctbTLayerNorm(sum, H, F64s(gamma), F64s(beta), 1e-5), outs[0], 1e-5)
	rnnTClose(t, sum, outs[3], 1e-6)
	require.Equal(t, []int64{B, S, 1}, outs[2].Shape)
	unfused := ctbTUnfused(t, 17, func(b *ir.Builder) *ir.Value {
		s := b.Op("Add", []*ir.Value{b.Op("Add", []*ir.Value{b.Const("x", x), b.Const("s", skip)}), b.Const("bias", bias)})
		return b.Op("LayerNormalization", []*ir.Value{s, b.Const("g", gamma), b.Const("b", beta)}, ir.AInt("axis", -1), ir.AFloat("epsilon", 1e-5))
	})
	ctbTNear(t, unfused, outs[0], 1e-5)

	// a [S, H] skip broadcasts over the batch; no beta, no bias
	skip2 := rnnTRand(r, S, H)
	got := rnnTRun(t, ctbTDomain, "SkipLayerNormalization", 1, 1, []*ir.Tensor{x, skip2, gamma})[0]
	s2 := F64s(skip2)
	for i := range sum {
		sum[i] = xv[i] + s2[i%(S*H)]
	}
	rnnTClose(t, ctbTLayerNorm(sum, H, F64s(gamma), nil, 1e-12), got, 1e-5)

	// RMS forms
	rms := func(v []float64, g []float64, eps float64) []float64 {
		out := make([]float64, len(v))
		for r := 0; r*H < len(v); r++ {
			ms := 0.0
			for _, x := range v[r*H : (r+1)*H] {
				ms += x * x / H
			}
			for i := 0; i < H; i++ {
				out[r*H+i] = v[r*H+i] / math.Sqrt(ms+eps) * g[i]
			}
		}
		return out
	}
	got = rnnTRun(t, "", "SimplifiedLayerNormalization", 17, 1, []*ir.Tensor{x, gamma})[0]
	rnnTClose(t, rms(xv, F64s(gamma), 1e-5), got, 1e-5)
	unfused = ctbTUnfused(t, 17, func(b *ir.Builder) *ir.Value {
		xi := b.Const("x", x)
		ms := b.Op("ReduceMean", []*ir.Value{b.Op("Mul", []*ir.Value{xi, xi})}, ir.AInts("axes", -1))
		den := b.Op("Sqrt", []*ir.Value{b.Op("Add", []*ir.Value{ms, b.Const("e", ir.ScalarFloat32(1e-5))})})
		return b.Op("Mul", []*ir.Value{b.Op("Div", []*ir.Value{xi, den}), b.Const("g", gamma)})
	})
	ctbTNear(t, unfused, got, 1e-5)
	got = rnnTRun(t, ctbTDomain, "SkipSimplifiedLayerNormalization", 1, 1, []*ir.Tensor{x, skip, gamma}, ir.AFloat("epsilon", 1e-6))[0]
	for i := range sum {
		sum[i] = xv[i] + sv[i]
	}
	rnnTClose(t, rms(sum, F64s(gamma), 1e-6), got, 1e-5)

	_, err := rnnTTry(ctbTDomain, "SkipLayerNormalization", 1, 1, []*ir.Tensor{x, skip, rnnTRand(r, H+1)})
	require.ErrorContains(t, err, "gamma")
	_, err = rnnTTry(ctbTDomain, "SkipLayerNormalization", 1, 1, []*ir.Tensor{x, rnnTRand(r, 2, H), gamma})
	require.ErrorContains(t, err, "skip")
}

func TestEmbedLayerNormMatchesUnfused(t *testing.T) {
	r := rand.New(rand.NewSource(14))
	const B, S, H, V = 2, 3, 4, 7
	ids := ir.FromInt32s([]int64{B, S}, []int32{1, 6, 3, 0, 2, 2})
	segs := ir.FromInt32s([]int64{B, S}, []int32{0, 0, 1, 1, 1, 0})
	mask := ir.FromInt32s([]int64{B, S}, []int32{1, 1, 0, 1, 1, 1})
	word, pos, seg, gamma, beta := rnnTRand(r, V, H), rnnTRand(r, 5, H), rnnTRand(r, 2, H), rnnTRand(r, H), rnnTRand(r, H)
	outs := rnnTRun(t, ctbTDomain, "EmbedLayerNormalization", 1, 3, []*ir.Tensor{ids, segs, word, pos, seg, gamma, beta, mask}, ir.AFloat("epsilon", 1e-5))
	wv, pv, sv := F64s(word), F64s(pos), F64s(seg)
	sum := make([]float64, B*S*H)
	for b := 0; b < B; b++ {
		for s := 0; s < S; s++ {
			id, sg := ids.Int32s()[b*S+s], segs.Int32s()[b*S+s]
			for k := 0; k < H; k++ {
				sum[(b*S+s)*H+k] = wv[int(id)*H+k] + pv[s*H+k] + sv[int(sg)*H+k]
			}
		}
	}
	rnnTClose(t, ctbTLayerNorm(sum, H, F64s(gamma), F64s(beta), 1e-5), outs[0], 1e-5)
	require.Equal(t, ir.Int32, outs[1].DType)
	require.Equal(t, []int32{2, 3}, outs[1].Int32s())
	rnnTClose(t, sum, outs[2], 1e-6)
	unfused := ctbTUnfused(t, 17, func(b *ir.Builder) *ir.Value {
		g := func(table, idx *ir.Tensor) *ir.Value {
			return b.Op("Gather", []*ir.Value{b.Const("t", table), b.Const("i", idx)})
		}
		e := b.Op("Add", []*ir.Value{b.Op("Add", []*ir.Value{g(word, ids), g(pos, ir.FromInt64s([]int64{1, S}, []int64{0, 1, 2}))}), g(seg, segs)})
		return b.Op("LayerNormalization", []*ir.Value{e, b.Const("g", gamma), b.Const("b", beta)}, ir.AFloat("epsilon", 1e-5))
	})
	ctbTNear(t, unfused, outs[0], 1e-5)

	// explicit position_ids [1, S] reversing the positions; no segment inputs; no mask (index 0)
	pids := ir.FromInt32s([]int64{1, S}, []int32{2, 1, 0})
	o2 := rnnTRun(t, ctbTDomain, "EmbedLayerNormalization", 1, 2, []*ir.Tensor{ids, nil, word, pos, nil, gamma, beta, nil, pids})
	for b := 0; b < B; b++ {
		for s := 0; s < S; s++ {
			for k := 0; k < H; k++ {
				sum[(b*S+s)*H+k] = wv[int(ids.Int32s()[b*S+s])*H+k] + pv[(S-1-s)*H+k]
			}
		}
	}
	rnnTClose(t, ctbTLayerNorm(sum, H, F64s(gamma), F64s(beta), 1e-12), o2[0], 1e-5)
	require.Equal(t, []int32{0, 0}, o2[1].Int32s())

	bb := ir.NewBuilder("t", map[string]int64{"": 17, ctbTDomain: 1})
	iv := bb.Input("ids", ir.TensorType(ir.Int32, ir.Shape{ir.Sym("batch"), ir.Sym("seq")}))
	o := bb.OpD(ctbTDomain, "EmbedLayerNormalization", 2, []*ir.Value{iv, nil, bb.Const("w", word), bb.Const("p", pos), nil, bb.Const("g", gamma), bb.Const("b", beta)})
	require.Equal(t, "f32[batch,seq,4]", o[0].Type.String())
	require.Equal(t, "i32[batch]", o[1].Type.String())
	_, err := rnnTTry(ctbTDomain, "EmbedLayerNormalization", 1, 2, []*ir.Tensor{ir.FromInt32s([]int64{1, 1}, []int32{V}), nil, word, pos, nil, gamma, beta})
	require.ErrorContains(t, err, "word id")
}

func TestGeluFamilyMatchesFormulas(t *testing.T) {
	r := rand.New(rand.NewSource(15))
	x, bias := rnnTRand(r, 2, 3, 4), rnnTRand(r, 4)
	for i, v := range x.Float32s() {
		x.Float32s()[i] = v * 4 // cover the tails too
	}
	xv, bv := F64s(x), F64s(bias)
	n := len(xv)
	erfGelu, tanhGelu, biasErf, biasTanh, quick := make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n)
	for i, v := range xv {
		erfGelu[i] = v * (1 + math.Erf(v/math.Sqrt(2))) / 2
		c := math.Sqrt(2 / math.Pi)
		tanhGelu[i] = v * (1 + math.Tanh(c*v+c*0.044715*v*v*v)) / 2
		u := v + bv[i%4]
		biasErf[i] = u * (1 + math.Erf(u/math.Sqrt(2))) / 2
		biasTanh[i] = u * (1 + math.Tanh(c*u+c*0.044715*u*u*u)) / 2
		quick[i] = v / (1 + math.Exp(-1.5*v))
	}
	rnnTClose(t, erfGelu, rnnTRun(t, ctbTDomain, "Gelu", 1, 1, []*ir.Tensor{x})[0], 1e-6)
	rnnTClose(t, tanhGelu, rnnTRun(t, ctbTDomain, "FastGelu", 1, 1, []*ir.Tensor{x})[0], 1e-6)
	rnnTClose(t, biasTanh, rnnTRun(t, ctbTDomain, "FastGelu", 1, 1, []*ir.Tensor{x, bias})[0], 1e-6)
	got := rnnTRun(t, ctbTDomain, "BiasGelu", 1, 1, []*ir.Tensor{x, bias})[0]
	rnnTClose(t, biasErf, got, 1e-6)
	rnnTClose(t, quick, rnnTRun(t, ctbTDomain, "QuickGelu", 1, 1, []*ir.Tensor{x}, ir.AFloat("alpha", 1.5))[0], 1e-6)
	unfused := ctbTUnfused(t, 17, func(b *ir.Builder) *ir.Value {
		u := b.Op("Add", []*ir.Value{b.Const("x", x), b.Const("b", bias)})
		e := b.Op("Erf", []*ir.Value{b.Op("Div", []*ir.Value{u, b.Const("r2", ir.ScalarFloat32(float32(math.Sqrt2)))})})
		h := b.Op("Mul", []*ir.Value{u, b.Op("Add", []*ir.Value{e, b.Const("one", ir.ScalarFloat32(1))})})
		return b.Op("Mul", []*ir.Value{h, b.Const("half", ir.ScalarFloat32(0.5))})
	})
	ctbTNear(t, unfused, got, 1e-5)
	// BiasAdd
	skip := rnnTRand(r, 2, 3, 4)
	ba := rnnTRun(t, ctbTDomain, "BiasAdd", 1, 1, []*ir.Tensor{x, bias, skip})[0]
	want := make([]float64, n)
	for i := range want {
		want[i] = xv[i] + bv[i%4] + F64s(skip)[i]
	}
	rnnTClose(t, want, ba, 1e-6)
	_, err := rnnTTry(ctbTDomain, "BiasGelu", 1, 1, []*ir.Tensor{x, rnnTRand(r, 3)})
	require.Error(t, err)
}

// ctbTMatMul is a naive [M,K]x[K,N] product.
func ctbTMatMul(a, b []float64, M, K, N int) []float64 {
	out := make([]float64, M*N)
	for i := 0; i < M; i++ {
		for j := 0; j < N; j++ {
			for k := 0; k < K; k++ {
				out[i*N+j] += a[i*K+k] * b[k*N+j]
			}
		}
	}
	return out
}

func TestFusedMatMulMatchesUnfused(t *testing.T) {
	r := rand.New(rand.NewSource(16))
	// A is [K=3, M=2] (transA), B is [N=4, K=3] (transB)
	a, b := rnnTRand(r, 3, 2), rnnTRand(r, 4, 3)
	got := rnnTRun(t, ctbTDomain, "FusedMatMul", 1, 1, []*ir.Tensor{a, b}, ir.AInt("transA", 1), ir.AInt("transB", 1), ir.AFloat("alpha", 0.5))[0]
	av, bv := F64s(a), F64s(b)
	at, bt := make([]float64, 6), make([]float64, 12)
	for i := 0; i < 2; i++ {
		for k := 0; k < 3; k++ {
			at[i*3+k] = av[k*2+i]
		}
	}
	for k := 0; k < 3; k++ {
		for j := 0; j < 4; j++ {
			bt[k*4+j] = bv[j*3+k]
		}
	}
	want := ctbTMatMul(at, bt, 2, 3, 4)
	for i := range want {
		want[i] *= 0.5
	}
	require.Equal(t, []int64{2, 4}, got.Shape)
	rnnTClose(t, want, got, 1e-6)
	unfused := ctbTUnfused(t, 17, func(bl *ir.Builder) *ir.Value {
		ta := bl.Op("Transpose", []*ir.Value{bl.Const("a", a)}, ir.AInts("perm", 1, 0))
		tb := bl.Op("Transpose", []*ir.Value{bl.Const("b", b)}, ir.AInts("perm", 1, 0))
		return bl.Op("Mul", []*ir.Value{bl.Op("MatMul", []*ir.Value{ta, tb}), bl.Const("al", ir.ScalarFloat32(0.5))})
	})
	ctbTNear(t, unfused, got, 1e-6)

	// transBatchA: A [M=2, batch=3, K=4] is used as [3, 2, 4]; B [3, 4, 5] batched
	a3, b3 := rnnTRand(r, 2, 3, 4), rnnTRand(r, 3, 4, 5)
	got = rnnTRun(t, ctbTDomain, "FusedMatMul", 1, 1, []*ir.Tensor{a3, b3}, ir.AInt("transBatchA", 1))[0]
	require.Equal(t, []int64{3, 2, 5}, got.Shape)
	a3v, b3v := F64s(a3), F64s(b3)
	want = nil
	for p := 0; p < 3; p++ {
		ap := make([]float64, 8)
		for m := 0; m < 2; m++ {
			copy(ap[m*4:(m+1)*4], a3v[(m*3+p)*4:(m*3+p+1)*4])
		}
		want = append(want, ctbTMatMul(ap, b3v[p*20:(p+1)*20], 2, 4, 5)...)
	}
	rnnTClose(t, want, got, 1e-6)

	bb := ir.NewBuilder("t", map[string]int64{"": 17, ctbTDomain: 1})
	av2 := bb.Input("a", ir.TensorType(ir.Float32, ir.Shape{ir.Sym("batch"), ir.Sym("seq"), ir.D(8)}))
	o := bb.OpD(ctbTDomain, "FusedMatMul", 1, []*ir.Value{av2, bb.Const("w", rnnTRand(r, 6, 8))}, ir.AInt("transB", 1))
	require.Equal(t, "f32[batch,seq,6]", o[0].Type.String())
	_, err := rnnTTry(ctbTDomain, "FusedMatMul", 1, 1, []*ir.Tensor{a, b})
	require.ErrorContains(t, err, "inner dims")
}

func TestQuantizedMatMulsMatchUnfused(t *testing.T) {
	r := rand.New(rand.NewSource(17))
	const M, K, N = 3, 4, 2
	a := rnnTRand(r, M, K)
	a.Float32s()[0] = 1.5 // max; min is below zero
	bq := ir.MustTensor(ir.Int8, K, N)
	for i := range bq.Int8s() {
		bq.Int8s()[i] = int8(r.Intn(255) - 127)
	}
	bScale := ir.FromFloat32s([]int64{N}, []float32{0.02, 0.05})
	bZP := ir.MustTensor(ir.Int8, N)
	bZP.Int8s()[0], bZP.Int8s()[1] = 3, -2
	bias := ir.FromFloat32s([]int64{N}, []float32{0.25, -1})
	got := rnnTRun(t, ctbTDomain, "DynamicQuantizeMatMul", 1, 1, []*ir.Tensor{a, bq, bScale, bZP, bias})[0]

	// dynamic quantization of A to uint8 by hand (float32 arithmetic, as ONNX Runtime does)
	lo, hi := float32(0), float32(0)
	for _, v := range a.Float32s() {
		lo, hi = float32(math.Min(float64(lo), float64(v))), float32(math.Max(float64(hi), float64(v)))
	}
	sa := (hi - lo) / 255
	zp := math.RoundToEven(float64(-lo / sa))
	want := make([]float64, M*N)
	for i := 0; i < M; i++ {
		for j := 0; j < N; j++ {
			acc := 0.0
			for k := 0; k < K; k++ {
				q := math.Min(255, math.Max(0, math.RoundToEven(float64(a.Float32s()[i*K+k]/sa))+zp))
				acc += (q - zp) * float64(int(bq.Int8s()[k*N+j])-int(bZP.Int8s()[j]))
			}
			want[i*N+j] = acc*float64(sa*bScale.Float32s()[j]) + float64(bias.Float32s()[j])
		}
	}
	rnnTClose(t, want, got, 1e-5)
	// and it approximates the float product of A with dequantized B
	approx := make([]float64, M*N)
	for i := 0; i < M; i++ {
		for j := 0; j < N; j++ {
			for k := 0; k < K; k++ {
				approx[i*N+j] += float64(a.Float32s()[i*K+k]) * float64(int(bq.Int8s()[k*N+j])-int(bZP.Int8s()[j])) * float64(bScale.Float32s()[j])
			}
			approx[i*N+j] += float64(bias.Float32s()[j])
		}
	}
	rnnTClose(t, approx, got, 0.05)
	// ONNX Runtime's unfused pattern: DynamicQuantizeLinear, MatMulInteger, Cast, Mul by a_scale * b_scale, Add bias
	unfused := ctbTUnfused(t, 17, func(b *ir.Builder) *ir.Value {
		q := b.OpN("DynamicQuantizeLinear", 3, []*ir.Value{b.Const("a", a)})
		bu := ir.MustTensor(ir.Int8, K, N)
		copy(bu.Int8s(), bq.Int8s())
		mi := b.Op("MatMulInteger", []*ir.Value{q[0], b.Const("b", bu), q[2], b.Const("bz", bZP)})
		f := b.Op("Cast", []*ir.Value{mi}, ir.AInt("to", int64(ir.Float32)))
		s := b.Op("Mul", []*ir.Value{q[1], b.Const("bs", bScale)})
		return b.Op("Add", []*ir.Value{b.Op("Mul", []*ir.Value{f, s}), b.Const("bias", bias)})
	})
	ctbTNear(t, unfused, got, 1e-5)

	// MatMulIntegerToFloat with uint8 A, zero points and a per-column B scale
	au := ir.MustTensor(ir.Uint8, M, K)
	for i := range au.Raw {
		au.Raw[i] = byte(r.Intn(256))
	}
	aScale, aZP := ir.ScalarFloat32(0.1), ir.MustTensor(ir.Uint8)
	aZP.Raw[0] = 128
	got = rnnTRun(t, ctbTDomain, "MatMulIntegerToFloat", 1, 1, []*ir.Tensor{au, bq, aScale, bScale, aZP, bZP, bias})[0]
	for i := 0; i < M; i++ {
		for j := 0; j < N; j++ {
			acc := 0
			for k := 0; k < K; k++ {
				acc += (int(au.Raw[i*K+k]) - 128) * (int(bq.Int8s()[k*N+j]) - int(bZP.Int8s()[j]))
			}
			want[i*N+j] = float64(acc)*0.1*float64(bScale.Float32s()[j]) + float64(bias.Float32s()[j])
		}
	}
	rnnTClose(t, want, got, 1e-5)
	_, err := rnnTTry(ctbTDomain, "MatMulIntegerToFloat", 1, 1, []*ir.Tensor{au, bq, aScale, ir.FromFloat32s([]int64{3}, []float32{1, 2, 3})})
	require.ErrorContains(t, err, "b_scale")
}

// TestAttentionQKVHiddenSizes: with zero Q and K projections every key gets the same weight, so
// each output row is the mean of the value rows (V may be wider than Q and K).
func TestAttentionQKVHiddenSizes(t *testing.T) {
	r := rand.New(rand.NewSource(18))
	const B, S, D, N = 1, 3, 2, 2
	qkv := []int64{4, 4, 6}
	w := rnnTRand(r, D, 14)
	bias := rnnTRand(r, 14)
	for d := 0; d < D; d++ {
		for c := 0; c < 8; c++ {
			w.Float32s()[d*14+c] = 0
		}
	}
	x := rnnTRand(r, B, S, D)
	got := rnnTRun(t, ctbTDomain, "Attention", 1, 1, []*ir.Tensor{x, w, bias}, ir.AInt("num_heads", N), ir.AInts("qkv_hidden_sizes", qkv...))[0]
	require.Equal(t, []int64{B, S, 6}, got.Shape)
	xv, wv, bv := F64s(x), F64s(w), F64s(bias)
	mean := make([]float64, 6)
	for s := 0; s < S; s++ {
		for c := 0; c < 6; c++ {
			v := bv[8+c]
			for d := 0; d < D; d++ {
				v += xv[s*D+d] * wv[d*14+8+c]
			}
			mean[c] += v / S
		}
	}
	var want []float64
	for s := 0; s < S; s++ {
		want = append(want, mean...)
	}
	rnnTClose(t, want, got, 1e-6)
	_, err := rnnTTry(ctbTDomain, "Attention", 1, 1, []*ir.Tensor{x, w, bias}, ir.AInt("num_heads", N), ir.AInts("qkv_hidden_sizes", 4, 4, 4))
	require.Error(t, err)
}

// TestContribHalfPrecision: float16 and bfloat16 inputs compute in float64 and round once.
func TestContribHalfPrecision(t *testing.T) {
	vals := []float64{-2, -0.5, 0, 0.75, 3}
	for _, dt := range []ir.DType{ir.Float16, ir.BFloat16} {
		x := ir.MustTensor(dt, 5)
		SetF64s(x, vals)
		got := rnnTRun(t, ctbTDomain, "FastGelu", 1, 1, []*ir.Tensor{x})[0]
		require.Equal(t, dt, got.DType)
		want := make([]float64, 5)
		for i, v := range vals {
			want[i] = v * (1 + math.Tanh(math.Sqrt(2/math.Pi)*(v+0.044715*v*v*v))) / 2
		}
		rnnTClose(t, want, got, 0.02)
	}
}
