package ref

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/llmc/llmc/ir"
)

const miscTestTraining = "ai.onnx.preview.training"

// miscRunOne builds a one-node graph over constant-free inputs and runs it.
func miscRunOne(t *testing.T, opset int64, domain, op string, nout int, inputs []*ir.Tensor, attrs ...ir.Attr) ([]ir.Datum, []*ir.Value) {
	t.Helper()
	b := ctlMain(t, opset)
	feed := map[string]ir.Datum{}
	var ins []*ir.Value
	for i, x := range inputs {
		if x == nil {
			ins = append(ins, nil)
			continue
		}
		v := b.in("in"+string(rune('a'+i)), x.Type())
		feed[v.Name] = x
		ins = append(ins, v)
	}
	outs := b.opD(domain, op, nout, ins, attrs...)
	g := b.done(outs...)
	return ctlRun(t, g, feed), outs
}

func miscF64s(t *testing.T, d ir.Datum) []float64 {
	t.Helper()
	return F64s(ctlTensorOut(t, d))
}

func TestMiscAdagrad(t *testing.T) {
	// Two tensors in one node: X1 = [1], X2 = [2, 3].
	in := []*ir.Tensor{ctlF32(nil, 0.1), ir.ScalarInt64(1),
		ctlF32([]int64{1}, 1), ctlF32([]int64{2}, 2, 3), // X
		ctlF32([]int64{1}, -1), ctlF32([]int64{2}, 0, 1), // G
		ctlF32([]int64{1}, 2), ctlF32([]int64{2}, 1, 0)} // H
	out, vs := miscRunOne(t, 17, miscTestTraining, "Adagrad", 4, in, ir.AFloat("decay_factor", 0.1), ir.AFloat("norm_coefficient", 0.5))
	require.Equal(t, "f32[2]", vs[1].Type.String())
	r := 0.1 / (1 + 1*float64(float32(0.1)))
	// X1: g = 0.5*1 - 1 = -0.5, H = 2.25, X = 1 + r*0.5/(1.5+eps)
	require.InDelta(t, 1+r*0.5/(1.5+1e-6), miscF64s(t, out[0])[0], 1e-6)
	require.InDelta(t, 2.25, miscF64s(t, out[2])[0], 1e-6)
	// X2: g = [1, 2.5], H = [2, 6.25], X = [2 - r/(sqrt2+eps), 3 - r*2.5/(2.5+eps)]
	require.InDeltaSlice(t, []float64{2 - r/(math.Sqrt2+1e-6), 3 - r*2.5/(2.5+1e-6)}, miscF64s(t, out[1]), 1e-6)
	require.InDeltaSlice(t, []float64{2, 6.25}, miscF64s(t, out[3]), 1e-6)
}

func TestMiscMomentum(t *testing.T) {
	x, g, v := ctlF32([]int64{2}, 1, 2), ctlF32([]int64{2}, 0.5, -0.5), ctlF32([]int64{2}, 1, 1)
	attrs := func(mode string) []ir.Attr {
		return []ir.Attr{ir.AFloat("alpha", 0.9), ir.AFloat("beta", 0.1), ir.AFloat("norm_coefficient", 0.5), ir.AString("mode", mode)}
	}
	// T = 0: beta is taken as 1. g_reg = [1, 0.5]; V = [1.9, 1.4]; X = X - 0.01*V.
	out, _ := miscRunOne(t, 17, miscTestTraining, "Momentum", 2, []*ir.Tensor{ctlF32(nil, 0.01), ir.ScalarInt64(0), x, g, v}, attrs("standard")...)
	require.InDeltaSlice(t, []float64{0.981, 1.986}, miscF64s(t, out[0]), 1e-6)
	require.InDeltaSlice(t, []float64{1.9, 1.4}, miscF64s(t, out[1]), 1e-6)
	// Nesterov, T = 1: V = 0.9 + 0.1*[1, 0.5] = [1, 0.95]; X = X - 0.01*(g_reg + 0.9*V).
	out, _ = miscRunOne(t, 17, miscTestTraining, "Momentum", 2, []*ir.Tensor{ctlF32(nil, 0.01), ir.ScalarInt64(1), x, g, v}, attrs("nesterov")...)
	require.InDeltaSlice(t, []float64{0.981, 1.98645}, miscF64s(t, out[0]), 1e-6)
	require.InDeltaSlice(t, []float64{1, 0.95}, miscF64s(t, out[1]), 1e-6)

	b := ctlMain(t, 17)
	ins := []*ir.Value{b.in("r", ir.TensorType(ir.Float32, ir.Shape{})), b.in("t", ir.TensorType(ir.Int64, ir.Shape{})),
		b.in("x", x.Type()), b.in("g", g.Type()), b.in("v", v.Type())}
	_, err := b.try(miscTestTraining, "Momentum", 2, ins[:4], attrs("standard")...)
	require.ErrorContains(t, err, "2 + 3*n inputs")
	outs := b.opD(miscTestTraining, "Momentum", 2, ins, attrs("sideways")...)
	gr := b.done(outs...)
	_, err = Run(gr, map[string]ir.Datum{ins[0].Name: ctlF32(nil, 1), ins[1].Name: ir.ScalarInt64(0), ins[2].Name: x, ins[3].Name: g, ins[4].Name: v}, Options{})
	require.ErrorContains(t, err, "mode must be standard or nesterov")
}

func TestMiscAdam(t *testing.T) {
	in := []*ir.Tensor{ctlF32(nil, 0.1), ir.ScalarInt64(2), ctlF32([]int64{1}, 1), ctlF32([]int64{1}, 0.5), ctlF32([]int64{1}, 0.2), ctlF32([]int64{1}, 0.1)}
	out, _ := miscRunOne(t, 17, miscTestTraining, "Adam", 3, in, ir.AFloat("norm_coefficient_post", 0.5))
	a, b := float64(float32(0.9)), float64(float32(0.999))
	v := a*0.2 + (1-a)*0.5
	h := b*0.1 + (1-b)*0.25
	rAdj := 0.1 * math.Sqrt(1-b*b) / (1 - a*a)
	xNew := 0.5 * (1 - rAdj*v/(math.Sqrt(h)+1e-6))
	require.InDelta(t, xNew, miscF64s(t, out[0])[0], 1e-6)
	require.InDelta(t, 0.23, miscF64s(t, out[1])[0], 1e-6)
	require.InDelta(t, 0.10015, miscF64s(t, out[2])[0], 1e-6)
	// T = 0 uses R unadjusted.
	in[1] = ir.ScalarInt64(0)
	out, _ = miscRunOne(t, 17, miscTestTraining, "Adam", 3, in)
	require.InDelta(t, 1-0.1*v/(math.Sqrt(h)+1e-6), miscF64s(t, out[0])[0], 1e-6)
}

func TestMiscGradientSchema(t *testing.T) {
	b := ctlMain(t, 17)
	x := b.in("x", ir.TensorType(ir.Float32, ir.Shape{ir.Sym("n")}))
	y := b.op("Identity", []*ir.Value{x})
	gx := b.opD(miscTestTraining, "Gradient", 1, []*ir.Value{x}, ir.Attr{Name: "xs", Kind: ir.AttrStrings, Strings: [][]byte{[]byte(x.Name)}}, ir.AString("y", y.Name))
	require.Equal(t, "f32[n]", gx[0].Type.String())
	g := b.done(gx...)
	_, err := Run(g, map[string]ir.Datum{x.Name: ctlF32([]int64{1}, 1)}, Options{})
	require.ErrorIs(t, err, ErrUnsupported)
	require.ErrorContains(t, err, "autodiff")
}

func miscMeanVar(v []float64) (mean, variance float64) {
	for _, x := range v {
		mean += x
	}
	mean /= float64(len(v))
	for _, x := range v {
		variance += (x - mean) * (x - mean)
	}
	return mean, variance / float64(len(v))
}

func TestMiscRandom(t *testing.T) {
	const n = 20000
	out, vs := miscRunOne(t, 17, "", "RandomUniform", 1, nil, ir.AInts("shape", 4, n/4), ir.AFloat("low", -2), ir.AFloat("high", 4))
	require.Equal(t, "f32[4,5000]", vs[0].Type.String())
	u := miscF64s(t, out[0])
	for _, x := range u {
		require.True(t, x >= -2 && x < 4, "sample %v outside [-2, 4)", x)
	}
	m, v := miscMeanVar(u)
	require.InDelta(t, 1, m, 0.06) // SE 0.012
	require.InDelta(t, 3, v, 0.15) // var of U(-2,4) = 36/12
	out, vs = miscRunOne(t, 17, "", "RandomNormal", 1, nil, ir.AInts("shape", n), ir.AFloat("mean", 3), ir.AFloat("scale", 2), ir.AInt("dtype", int64(ir.Float64)))
	require.Equal(t, "f64[20000]", vs[0].Type.String())
	m, v = miscMeanVar(miscF64s(t, out[0]))
	require.InDelta(t, 3, m, 0.07) // SE 0.014
	require.InDelta(t, 4, v, 0.25)

	like := ir.MustTensor(ir.Float64, 100, 200)
	out, vs = miscRunOne(t, 17, "", "RandomNormalLike", 1, []*ir.Tensor{like}, ir.AInt("dtype", int64(ir.Float16)))
	require.Equal(t, "f16[100,200]", vs[0].Type.String())
	m, v = miscMeanVar(miscF64s(t, out[0]))
	require.InDelta(t, 0, m, 0.03)
	require.InDelta(t, 1, v, 0.06)
	out, vs = miscRunOne(t, 17, "", "RandomUniformLike", 1, []*ir.Tensor{like})
	require.Equal(t, "f64[100,200]", vs[0].Type.String())
	m, _ = miscMeanVar(miscF64s(t, out[0]))
	require.InDelta(t, 0.5, m, 0.02)

	// A seeded node repeats its draws; unseeded runs follow the run's seed.
	b := ctlMain(t, 17)
	r1 := b.op("RandomUniform", nil, ir.AInts("shape", 8), ir.AFloat("seed", 5))
	r2 := b.op("RandomUniform", nil, ir.AInts("shape", 8), ir.AFloat("seed", 5))
	r3 := b.op("RandomUniform", nil, ir.AInts("shape", 8))
	g := b.done(r1, r2, r3)
	o1, err := Run(g, map[string]ir.Datum{}, Options{Seed: 1})
	require.NoError(t, err)
	o2, err := Run(g, map[string]ir.Datum{}, Options{Seed: 2})
	require.NoError(t, err)
	require.Equal(t, miscF64s(t, o1[0]), miscF64s(t, o1[1]))
	require.Equal(t, miscF64s(t, o1[0]), miscF64s(t, o2[0]))
	require.NotEqual(t, miscF64s(t, o1[2]), miscF64s(t, o2[2]))

	b2 := ctlMain(t, 17)
	_, err = b2.try("", "RandomUniform", 1, nil, ir.AInts("shape", 2), ir.AInt("dtype", int64(ir.Int32)))
	require.ErrorContains(t, err, "not a floating-point type")
	_, err = b2.try("", "RandomNormal", 1, nil)
	require.ErrorContains(t, err, "required attribute \"shape\"")
}

func TestMiscBernoulli(t *testing.T) {
	const n = 20000
	p := make([]float32, n)
	for i := range p {
		p[i] = [4]float32{0, 1, 0.3, 0.3}[i%4]
	}
	out, vs := miscRunOne(t, 17, "", "Bernoulli", 1, []*ir.Tensor{ctlF32([]int64{n / 4, 4}, p...)}, ir.AInt("dtype", int64(ir.Int32)))
	require.Equal(t, "i32[5000,4]", vs[0].Type.String())
	y := miscF64s(t, out[0])
	ones := [4]float64{}
	for i, v := range y {
		require.True(t, v == 0 || v == 1)
		ones[i%4] += v
	}
	require.Equal(t, 0.0, ones[0])
	require.Equal(t, float64(n/4), ones[1])
	require.InDelta(t, 0.3, (ones[2]+ones[3])/(n/2), 0.02) // SE 0.0046
	// Default dtype is the input's.
	out, vs = miscRunOne(t, 17, "", "Bernoulli", 1, []*ir.Tensor{ir.FromFloat64s([]int64{2}, []float64{1, 0})})
	require.Equal(t, "f64[2]", vs[0].Type.String())
	require.Equal(t, []float64{1, 0}, miscF64s(t, out[0]))
}

func TestMiscMultinomial(t *testing.T) {
	const ss = 10000
	logits := ctlF32([]int64{2, 3}, float32(math.Log(0.2)), float32(math.Log(0.8)), float32(math.Inf(-1)), 5, 5, 5)
	out, vs := miscRunOne(t, 17, "", "Multinomial", 1, []*ir.Tensor{logits}, ir.AInt("sample_size", ss), ir.AInt("dtype", int64(ir.Int64)))
	require.Equal(t, "i64[2,10000]", vs[0].Type.String())
	y := ctlTensorOut(t, out[0]).Int64s()
	var c0, c1 [3]float64
	for i := 0; i < ss; i++ {
		c0[y[i]]++
		c1[y[ss+i]]++
	}
	require.Equal(t, 0.0, c0[2], "a class of probability 0 was drawn")
	require.InDelta(t, 0.8, c0[1]/ss, 0.02) // SE 0.004
	for k := 0; k < 3; k++ {
		require.InDelta(t, 1.0/3, c1[k]/ss, 0.025)
	}
	b := ctlMain(t, 17)
	x := b.in("x", ir.TensorType(ir.Float32, ir.Shape{ir.D(3)}))
	_, err := b.try("", "Multinomial", 1, []*ir.Value{x})
	require.ErrorContains(t, err, "2-D")
}

func miscStrings(shape []int64, s ...string) *ir.Tensor {
	t := ir.MustTensor(ir.String, shape...)
	for i, v := range s {
		t.Strings[i] = []byte(v)
	}
	return t
}

func miscGotStrings(t *testing.T, d ir.Datum) ([]int64, []string) {
	x := ctlTensorOut(t, d)
	var out []string
	for _, s := range x.Strings {
		out = append(out, string(s))
	}
	return x.Shape, out
}

func TestMiscStringNormalizer(t *testing.T) {
	words := miscStrings([]int64{4}, "monday", "Tuesday", "MONDAY", "wed")
	stop := ir.Attr{Name: "stopwords", Kind: ir.AttrStrings, Strings: [][]byte{[]byte("monday")}}
	out, vs := miscRunOne(t, 17, "", "StringNormalizer", 1, []*ir.Tensor{words}, stop, ir.AString("case_change_action", "UPPER"))
	require.Equal(t, "str[?]", vs[0].Type.String())
	shape, got := miscGotStrings(t, out[0])
	require.Equal(t, []int64{2}, shape)
	require.Equal(t, []string{"TUESDAY", "WED"}, got)
	out, _ = miscRunOne(t, 17, "", "StringNormalizer", 1, []*ir.Tensor{words}, stop, ir.AInt("is_case_sensitive", 1), ir.AString("case_change_action", "LOWER"))
	_, got = miscGotStrings(t, out[0])
	require.Equal(t, []string{"tuesday", "monday", "wed"}, got)
	// Everything removed: [1,C] gives [1,1] holding "".
	out, vs = miscRunOne(t, 17, "", "StringNormalizer", 1, []*ir.Tensor{miscStrings([]int64{1, 2}, "Monday", "monday")}, stop)
	require.Equal(t, "str[1,?]", vs[0].Type.String())
	shape, got = miscGotStrings(t, out[0])
	require.Equal(t, []int64{1, 1}, shape)
	require.Equal(t, []string{""}, got)
	b := ctlMain(t, 17)
	x := b.in("x", ir.TensorType(ir.String, ir.Shape{ir.D(2), ir.D(2)}))
	_, err := b.try("", "StringNormalizer", 1, []*ir.Value{x})
	require.ErrorContains(t, err, "[C] or [1,C]")
}

func TestMiscTfIdfVectorizer(t *testing.T) {
	// Pool: unigrams 2 3 5 4 (grams 0-3), bigrams (5,6) (7,8) (6,7) (grams 4-6); gram g is
	// written at output 6-g.
	attrs := []ir.Attr{ir.AInt("min_gram_length", 1), ir.AInt("max_gram_length", 2), ir.AInt("max_skip_count", 1),
		ir.AInts("ngram_counts", 0, 4), ir.AInts("ngram_indexes", 6, 5, 4, 3, 2, 1, 0),
		ir.AInts("pool_int64s", 2, 3, 5, 4, 5, 6, 7, 8, 6, 7)}
	// Row 0: unigrams 2,3,5 once; bigrams (5,6), (6,7) adjacent. Row 1: unigram 5; (5,6) only
	// with one skip.
	x := ir.FromInt32s([]int64{2, 5}, []int32{2, 3, 5, 6, 7, 5, 0, 6, 0, 0})
	out, vs := miscRunOne(t, 17, "", "TfIdfVectorizer", 1, []*ir.Tensor{x}, append(attrs, ir.AString("mode", "TF"))...)
	require.Equal(t, "f32[2,7]", vs[0].Type.String())
	require.Equal(t, []float32{1, 0, 1, 0, 1, 1, 1, 0, 0, 1, 0, 1, 0, 0}, ctlTensorOut(t, out[0]).Float32s())
	// TFIDF and IDF with weights w[g] = g+1, on a 1-D row where 3 occurs twice.
	w := ir.AFloats("weights", 1, 2, 3, 4, 5, 6, 7)
	x1 := ir.FromInt64s([]int64{4}, []int64{3, 3, 5, 6})
	out, vs = miscRunOne(t, 17, "", "TfIdfVectorizer", 1, []*ir.Tensor{x1}, append(attrs, ir.AString("mode", "TFIDF"), w)...)
	require.Equal(t, "f32[7]", vs[0].Type.String())
	require.Equal(t, []float32{0, 0, 5, 0, 3, 4, 0}, ctlTensorOut(t, out[0]).Float32s())
	out, _ = miscRunOne(t, 17, "", "TfIdfVectorizer", 1, []*ir.Tensor{x1}, append(attrs, ir.AString("mode", "IDF"), w)...)
	require.Equal(t, []float32{0, 0, 5, 0, 3, 2, 0}, ctlTensorOut(t, out[0]).Float32s())
	// Strings, bigrams only.
	sattrs := []ir.Attr{ir.AInt("min_gram_length", 2), ir.AInt("max_gram_length", 2), ir.AInt("max_skip_count", 0),
		ir.AInts("ngram_counts", 0, 0), ir.AInts("ngram_indexes", 1, 0), ir.AString("mode", "TF"),
		{Name: "pool_strings", Kind: ir.AttrStrings, Strings: [][]byte{[]byte("a"), []byte("b"), []byte("b"), []byte("c")}}}
	out, _ = miscRunOne(t, 17, "", "TfIdfVectorizer", 1, []*ir.Tensor{miscStrings([]int64{5}, "a", "b", "c", "a", "b")}, sattrs...)
	require.Equal(t, []float32{1, 2}, ctlTensorOut(t, out[0]).Float32s())

	b := ctlMain(t, 17)
	xf := b.in("x", ir.TensorType(ir.Float32, ir.Shape{ir.D(3)}))
	_, err := b.try("", "TfIdfVectorizer", 1, []*ir.Value{xf}, append(attrs, ir.AString("mode", "TF"))...)
	require.ErrorContains(t, err, "string, int32 or int64")
}

// miscNLLInput is the example of the NegativeLogLikelihoodLoss spec: N=2, C=3, d1=2.
func miscNLLInput() (*ir.Tensor, *ir.Tensor, *ir.Tensor) {
	x := ctlF32([]int64{2, 3, 2}, 1, 2, 2, 2, 3, 2, 0, 1, 2, 2, 1, 2)
	target := ctlI64([]int64{2, 2}, 2, 1, 0, 2)
	w := ctlF32([]int64{3}, 0.2, 0.3, 0.1)
	return x, target, w
}

func TestMiscNLLLoss(t *testing.T) {
	x, target, w := miscNLLInput()
	out, vs := miscRunOne(t, 17, "", "NegativeLogLikelihoodLoss", 1, []*ir.Tensor{x, target}, ir.AString("reduction", "none"))
	require.Equal(t, "f32[2,2]", vs[0].Type.String())
	require.InDeltaSlice(t, []float64{-3, -2, 0, -2}, miscF64s(t, out[0]), 1e-6)
	out, vs = miscRunOne(t, 17, "", "NegativeLogLikelihoodLoss", 1, []*ir.Tensor{x, target, w}, ir.AString("reduction", "sum"))
	require.Equal(t, "f32[]", vs[0].Type.String())
	require.InDelta(t, -1.1, miscF64s(t, out[0])[0], 1e-6)
	out, _ = miscRunOne(t, 17, "", "NegativeLogLikelihoodLoss", 1, []*ir.Tensor{x, target, w})
	require.InDelta(t, -1.1/0.7, miscF64s(t, out[0])[0], 1e-6)
	// ignore_index 1 drops sample (0,1): mean over the other three.
	out, _ = miscRunOne(t, 17, "", "NegativeLogLikelihoodLoss", 1, []*ir.Tensor{x, target}, ir.AInt("ignore_index", 1))
	require.InDelta(t, -5.0/3, miscF64s(t, out[0])[0], 1e-6)
	// A negative ignore_index may appear in the target.
	tNeg := ctlI64([]int64{2, 2}, 2, -1, 0, 2)
	out, _ = miscRunOne(t, 17, "", "NegativeLogLikelihoodLoss", 1, []*ir.Tensor{x, tNeg, w}, ir.AInt("ignore_index", -1))
	require.InDelta(t, -0.5/0.4, miscF64s(t, out[0])[0], 1e-6)

	// Errors: out-of-range target at run time; bad reduction and mismatched shapes at inference.
	b := ctlMain(t, 17)
	xv := b.in("x", ir.TensorType(ir.Float32, ir.Shape{ir.Sym("N"), ir.D(3), ir.D(2)}))
	tv := b.in("t", ir.TensorType(ir.Int64, ir.Shape{ir.Sym("N"), ir.D(2)}))
	bad := b.in("bad", ir.TensorType(ir.Int64, ir.Shape{ir.Sym("N"), ir.D(5)}))
	_, err := b.try("", "NegativeLogLikelihoodLoss", 1, []*ir.Value{xv, tv}, ir.AString("reduction", "avg"))
	require.ErrorContains(t, err, "reduction")
	_, err = b.try("", "NegativeLogLikelihoodLoss", 1, []*ir.Value{xv, bad})
	require.ErrorContains(t, err, "does not match")
	none := b.op("NegativeLogLikelihoodLoss", []*ir.Value{xv, tv}, ir.AString("reduction", "none"))
	require.Equal(t, "f32[N,2]", none.Type.String())
	g := b.done(none)
	_, err = Run(g, map[string]ir.Datum{xv.Name: x, tv.Name: ctlI64([]int64{2, 2}, 2, 3, 0, 2), bad.Name: ctlI64([]int64{2, 5}, make([]int64, 10)...)}, Options{})
	require.ErrorContains(t, err, "target 3 at position 1 is outside [0, 3)")
}

func TestMiscSoftmaxCrossEntropyLoss(t *testing.T) {
	scores := ctlF32([]int64{2, 3}, 1, 2, 3, 0, 0, 0)
	labels := ctlI64([]int64{2}, 2, 0)
	lse := math.Log(math.Exp(1) + math.Exp(2) + math.Exp(3))
	l0, l1 := lse-3, math.Log(3)
	out, vs := miscRunOne(t, 17, "", "SoftmaxCrossEntropyLoss", 2, []*ir.Tensor{scores, labels}, ir.AString("reduction", "none"))
	require.Equal(t, "f32[2]", vs[0].Type.String())
	require.Equal(t, "f32[2,3]", vs[1].Type.String())
	require.InDeltaSlice(t, []float64{l0, l1}, miscF64s(t, out[0]), 1e-6)
	require.InDeltaSlice(t, []float64{1 - lse, 2 - lse, 3 - lse, -math.Log(3), -math.Log(3), -math.Log(3)}, miscF64s(t, out[1]), 1e-6)
	out, _ = miscRunOne(t, 17, "", "SoftmaxCrossEntropyLoss", 1, []*ir.Tensor{scores, labels})
	require.InDelta(t, (l0+l1)/2, miscF64s(t, out[0])[0], 1e-6)
	// Weighted mean: (w2*l0 + w0*l1) / (w2 + w0); float64 in, float64 out.
	s64 := ir.FromFloat64s([]int64{2, 3}, []float64{1, 2, 3, 0, 0, 0})
	w := ir.FromFloat64s([]int64{3}, []float64{0.5, 1, 2})
	out, vs = miscRunOne(t, 17, "", "SoftmaxCrossEntropyLoss", 1, []*ir.Tensor{s64, labels, w})
	require.Equal(t, "f64[]", vs[0].Type.String())
	require.InDelta(t, (2*l0+0.5*l1)/2.5, miscF64s(t, out[0])[0], 1e-12)
	// ignore_index with sum.
	out, _ = miscRunOne(t, 17, "", "SoftmaxCrossEntropyLoss", 1, []*ir.Tensor{scores, labels}, ir.AInt("ignore_index", 0), ir.AString("reduction", "sum"))
	require.InDelta(t, l0, miscF64s(t, out[0])[0], 1e-6)

	b := ctlMain(t, 17)
	xv := b.in("x", ir.TensorType(ir.Float32, ir.Shape{ir.D(2)}))
	tv := b.in("t", ir.TensorType(ir.Int64, ir.Shape{ir.D(2)}))
	_, err := b.try("", "SoftmaxCrossEntropyLoss", 1, []*ir.Value{xv, tv})
	require.ErrorContains(t, err, "rank >= 2")
}
