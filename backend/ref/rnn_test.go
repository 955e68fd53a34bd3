package ref

import (
	"math"
	"math/rand"
	"testing"

	"github.com/llmc/llmc/ir"
	"github.com/stretchr/testify/require"
)

// rnnTRun builds a one-node graph of op (domain dom, opset) over constant inputs (nil = absent),
// runs it and returns the nout outputs.
func rnnTRun(t *testing.T, dom, op string, opset int64, nout int, ins []*ir.Tensor, attrs ...ir.Attr) []*ir.Tensor {
	t.Helper()
	outs, err := rnnTTry(dom, op, opset, nout, ins, attrs...)
	require.NoError(t, err)
	return outs
}

// rnnTTry is rnnTRun returning the build or run error.
func rnnTTry(dom, op string, opset int64, nout int, ins []*ir.Tensor, attrs ...ir.Attr) ([]*ir.Tensor, error) {
	opsets := map[string]int64{"": opset}
	if dom != "" {
		opsets = map[string]int64{"": 17, dom: 1}
	}
	b := ir.NewBuilder("t", opsets)
	vals := make([]*ir.Value, len(ins))
	for i, x := range ins {
		if x != nil {
			vals[i] = b.Const("in", x)
		}
	}
	outs := b.OpD(dom, op, nout, vals, attrs...)
	b.Output(outs...)
	g, err := b.Graph()
	if err != nil {
		return nil, err
	}
	res, err := Run(g, map[string]ir.Datum{}, Options{})
	if err != nil {
		return nil, err
	}
	ts := make([]*ir.Tensor, len(res))
	for i, d := range res {
		ts[i] = d.(*ir.Tensor)
	}
	return ts, nil
}

// rnnTRand returns a float32 tensor of the shape filled with uniform values in [-1, 1).
func rnnTRand(r *rand.Rand, shape ...int64) *ir.Tensor {
	n := 1
	for _, d := range shape {
		n *= int(d)
	}
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(r.Float64()*2 - 1)
	}
	return ir.FromFloat32s(shape, v)
}

func rnnTClose(t *testing.T, want []float64, got *ir.Tensor, tol float64) {
	t.Helper()
	g := F64s(got)
	require.Equal(t, len(want), len(g), "element count")
	for i := range want {
		require.InDelta(t, want[i], g[i], tol, "element %d", i)
	}
}

func rnnTSigmoid(x float64) float64 { return 1 / (1 + math.Exp(-x)) }

// TestRNNByHand checks a 2-step, 1-unit RNN against values computed by hand.
func TestRNNByHand(t *testing.T) {
	x := ir.FromFloat32s([]int64{2, 1, 1}, []float32{1, 2})
	w := ir.FromFloat32s([]int64{1, 1, 1}, []float32{0.5})
	r := ir.FromFloat32s([]int64{1, 1, 1}, []float32{-1})
	b := ir.FromFloat32s([]int64{1, 2}, []float32{0.1, 0.2})
	out := rnnTRun(t, "", "RNN", 14, 2, []*ir.Tensor{x, w, r, b}, ir.AInt("hidden_size", 1))
	h1 := math.Tanh(0.5*1 + 0.3)
	h2 := math.Tanh(0.5*2 - h1 + 0.3)
	rnnTClose(t, []float64{h1, h2}, out[0], 1e-6)
	rnnTClose(t, []float64{h2}, out[1], 1e-6)
	require.Equal(t, []int64{2, 1, 1, 1}, out[0].Shape)

	// Relu activation via the activations attribute.
	out = rnnTRun(t, "", "RNN", 14, 1, []*ir.Tensor{x, w, r, b}, ir.AInt("hidden_size", 1),
		ir.Attr{Name: "activations", Kind: ir.AttrStrings, Strings: [][]byte{[]byte("Relu")}})
	g1 := math.Max(0.5+0.3, 0)
	rnnTClose(t, []float64{g1, math.Max(1-g1+0.3, 0)}, out[0], 1e-6)

	// LeakyRelu takes its alpha from activation_alpha; clip bounds the pre-activation
	acts := ir.Attr{Name: "activations", Kind: ir.AttrStrings, Strings: [][]byte{[]byte("LeakyRelu")}}
	xn := ir.FromFloat32s([]int64{2, 1, 1}, []float32{-1, 3})
	out = rnnTRun(t, "", "RNN", 14, 1, []*ir.Tensor{xn, w, r, b}, ir.AInt("hidden_size", 1), acts, ir.AFloats("activation_alpha", 0.1))
	l1 := 0.1 * (-0.5 + 0.3)
	l2 := 1.5 - l1 + 0.3
	rnnTClose(t, []float64{l1, l2}, out[0], 1e-6)
	out = rnnTRun(t, "", "RNN", 14, 1, []*ir.Tensor{xn, w, r, b}, ir.AInt("hidden_size", 1), acts, ir.AFloats("activation_alpha", 0.1), ir.AFloat("clip", 1))
	rnnTClose(t, []float64{l1, 1}, out[0], 1e-6)
	// ScaledTanh consumes alpha and beta; HardSigmoid falls back to its defaults 0.2, 0.5
	two := ir.Attr{Name: "activations", Kind: ir.AttrStrings, Strings: [][]byte{[]byte("ScaledTanh")}}
	out = rnnTRun(t, "", "RNN", 14, 1, []*ir.Tensor{xn, w, r, b}, ir.AInt("hidden_size", 1), two, ir.AFloats("activation_alpha", 2), ir.AFloats("activation_beta", 0.5))
	s1 := 2 * math.Tanh(0.5*(-0.5+0.3))
	rnnTClose(t, []float64{s1, 2 * math.Tanh(0.5*(1.5-s1+0.3))}, out[0], 1e-6)
	hs := ir.Attr{Name: "activations", Kind: ir.AttrStrings, Strings: [][]byte{[]byte("HardSigmoid")}}
	out = rnnTRun(t, "", "RNN", 14, 1, []*ir.Tensor{xn, w, r, b}, ir.AInt("hidden_size", 1), hs)
	h1s := 0.2*(-0.5+0.3) + 0.5
	rnnTClose(t, []float64{h1s, math.Min(1, 0.2*(1.5-h1s+0.3)+0.5)}, out[0], 1e-6)
}

// TestLSTMInputForget: with input_forget the forget gate is 1 - input gate.
func TestLSTMInputForget(t *testing.T) {
	x := ir.FromFloat32s([]int64{2, 1, 1}, []float32{1, -1})
	// gates i, o, f, c with one unit; recurrence weights zero
	w := ir.FromFloat32s([]int64{1, 4, 1}, []float32{0.5, 1, 9, 2})
	r := ir.FromFloat32s([]int64{1, 4, 1}, []float32{0, 0, 0, 0})
	out := rnnTRun(t, "", "LSTM", 14, 3, []*ir.Tensor{x, w, r}, ir.AInt("hidden_size", 1), ir.AInt("input_forget", 1))
	c := 0.0
	var hs []float64
	for _, xv := range []float64{1, -1} {
		i := rnnTSigmoid(0.5 * xv)
		c = (1-i)*c + i*math.Tanh(2*xv)
		hs = append(hs, rnnTSigmoid(xv)*math.Tanh(c))
	}
	rnnTClose(t, hs, out[0], 1e-6)
	rnnTClose(t, []float64{c}, out[2], 1e-6)
}

// lstmTNaive is an independent LSTM over one direction for batch 1 (no peepholes), with the gate
// blocks addressed by name.
func lstmTNaive(x [][]float64, W, R, B []float64, H int) (ys [][]float64, c []float64) {
	in := len(x[0])
	blk := map[string]int{"i": 0, "o": 1, "f": 2, "c": 3}
	h := make([]float64, H)
	c = make([]float64, H)
	pre := func(g string, j int, xt []float64) float64 {
		row := blk[g]*H + j
		s := B[row] + B[4*H+row]
		for k := 0; k < in; k++ {
			s += W[row*in+k] * xt[k]
		}
		for k := 0; k < H; k++ {
			s += R[row*H+k] * h[k]
		}
		return s
	}
	for _, xt := range x {
		nh, nc := make([]float64, H), make([]float64, H)
		for j := 0; j < H; j++ {
			i := rnnTSigmoid(pre("i", j, xt))
			f := rnnTSigmoid(pre("f", j, xt))
			g := math.Tanh(pre("c", j, xt))
			o := rnnTSigmoid(pre("o", j, xt))
			nc[j] = f*c[j] + i*g
			nh[j] = o * math.Tanh(nc[j])
		}
		h, c = nh, nc
		ys = append(ys, h)
	}
	return ys, c
}

func TestLSTMAgainstNaive(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	const seq, in, H = 4, 3, 2
	x := rnnTRand(r, seq, 1, in)
	w := rnnTRand(r, 1, 4*H, in)
	rr := rnnTRand(r, 1, 4*H, H)
	b := rnnTRand(r, 1, 8*H)
	out := rnnTRun(t, "", "LSTM", 14, 3, []*ir.Tensor{x, w, rr, b}, ir.AInt("hidden_size", H))
	xs := F64s(x)
	var xin [][]float64
	for s := 0; s < seq; s++ {
		xin = append(xin, xs[s*in:(s+1)*in])
	}
	ys, c := lstmTNaive(xin, F64s(w), F64s(rr), F64s(b), H)
	var flat []float64
	for _, y := range ys {
		flat = append(flat, y...)
	}
	rnnTClose(t, flat, out[0], 1e-6)
	rnnTClose(t, ys[seq-1], out[1], 1e-6)
	rnnTClose(t, c, out[2], 1e-6)
}

// gruTNaive is an independent single-direction GRU for batch 1.
func gruTNaive(x [][]float64, W, R, B []float64, H int, linearBeforeReset bool) [][]float64 {
	in := len(x[0])
	h := make([]float64, H)
	var ys [][]float64
	dot := func(m []float64, row, n int, v []float64) float64 {
		s := 0.0
		for k := 0; k < n; k++ {
			s += m[row*n+k] * v[k]
		}
		return s
	}
	for _, xt := range x {
		z, rg := make([]float64, H), make([]float64, H)
		for j := 0; j < H; j++ {
			z[j] = rnnTSigmoid(dot(W, j, in, xt) + dot(R, j, H, h) + B[j] + B[3*H+j])
			rg[j] = rnnTSigmoid(dot(W, H+j, in, xt) + dot(R, H+j, H, h) + B[H+j] + B[4*H+j])
		}
		nh := make([]float64, H)
		for j := 0; j < H; j++ {
			var cand float64
			if linearBeforeReset {
				cand = dot(W, 2*H+j, in, xt) + B[2*H+j] + rg[j]*(dot(R, 2*H+j, H, h)+B[5*H+j])
			} else {
				rh := make([]float64, H)
				for k := range rh {
					rh[k] = rg[k] * h[k]
				}
				cand = dot(W, 2*H+j, in, xt) + dot(R, 2*H+j, H, rh) + B[2*H+j] + B[5*H+j]
			}
			ht := math.Tanh(cand)
			nh[j] = (1-z[j])*ht + z[j]*h[j]
		}
		h = nh
		ys = append(ys, h)
	}
	return ys
}

func TestGRUAgainstNaive(t *testing.T) {
	r := rand.New(rand.NewSource(2))
	const seq, in, H = 3, 2, 3
	x := rnnTRand(r, seq, 1, in)
	w := rnnTRand(r, 1, 3*H, in)
	rr := rnnTRand(r, 1, 3*H, H)
	b := rnnTRand(r, 1, 6*H)
	xs := F64s(x)
	var xin [][]float64
	for s := 0; s < seq; s++ {
		xin = append(xin, xs[s*in:(s+1)*in])
	}
	for _, lbr := range []int64{0, 1} {
		out := rnnTRun(t, "", "GRU", 14, 2, []*ir.Tensor{x, w, rr, b}, ir.AInt("hidden_size", H), ir.AInt("linear_before_reset", lbr))
		ys := gruTNaive(xin, F64s(w), F64s(rr), F64s(b), H, lbr == 1)
		var flat []float64
		for _, y := range ys {
			flat = append(flat, y...)
		}
		rnnTClose(t, flat, out[0], 1e-6)
		rnnTClose(t, ys[seq-1], out[1], 1e-6)
	}
}

// TestRNNIdentities checks bidirectional = forward + forward-on-reversed input, layout 1 =
// transposed layout 0, and sequence_lens = running on the truncated sequence.
func TestRNNIdentities(t *testing.T) {
	r := rand.New(rand.NewSource(3))
	const seq, batch, in, H = 3, 2, 2, 2
	x := rnnTRand(r, seq, batch, in)
	w1, r1, b1 := rnnTRand(r, 1, 4*H, in), rnnTRand(r, 1, 4*H, H), rnnTRand(r, 1, 8*H)
	w2, r2, b2 := rnnTRand(r, 1, 4*H, in), rnnTRand(r, 1, 4*H, H), rnnTRand(r, 1, 8*H)
	cat := func(a, b *ir.Tensor) *ir.Tensor {
		return ir.FromFloat32s(append([]int64{2}, a.Shape[1:]...), append(append([]float32{}, a.Float32s()...), b.Float32s()...))
	}
	hs := ir.AInt("hidden_size", H)
	bi := rnnTRun(t, "", "LSTM", 14, 1, []*ir.Tensor{x, cat(w1, w2), cat(r1, r2), cat(b1, b2)}, hs, ir.AString("direction", "bidirectional"))[0]
	fw := rnnTRun(t, "", "LSTM", 14, 1, []*ir.Tensor{x, w1, r1, b1}, hs)[0]
	// reverse the time axis of x and run forward with the second direction's weights
	xv := x.Float32s()
	xr := make([]float32, len(xv))
	for s := 0; s < seq; s++ {
		copy(xr[s*batch*in:(s+1)*batch*in], xv[(seq-1-s)*batch*in:(seq-s)*batch*in])
	}
	bw := rnnTRun(t, "", "LSTM", 14, 1, []*ir.Tensor{ir.FromFloat32s(x.Shape, xr), w2, r2, b2}, hs)[0]
	require.Equal(t, []int64{seq, 2, batch, H}, bi.Shape)
	biv, fwv, bwv := F64s(bi), F64s(fw), F64s(bw)
	for s := 0; s < seq; s++ {
		for k := 0; k < batch*H; k++ {
			require.InDelta(t, fwv[s*batch*H+k], biv[(s*2+0)*batch*H+k], 1e-6)
			require.InDelta(t, bwv[(seq-1-s)*batch*H+k], biv[(s*2+1)*batch*H+k], 1e-6)
		}
	}

	// layout 1: X is [batch, seq, in], Y is [batch, seq, dirs, H]
	xt := make([]float32, len(xv))
	for s := 0; s < seq; s++ {
		for b := 0; b < batch; b++ {
			copy(xt[(b*seq+s)*in:(b*seq+s+1)*in], xv[(s*batch+b)*in:(s*batch+b+1)*in])
		}
	}
	l1 := rnnTRun(t, "", "LSTM", 14, 2, []*ir.Tensor{ir.FromFloat32s([]int64{batch, seq, in}, xt), w1, r1, b1}, hs, ir.AInt("layout", 1))
	require.Equal(t, []int64{batch, seq, 1, H}, l1[0].Shape)
	require.Equal(t, []int64{batch, 1, H}, l1[1].Shape)
	l1v := F64s(l1[0])
	for s := 0; s < seq; s++ {
		for b := 0; b < batch; b++ {
			for j := 0; j < H; j++ {
				require.InDelta(t, fwv[(s*batch+b)*H+j], l1v[(b*seq+s)*H+j], 1e-6)
			}
		}
	}

	// sequence_lens: batch row 1 stops after 2 steps; its Y rows past that are zero.
	lens := ir.FromInt32s([]int64{batch}, []int32{seq, 2})
	w, rw := rnnTRand(r, 1, 3*H, in), rnnTRand(r, 1, 3*H, H)
	full := rnnTRun(t, "", "GRU", 14, 2, []*ir.Tensor{x, w, rw, nil, lens}, hs, ir.AString("direction", "reverse"))
	short := rnnTRun(t, "", "GRU", 14, 2, []*ir.Tensor{ir.FromFloat32s([]int64{2, batch, in}, xv[:2*batch*in]), w, rw}, hs, ir.AString("direction", "reverse"))
	fv, sv := F64s(full[0]), F64s(short[0])
	for s := 0; s < seq; s++ {
		for j := 0; j < H; j++ {
			got := fv[(s*batch+1)*H+j]
			if s < 2 {
				require.InDelta(t, sv[(s*batch+1)*H+j], got, 1e-6)
			} else {
				require.Equal(t, 0.0, got)
			}
		}
	}
	require.InDelta(t, F64s(short[1])[H], F64s(full[1])[H], 1e-6)
}

func TestRNNInferenceAndErrors(t *testing.T) {
	b := ir.NewBuilder("t", map[string]int64{"": 14})
	x := b.Input("x", ir.TensorType(ir.Float32, ir.Shape{ir.Sym("seq"), ir.Sym("batch"), ir.D(4)}))
	w := b.Input("w", ir.TensorType(ir.Float32, ir.ConcreteShape(2, 12, 4)))
	r := b.Input("r", ir.TensorType(ir.Float32, ir.ConcreteShape(2, 12, 3)))
	outs := b.OpN("GRU", 2, []*ir.Value{x, w, r}, ir.AString("direction", "bidirectional"))
	b.Output(outs...)
	_, err := b.Graph()
	require.NoError(t, err)
	require.Equal(t, "f32[seq,2,batch,3]", outs[0].Type.String())
	require.Equal(t, "f32[2,batch,3]", outs[1].Type.String())

	b = ir.NewBuilder("t", map[string]int64{"": 14})
	x = b.Input("x", ir.TensorType(ir.Float32, ir.Shape{ir.Sym("batch"), ir.Sym("seq"), ir.D(4)}))
	w = b.Input("w", ir.TensorType(ir.Float32, ir.ConcreteShape(1, 8, 4)))
	r = b.Input("r", ir.TensorType(ir.Float32, ir.ConcreteShape(1, 8, 2)))
	outs = b.OpN("LSTM", 3, []*ir.Value{x, w, r}, ir.AInt("layout", 1), ir.AInt("hidden_size", 2))
	require.Equal(t, "f32[batch,seq,1,2]", outs[0].Type.String())
	require.Equal(t, "f32[batch,1,2]", outs[2].Type.String())

	rr := rand.New(rand.NewSource(4))
	xt := rnnTRand(rr, 2, 1, 3)
	_, err = rnnTTry("", "RNN", 14, 1, []*ir.Tensor{xt, rnnTRand(rr, 1, 2, 3), rnnTRand(rr, 1, 2, 2)}, ir.AString("direction", "sideways"))
	require.ErrorContains(t, err, "direction")
	_, err = rnnTTry("", "RNN", 14, 1, []*ir.Tensor{xt, rnnTRand(rr, 1, 2, 4), rnnTRand(rr, 1, 2, 2)})
	require.Error(t, err)
	_, err = rnnTTry("", "LSTM", 14, 1, []*ir.Tensor{xt, rnnTRand(rr, 1, 8, 3), rnnTRand(rr, 1, 8, 2)}, ir.Attr{Name: "activations", Kind: ir.AttrStrings, Strings: [][]byte{[]byte("Bogus"), []byte("Tanh"), []byte("Tanh")}})
	require.ErrorContains(t, err, "Bogus")
}
