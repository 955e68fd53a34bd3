package ref

import (
	"fmt"
	"math"
	"math/rand"
	"strconv"
	"strings"

	"github.com/llmc/llmc/ir"
)

// Evaluation of the training optimizers (Adagrad, Momentum, Adam), random generators, string ops
// (StringNormalizer, TfIdfVectorizer) and the losses (NegativeLogLikelihoodLoss,
// SoftmaxCrossEntropyLoss). Arithmetic is done in float64 and rounded once to the output type.

const miscTrainingDomain = "ai.onnx.preview.training"

func init() {
	SetEval(miscTrainingDomain, "Adagrad", evalAdagrad)
	SetEval(miscTrainingDomain, "Momentum", evalMomentum)
	SetEval(miscTrainingDomain, "Adam", evalAdam)

	SetEval("", "RandomUniform", evalRandomUniform)
	SetEval("", "RandomNormal", evalRandomNormal)
	SetEval("", "RandomUniformLike", evalRandomUniformLike)
	SetEval("", "RandomNormalLike", evalRandomNormalLike)
	SetEval("", "Bernoulli", evalBernoulli)
	SetEval("", "Multinomial", evalMultinomial)

	SetEval("", "StringNormalizer", evalStringNormalizer)
	SetEval("", "TfIdfVectorizer", evalTfIdfVectorizer)

	SetEval("", "NegativeLogLikelihoodLoss", evalNLLLoss)
	SetEval("", "SoftmaxCrossEntropyLoss", evalSoftmaxCrossEntropyLoss)
}

// miscIsFloat reports whether the interpreter computes dt as a real float (through float64).
func miscIsFloat(dt ir.DType) bool {
	switch dt {
	case ir.Float16, ir.Float32, ir.Float64, ir.BFloat16:
		return true
	}
	return false
}

// miscScalarF64 reads a single-element float tensor.
func miscScalarF64(t *ir.Tensor, what string) (float64, error) {
	if t == nil {
		return 0, fmt.Errorf("%s is missing", what)
	}
	if !miscIsFloat(t.DType) || t.Len() != 1 {
		return 0, fmt.Errorf("%s must be a single float, got %s%v", what, t.DType, t.Shape)
	}
	return t.Float64At(0), nil
}

// miscOptimizerArgs splits an optimizer's inputs R, T, then groups of n tensors, checking that
// every tensor of every group has X's dtype and shape.
func miscOptimizerArgs(in []*ir.Tensor, groups int) (r float64, t int64, n int, err error) {
	rest := len(in) - 2
	if rest <= 0 || rest%groups != 0 {
		return 0, 0, 0, fmt.Errorf("want 2 + %d*n inputs, got %d", groups, len(in))
	}
	n = rest / groups
	if r, err = miscScalarF64(in[0], "R"); err != nil {
		return
	}
	if in[1] == nil || in[1].DType != ir.Int64 || in[1].Len() != 1 {
		return 0, 0, 0, fmt.Errorf("T must be a single int64")
	}
	t = in[1].Int64At(0)
	for i := 0; i < n; i++ {
		x := in[2+i]
		if x == nil || !miscIsFloat(x.DType) {
			return 0, 0, 0, fmt.Errorf("X%d must be a float tensor", i)
		}
		for g := 1; g < groups; g++ {
			y := in[2+g*n+i]
			if y == nil || y.DType != x.DType || !miscSameShape(y.Shape, x.Shape) {
				return 0, 0, 0, fmt.Errorf("input %d must be a %s%v tensor like X%d", 2+g*n+i, x.DType, x.Shape, i)
			}
		}
	}
	return r, t, n, nil
}

func miscSameShape(a, b []int64) bool {
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

// miscNewLike allocates an output with x's dtype and shape and stores vals in it.
func miscNewLike(ctx ir.EvalContext, x *ir.Tensor, vals []float64) (*ir.Tensor, error) {
	out, err := ctx.NewTensor(x.DType, x.Shape)
	if err != nil {
		return nil, err
	}
	SetF64s(out, vals)
	return out, nil
}

// evalAdagrad: r = R/(1+T*decay); g = norm*X + G; H' = H + g^2; X' = X - r*g/(sqrt(H')+eps).
func evalAdagrad(ctx ir.EvalContext, n *ir.Node, in []*ir.Tensor) ([]*ir.Tensor, error) {
	R, T, cnt, err := miscOptimizerArgs(in, 3)
	if err != nil {
		return nil, err
	}
	decay := float64(n.AttrFloat("decay_factor", 0))
	eps := float64(n.AttrFloat("epsilon", 1e-6))
	norm := float64(n.AttrFloat("norm_coefficient", 0))
	r := R / (1 + float64(T)*decay)
	outs := make([]*ir.Tensor, 2*cnt)
	for i := 0; i < cnt; i++ {
		x, g, h := F64s(in[2+i]), F64s(in[2+cnt+i]), F64s(in[2+2*cnt+i])
		xn, hn := make([]float64, len(x)), make([]float64, len(x))
		for k := range x {
			gr := norm*x[k] + g[k]
			hn[k] = h[k] + gr*gr
			xn[k] = x[k] - r*gr/(math.Sqrt(hn[k])+eps)
		}
		if outs[i], err = miscNewLike(ctx, in[2+i], xn); err != nil {
			return nil, err
		}
		if outs[cnt+i], err = miscNewLike(ctx, in[2+i], hn); err != nil {
			return nil, err
		}
	}
	return outs[:min(len(outs), len(n.Outputs))], nil
}

// evalMomentum: g = norm*X + G; V' = alpha*V + (T>0 ? beta : 1)*g; X' = X - R*V' (standard) or
// X - R*(g + alpha*V') (nesterov).
func evalMomentum(ctx ir.EvalContext, n *ir.Node, in []*ir.Tensor) ([]*ir.Tensor, error) {
	R, T, cnt, err := miscOptimizerArgs(in, 3)
	if err != nil {
		return nil, err
	}
	alpha := float64(n.AttrFloat("alpha", 0))
	beta := float64(n.AttrFloat("beta", 0))
	norm := float64(n.AttrFloat("norm_coefficient", 0))
	mode := n.AttrString("mode", "")
	if mode != "standard" && mode != "nesterov" {
		return nil, fmt.Errorf("mode must be standard or nesterov, got %q", mode)
	}
	if T <= 0 {
		beta = 1
	}
	outs := make([]*ir.Tensor, 2*cnt)
	for i := 0; i < cnt; i++ {
		x, g, v := F64s(in[2+i]), F64s(in[2+cnt+i]), F64s(in[2+2*cnt+i])
		xn, vn := make([]float64, len(x)), make([]float64, len(x))
		for k := range x {
			gr := norm*x[k] + g[k]
			vn[k] = alpha*v[k] + beta*gr
			if mode == "nesterov" {
				xn[k] = x[k] - R*(gr+alpha*vn[k])
			} else {
				xn[k] = x[k] - R*vn[k]
			}
		}
		if outs[i], err = miscNewLike(ctx, in[2+i], xn); err != nil {
			return nil, err
		}
		if outs[cnt+i], err = miscNewLike(ctx, in[2+i], vn); err != nil {
			return nil, err
		}
	}
	return outs[:min(len(outs), len(n.Outputs))], nil
}

// evalAdam: g = norm*X + G; V' = a*V + (1-a)*g; H' = b*H + (1-b)*g^2;
// R' = T>0 ? R*sqrt(1-b^T)/(1-a^T) : R; X' = (1-norm_post)*(X - R'*V'/(sqrt(H')+eps)).
func evalAdam(ctx ir.EvalContext, n *ir.Node, in []*ir.Tensor) ([]*ir.Tensor, error) {
	R, T, cnt, err := miscOptimizerArgs(in, 4)
	if err != nil {
		return nil, err
	}
	a := float64(n.AttrFloat("alpha", 0.9))
	b := float64(n.AttrFloat("beta", 0.999))
	eps := float64(n.AttrFloat("epsilon", 1e-6))
	norm := float64(n.AttrFloat("norm_coefficient", 0))
	post := float64(n.AttrFloat("norm_coefficient_post", 0))
	rAdj := R
	if T > 0 {
		rAdj = R * math.Sqrt(1-math.Pow(b, float64(T))) / (1 - math.Pow(a, float64(T)))
	}
	outs := make([]*ir.Tensor, 3*cnt)
	for i := 0; i < cnt; i++ {
		x, g := F64s(in[2+i]), F64s(in[2+cnt+i])
		v, h := F64s(in[2+2*cnt+i]), F64s(in[2+3*cnt+i])
		xn, vn, hn := make([]float64, len(x)), make([]float64, len(x)), make([]float64, len(x))
		for k := range x {
			gr := norm*x[k] + g[k]
			vn[k] = a*v[k] + (1-a)*gr
			hn[k] = b*h[k] + (1-b)*gr*gr
			xn[k] = (1 - post) * (x[k] - rAdj*vn[k]/(math.Sqrt(hn[k])+eps))
		}
		for j, vals := range [][]float64{xn, vn, hn} {
			if outs[j*cnt+i], err = miscNewLike(ctx, in[2+i], vals); err != nil {
				return nil, err
			}
		}
	}
	return outs[:min(len(outs), len(n.Outputs))], nil
}

// miscUniform returns the generator of a random op: a private generator seeded by the node's
// seed attribute when given (so the node repeats its draws), else the interpreter's generator.
func miscUniform(ctx ir.EvalContext, n *ir.Node) func() float64 {
	if a := n.Attr("seed"); a != nil && a.Kind == ir.AttrFloat {
		r := rand.New(rand.NewSource(int64(math.Float32bits(a.F))))
		return r.Float64
	}
	return ctx.Rand
}

// miscNormal draws a standard normal sample from uniform draws (Box-Muller).
func miscNormal(u func() float64) float64 {
	u1 := 1 - u() // in (0, 1]
	u2 := u()
	return math.Sqrt(-2*math.Log(u1)) * math.Cos(2*math.Pi*u2)
}

// miscRandomOut allocates a random op's float output.
func miscRandomOut(ctx ir.EvalContext, dt ir.DType, shape []int64) (*ir.Tensor, error) {
	if !miscIsFloat(dt) {
		return nil, fmt.Errorf("dtype %s is not a floating-point type", dt)
	}
	return ctx.NewTensor(dt, shape)
}

// miscLikeDType returns the dtype attribute, or dt when absent.
func miscLikeDType(n *ir.Node, dt ir.DType) ir.DType {
	if a := n.Attr("dtype"); a != nil {
		return ir.DType(a.I)
	}
	return dt
}

func miscFillUniform(ctx ir.EvalContext, n *ir.Node, out *ir.Tensor) {
	lo, hi := float64(n.AttrFloat("low", 0)), float64(n.AttrFloat("high", 1))
	u := miscUniform(ctx, n)
	vals := make([]float64, out.Len())
	for i := range vals {
		vals[i] = lo + (hi-lo)*u()
	}
	SetF64s(out, vals)
}

func miscFillNormal(ctx ir.EvalContext, n *ir.Node, out *ir.Tensor) {
	mean, scale := float64(n.AttrFloat("mean", 0)), float64(n.AttrFloat("scale", 1))
	u := miscUniform(ctx, n)
	vals := make([]float64, out.Len())
	for i := range vals {
		vals[i] = mean + scale*miscNormal(u)
	}
	SetF64s(out, vals)
}

func evalRandomUniform(ctx ir.EvalContext, n *ir.Node, in []*ir.Tensor) ([]*ir.Tensor, error) {
	out, err := miscRandomOut(ctx, ir.DType(n.AttrInt("dtype", int64(ir.Float32))), n.AttrInts("shape", nil))
	if err != nil {
		return nil, err
	}
	miscFillUniform(ctx, n, out)
	return []*ir.Tensor{out}, nil
}

func evalRandomNormal(ctx ir.EvalContext, n *ir.Node, in []*ir.Tensor) ([]*ir.Tensor, error) {
	out, err := miscRandomOut(ctx, ir.DType(n.AttrInt("dtype", int64(ir.Float32))), n.AttrInts("shape", nil))
	if err != nil {
		return nil, err
	}
	miscFillNormal(ctx, n, out)
	return []*ir.Tensor{out}, nil
}

func evalRandomUniformLike(ctx ir.EvalContext, n *ir.Node, in []*ir.Tensor) ([]*ir.Tensor, error) {
	out, err := miscRandomOut(ctx, miscLikeDType(n, in[0].DType), in[0].Shape)
	if err != nil {
		return nil, err
	}
	miscFillUniform(ctx, n, out)
	return []*ir.Tensor{out}, nil
}

func evalRandomNormalLike(ctx ir.EvalContext, n *ir.Node, in []*ir.Tensor) ([]*ir.Tensor, error) {
	out, err := miscRandomOut(ctx, miscLikeDType(n, in[0].DType), in[0].Shape)
	if err != nil {
		return nil, err
	}
	miscFillNormal(ctx, n, out)
	return []*ir.Tensor{out}, nil
}

// evalBernoulli: y[i] = 1 with probability x[i] (x outside [0,1] is an error), else 0.
func evalBernoulli(ctx ir.EvalContext, n *ir.Node, in []*ir.Tensor) ([]*ir.Tensor, error) {
	x := in[0]
	if !miscIsFloat(x.DType) {
		return nil, fmt.Errorf("input must be a float tensor, got %s", x.DType)
	}
	dt := miscLikeDType(n, x.DType)
	if !dt.Valid() || dt == ir.String || dt.Bits()%8 != 0 || dt == ir.Complex64 || dt == ir.Complex128 {
		return nil, Unsupportedf("Bernoulli output type %s", dt)
	}
	switch dt {
	case ir.Float8E4M3FN, ir.Float8E4M3FNUZ, ir.Float8E5M2, ir.Float8E5M2FNUZ:
		return nil, Unsupportedf("Bernoulli output type %s", dt)
	}
	out, err := ctx.NewTensor(dt, x.Shape)
	if err != nil {
		return nil, err
	}
	p := F64s(x)
	u := miscUniform(ctx, n)
	vals := make([]float64, len(p))
	for i, pi := range p {
		if !(pi >= 0 && pi <= 1) {
			return nil, fmt.Errorf("probability %v at element %d is outside [0, 1]", pi, i)
		}
		if u() < pi {
			vals[i] = 1
		}
	}
	SetF64s(out, vals)
	return []*ir.Tensor{out}, nil
}

// evalMultinomial draws sample_size classes per row with P(c) = softmax(x[b,:])[c].
func evalMultinomial(ctx ir.EvalContext, n *ir.Node, in []*ir.Tensor) ([]*ir.Tensor, error) {
	x := in[0]
	if !miscIsFloat(x.DType) || len(x.Shape) != 2 {
		return nil, fmt.Errorf("input must be a 2-D float tensor [batch, classes], got %s%v", x.DType, x.Shape)
	}
	dt := ir.DType(n.AttrInt("dtype", int64(ir.Int32)))
	if dt != ir.Int32 && dt != ir.Int64 {
		return nil, fmt.Errorf("dtype must be int32 or int64, got %s", dt)
	}
	ss := n.AttrInt("sample_size", 1)
	if ss < 1 {
		return nil, fmt.Errorf("sample_size must be positive, got %d", ss)
	}
	B, C := x.Shape[0], x.Shape[1]
	if C == 0 && B > 0 {
		return nil, fmt.Errorf("cannot sample from zero classes")
	}
	out, err := ctx.NewTensor(dt, []int64{B, ss})
	if err != nil {
		return nil, err
	}
	logits := F64s(x)
	u := miscUniform(ctx, n)
	vals := make([]float64, B*ss)
	cum := make([]float64, C)
	for b := int64(0); b < B; b++ {
		row := logits[b*C : (b+1)*C]
		m := math.Inf(-1)
		for _, v := range row {
			m = math.Max(m, v)
		}
		acc := 0.0
		for c, v := range row {
			acc += math.Exp(v - m)
			cum[c] = acc
		}
		for s := int64(0); s < ss; s++ {
			target := u() * acc
			c := int64(0)
			for c < C-1 && cum[c] <= target {
				c++
			}
			vals[b*ss+s] = float64(c)
		}
	}
	SetF64s(out, vals)
	return []*ir.Tensor{out}, nil
}

// evalStringNormalizer drops stopwords (compared case-insensitively unless is_case_sensitive)
// from a [C] or [1,C] string tensor, then applies case_change_action.
func evalStringNormalizer(ctx ir.EvalContext, n *ir.Node, in []*ir.Tensor) ([]*ir.Tensor, error) {
	x := in[0]
	if x.DType != ir.String {
		return nil, fmt.Errorf("input must be a string tensor, got %s", x.DType)
	}
	twoD := len(x.Shape) == 2
	if !(len(x.Shape) == 1 || (twoD && x.Shape[0] == 1)) {
		return nil, fmt.Errorf("input must be [C] or [1,C], got shape %v", x.Shape)
	}
	action := n.AttrString("case_change_action", "NONE")
	if action != "NONE" && action != "LOWER" && action != "UPPER" {
		return nil, fmt.Errorf("case_change_action must be NONE, LOWER or UPPER, got %q", action)
	}
	sensitive := n.AttrInt("is_case_sensitive", 0) != 0
	stop := map[string]bool{}
	for _, w := range n.AttrStrings("stopwords", nil) {
		if !sensitive {
			w = strings.ToLower(w)
		}
		stop[w] = true
	}
	var kept []string
	for _, b := range x.Strings {
		s := string(b)
		key := s
		if !sensitive {
			key = strings.ToLower(s)
		}
		if stop[key] {
			continue
		}
		switch action {
		case "LOWER":
			s = strings.ToLower(s)
		case "UPPER":
			s = strings.ToUpper(s)
		}
		kept = append(kept, s)
	}
	if len(kept) == 0 {
		kept = []string{""}
	}
	shape := []int64{int64(len(kept))}
	if twoD {
		shape = []int64{1, int64(len(kept))}
	}
	out, err := ctx.NewTensor(ir.String, shape)
	if err != nil {
		return nil, err
	}
	for i, s := range kept {
		out.Strings[i] = []byte(s)
	}
	return []*ir.Tensor{out}, nil
}

// miscGramKey encodes an n-gram of tokens as a map key (length-prefixed, so it is unambiguous).
func miscGramKey(tokens []string) string {
	var b strings.Builder
	for _, t := range tokens {
		b.WriteString(strconv.Itoa(len(t)))
		b.WriteByte(':')
		b.WriteString(t)
	}
	return b.String()
}

// evalTfIdfVectorizer counts, per input row, the occurrences of the pool's n-grams of lengths
// min_gram_length..max_gram_length whose tokens are skip+1 apart for skip in 0..max_skip_count
// (unigrams counted once), and writes f(count) at ngram_indexes: TF count, IDF weight if
// count > 0, TFIDF count*weight (weights default to 1).
func evalTfIdfVectorizer(ctx ir.EvalContext, n *ir.Node, in []*ir.Tensor) ([]*ir.Tensor, error) {
	x := in[0]
	minN, maxN := n.AttrInt("min_gram_length", 0), n.AttrInt("max_gram_length", 0)
	maxSkip := n.AttrInt("max_skip_count", 0)
	mode := n.AttrString("mode", "")
	counts := n.AttrInts("ngram_counts", nil)
	indexes := n.AttrInts("ngram_indexes", nil)
	weights := n.AttrFloats("weights", nil)
	if mode != "TF" && mode != "IDF" && mode != "TFIDF" {
		return nil, fmt.Errorf("mode must be TF, IDF or TFIDF, got %q", mode)
	}
	if minN < 1 || maxN < minN || maxSkip < 0 {
		return nil, fmt.Errorf("need 1 <= min_gram_length (%d) <= max_gram_length (%d) and max_skip_count (%d) >= 0", minN, maxN, maxSkip)
	}
	// Pool tokens as strings, so int and string inputs share one path.
	var pool []string
	intPool := n.Attr("pool_int64s") != nil
	switch {
	case intPool && n.Attr("pool_strings") != nil:
		return nil, fmt.Errorf("only one of pool_int64s and pool_strings may be set")
	case intPool:
		if x.DType != ir.Int32 && x.DType != ir.Int64 {
			return nil, fmt.Errorf("pool_int64s needs an int32 or int64 input, got %s", x.DType)
		}
		for _, v := range n.AttrInts("pool_int64s", nil) {
			pool = append(pool, strconv.FormatInt(v, 10))
		}
	case n.Attr("pool_strings") != nil:
		if x.DType != ir.String {
			return nil, fmt.Errorf("pool_strings needs a string input, got %s", x.DType)
		}
		pool = n.AttrStrings("pool_strings", nil)
	default:
		return nil, fmt.Errorf("one of pool_int64s and pool_strings must be set")
	}
	// gram key -> gram number (pool order); ngram_counts[i] is where the (i+1)-grams start.
	grams := map[string]int{}
	numGrams := 0
	for i, start := range counts {
		gl := int64(i + 1)
		end := int64(len(pool))
		if i+1 < len(counts) {
			end = counts[i+1]
		}
		if start < 0 || end < start || end > int64(len(pool)) || (end-start)%gl != 0 {
			return nil, fmt.Errorf("ngram_counts %v do not partition a pool of %d tokens into %d-grams", counts, len(pool), gl)
		}
		for p := start; p < end; p += gl {
			grams[strconv.Itoa(int(gl))+"|"+miscGramKey(pool[p:p+gl])] = numGrams
			numGrams++
		}
	}
	if len(indexes) != numGrams {
		return nil, fmt.Errorf("ngram_indexes has %d entries, but the pool holds %d n-grams", len(indexes), numGrams)
	}
	if weights != nil && len(weights) != numGrams {
		return nil, fmt.Errorf("weights has %d entries, but the pool holds %d n-grams", len(weights), numGrams)
	}
	width := int64(0)
	for _, ix := range indexes {
		if ix < 0 {
			return nil, fmt.Errorf("ngram_indexes has negative entry %d", ix)
		}
		width = max(width, ix+1)
	}
	var rows, cols int64
	switch len(x.Shape) {
	case 1:
		rows, cols = 1, x.Shape[0]
	case 2:
		rows, cols = x.Shape[0], x.Shape[1]
	default:
		return nil, fmt.Errorf("input must be [C] or [N,C], got shape %v", x.Shape)
	}
	shape := []int64{width}
	if len(x.Shape) == 2 {
		shape = []int64{rows, width}
	}
	out, err := ctx.NewTensor(ir.Float32, shape)
	if err != nil {
		return nil, err
	}
	toks := make([]string, rows*cols)
	for i := range toks {
		if x.DType == ir.String {
			toks[i] = string(x.Strings[i])
		} else {
			toks[i] = strconv.FormatInt(x.Int64At(i), 10)
		}
	}
	res := out.Float32s()
	cnt := make([]float64, numGrams)
	gram := make([]string, 0, maxN)
	for r := int64(0); r < rows; r++ {
		row := toks[r*cols : (r+1)*cols]
		clear(cnt)
		for gl := minN; gl <= maxN && gl <= int64(len(counts)); gl++ {
			skips := maxSkip
			if gl == 1 {
				skips = 0
			}
			for sk := int64(0); sk <= skips; sk++ {
				step := sk + 1
				for st := int64(0); st+(gl-1)*step < cols; st++ {
					gram = gram[:0]
					for j := int64(0); j < gl; j++ {
						gram = append(gram, row[st+j*step])
					}
					if g, ok := grams[strconv.Itoa(int(gl))+"|"+miscGramKey(gram)]; ok {
						cnt[g]++
					}
				}
			}
		}
		vals := make([]float64, width)
		for g, c := range cnt {
			w := 1.0
			if weights != nil {
				w = float64(weights[g])
			}
			var v float64
			switch mode {
			case "TF":
				v = c
			case "IDF":
				if c > 0 {
					v = w
				}
			case "TFIDF":
				v = c * w
			}
			vals[indexes[g]] += v
		}
		for i, v := range vals {
			res[r*width+int64(i)] = float32(v)
		}
	}
	return []*ir.Tensor{out}, nil
}

// miscLossArgs checks a loss's input [N,C,d...], target [N,d...] and optional weight [C]; it
// returns N, C, D (the product of d...).
func miscLossArgs(x, target, weight *ir.Tensor) (N, C, D int64, err error) {
	if !miscIsFloat(x.DType) {
		return 0, 0, 0, fmt.Errorf("input must be a float tensor, got %s", x.DType)
	}
	if len(x.Shape) < 2 {
		return 0, 0, 0, fmt.Errorf("input must have shape [N,C,d...], got %v", x.Shape)
	}
	if target.DType != ir.Int32 && target.DType != ir.Int64 {
		return 0, 0, 0, fmt.Errorf("target must be int32 or int64, got %s", target.DType)
	}
	want := append([]int64{x.Shape[0]}, x.Shape[2:]...)
	if !miscSameShape(target.Shape, want) {
		return 0, 0, 0, fmt.Errorf("target has shape %v, want %v (input %v without the class axis)", target.Shape, want, x.Shape)
	}
	N, C, D = x.Shape[0], x.Shape[1], ctlProd(x.Shape[2:])
	if weight != nil {
		if weight.DType != x.DType || len(weight.Shape) != 1 || weight.Shape[0] != C {
			return 0, 0, 0, fmt.Errorf("weight must be a %s tensor of shape [%d], got %s%v", x.DType, C, weight.DType, weight.Shape)
		}
	}
	return N, C, D, nil
}

// miscNLL computes the negative log-likelihood loss of log-probabilities logp [N,C,D] and
// returns the loss tensor (shape [N,d...] for reduction none, a scalar otherwise).
func miscNLL(ctx ir.EvalContext, n *ir.Node, dt ir.DType, logp []float64, lossShape []int64, N, C, D int64, target, weight *ir.Tensor) (*ir.Tensor, error) {
	red := n.AttrString("reduction", "mean")
	if red != "none" && red != "sum" && red != "mean" {
		return nil, fmt.Errorf("reduction must be none, sum or mean, got %q", red)
	}
	ia := n.Attr("ignore_index")
	var w []float64
	if weight != nil {
		w = F64s(weight)
	}
	tg := target.AsInt64s()
	loss := make([]float64, N*D)
	sum, wsum := 0.0, 0.0
	for i := int64(0); i < N; i++ {
		for d := int64(0); d < D; d++ {
			k := i*D + d
			c := tg[k]
			if ia != nil && c == ia.I {
				continue
			}
			if c < 0 || c >= C {
				return nil, fmt.Errorf("target %d at position %d is outside [0, %d)", c, k, C)
			}
			wc := 1.0
			if w != nil {
				wc = w[c]
			}
			loss[k] = -logp[(i*C+c)*D+d] * wc
			sum += loss[k]
			wsum += wc
		}
	}
	if red == "none" {
		out, err := ctx.NewTensor(dt, lossShape)
		if err != nil {
			return nil, err
		}
		SetF64s(out, loss)
		return out, nil
	}
	v := sum
	if red == "mean" {
		v = sum / wsum
	}
	out, err := ctx.NewTensor(dt, nil)
	if err != nil {
		return nil, err
	}
	SetF64s(out, []float64{v})
	return out, nil
}

func evalNLLLoss(ctx ir.EvalContext, n *ir.Node, in []*ir.Tensor) ([]*ir.Tensor, error) {
	x, target := in[0], in[1]
	var weight *ir.Tensor
	if len(in) > 2 {
		weight = in[2]
	}
	N, C, D, err := miscLossArgs(x, target, weight)
	if err != nil {
		return nil, err
	}
	loss, err := miscNLL(ctx, n, x.DType, F64s(x), target.Shape, N, C, D, target, weight)
	if err != nil {
		return nil, err
	}
	return []*ir.Tensor{loss}, nil
}

// evalSoftmaxCrossEntropyLoss: log_prob = log_softmax(scores, axis 1); loss = NLL(log_prob).
func evalSoftmaxCrossEntropyLoss(ctx ir.EvalContext, n *ir.Node, in []*ir.Tensor) ([]*ir.Tensor, error) {
	x, target := in[0], in[1]
	var weight *ir.Tensor
	if len(in) > 2 {
		weight = in[2]
	}
	N, C, D, err := miscLossArgs(x, target, weight)
	if err != nil {
		return nil, err
	}
	s := F64s(x)
	logp := make([]float64, len(s))
	for i := int64(0); i < N; i++ {
		for d := int64(0); d < D; d++ {
			m := math.Inf(-1)
			for c := int64(0); c < C; c++ {
				m = math.Max(m, s[(i*C+c)*D+d])
			}
			sum := 0.0
			for c := int64(0); c < C; c++ {
				sum += math.Exp(s[(i*C+c)*D+d] - m)
			}
			lse := m + math.Log(sum)
			for c := int64(0); c < C; c++ {
				k := (i*C+c)*D + d
				logp[k] = s[k] - lse
			}
		}
	}
	loss, err := miscNLL(ctx, n, x.DType, logp, target.Shape, N, C, D, target, weight)
	if err != nil {
		return nil, err
	}
	outs := []*ir.Tensor{loss, nil}
	if len(n.Outputs) > 1 && n.Outputs[1] != nil {
		if outs[1], err = miscNewLike(ctx, x, logp); err != nil {
			return nil, err
		}
	}
	return outs[:max(1, min(2, len(n.Outputs)))], nil
}
