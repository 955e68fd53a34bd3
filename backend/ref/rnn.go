package ref

import (
	"fmt"
	"math"
	"strings"

	"github.com/llmc/llmc/ir"
)

// Reference evaluation of RNN, LSTM and GRU, following the ONNX equations literally: one time
// step at a time, per direction and batch row, in float64.

func init() {
	SetEval("", "RNN", evalRecurrent(rnnCellRNN))
	SetEval("", "LSTM", evalRecurrent(rnnCellLSTM))
	SetEval("", "GRU", evalRecurrent(rnnCellGRU))
}

// rnnActivation is one activation function with its alpha and beta.
type rnnActivation struct {
	name        string
	alpha, beta float64
}

func (a rnnActivation) apply(x float64) float64 {
	switch a.name {
	case "relu":
		return math.Max(x, 0)
	case "tanh":
		return math.Tanh(x)
	case "sigmoid":
		return 1 / (1 + math.Exp(-x))
	case "affine":
		return a.alpha*x + a.beta
	case "leakyrelu":
		if x >= 0 {
			return x
		}
		return a.alpha * x
	case "thresholdedrelu":
		if x > a.alpha {
			return x
		}
		return 0
	case "scaledtanh":
		return a.alpha * math.Tanh(a.beta*x)
	case "hardsigmoid":
		return math.Max(0, math.Min(1, a.alpha*x+a.beta))
	case "elu":
		if x >= 0 {
			return x
		}
		return a.alpha * (math.Exp(x) - 1)
	case "softsign":
		return x / (1 + math.Abs(x))
	case "softplus":
		return math.Log1p(math.Exp(x))
	}
	return math.NaN()
}

// rnnActivationDefaults gives, per activation, how many of (alpha, beta) it consumes from the
// attribute lists and their defaults when the lists run out.
var rnnActivationDefaults = map[string]struct {
	n           int
	alpha, beta float64
}{
	"relu": {0, 0, 0}, "tanh": {0, 0, 0}, "sigmoid": {0, 0, 0}, "softsign": {0, 0, 0}, "softplus": {0, 0, 0},
	"affine": {2, 1, 0}, "leakyrelu": {1, 0.01, 0}, "thresholdedrelu": {1, 1, 0},
	"scaledtanh": {2, 1, 1}, "hardsigmoid": {2, 0.2, 0.5}, "elu": {1, 1, 0},
}

// rnnActivations parses the activations attribute for nd directions of a cell with per-direction
// defaults def. alpha and beta values are consumed in order by the functions that take them.
func rnnActivations(n *ir.Node, nd int, def []string) ([]rnnActivation, error) {
	names := n.AttrStrings("activations", nil)
	if names == nil {
		for d := 0; d < nd; d++ {
			names = append(names, def...)
		}
	}
	if len(names) == len(def) && nd == 2 {
		names = append(append([]string{}, names...), names...)
	}
	if len(names) != nd*len(def) {
		return nil, fmt.Errorf("activations has %d entries, want %d (%d per direction)", len(names), nd*len(def), len(def))
	}
	alphas := n.AttrFloats("activation_alpha", nil)
	betas := n.AttrFloats("activation_beta", nil)
	ai, bi := 0, 0
	acts := make([]rnnActivation, len(names))
	for i, name := range names {
		key := strings.ToLower(name)
		d, ok := rnnActivationDefaults[key]
		if !ok {
			return nil, fmt.Errorf("unknown activation %q", name)
		}
		a := rnnActivation{name: key, alpha: d.alpha, beta: d.beta}
		if d.n >= 1 && ai < len(alphas) {
			a.alpha = float64(alphas[ai])
			ai++
		}
		if d.n >= 2 && bi < len(betas) {
			a.beta = float64(betas[bi])
			bi++
		}
		acts[i] = a
	}
	return acts, nil
}

// rnnStep is the state of one direction and batch row during a step: inputs of the step, the
// weights of that direction, and the recurrent state, updated in place.
type rnnStep struct {
	x          []float64 // X_t, [input]
	h, c       []float64 // H_{t-1}, C_{t-1} on entry; H_t, C_t on return
	w, r       []float64 // [gates*hidden, input], [gates*hidden, hidden]
	wb, rb     []float64 // [gates*hidden] each
	p          []float64 // peepholes [3*hidden] (LSTM), nil if absent
	hidden     int
	input      int
	acts       []rnnActivation // this direction's activations
	clip       float64         // <= 0: no clip
	linearRst  bool            // GRU linear_before_reset
	inputForgt bool            // LSTM input_forget
}

// rnnCell advances one step.
type rnnCell struct {
	gates  int
	acts   []string // default activations per direction
	states int      // 1: H only; 2: H and C
	step   func(s *rnnStep)
}

// gate returns x W_g^T + h R_g^T + Wb_g + Rb_g for gate g at unit j (h may be a scaled copy).
func (s *rnnStep) gate(g, j int, h []float64, withRecurrence bool) float64 {
	row := g*s.hidden + j
	acc := s.wb[row] + s.rb[row]
	w := s.w[row*s.input : (row+1)*s.input]
	for k, xv := range s.x {
		acc += xv * w[k]
	}
	if withRecurrence {
		r := s.r[row*s.hidden : (row+1)*s.hidden]
		for k, hv := range h {
			acc += hv * r[k]
		}
	}
	return acc
}

func (s *rnnStep) clipped(v float64) float64 {
	if s.clip > 0 {
		return math.Max(-s.clip, math.Min(s.clip, v))
	}
	return v
}

var rnnCellRNN = rnnCell{gates: 1, acts: []string{"Tanh"}, states: 1, step: func(s *rnnStep) {
	next := make([]float64, s.hidden)
	for j := range next {
		next[j] = s.acts[0].apply(s.clipped(s.gate(0, j, s.h, true)))
	}
	copy(s.h, next)
}}

// LSTM gate order in W, R, B: i, o, f, c; peephole order: i, o, f.
var rnnCellLSTM = rnnCell{gates: 4, acts: []string{"Sigmoid", "Tanh", "Tanh"}, states: 2, step: func(s *rnnStep) {
	f, g, h := s.acts[0], s.acts[1], s.acts[2]
	H := s.hidden
	nextH, nextC := make([]float64, H), make([]float64, H)
	for j := 0; j < H; j++ {
		var pi, po, pf float64
		if s.p != nil {
			pi, po, pf = s.p[j], s.p[H+j], s.p[2*H+j]
		}
		it := f.apply(s.clipped(s.gate(0, j, s.h, true) + pi*s.c[j]))
		var ft float64
		if s.inputForgt {
			ft = 1 - it
		} else {
			ft = f.apply(s.clipped(s.gate(2, j, s.h, true) + pf*s.c[j]))
		}
		ct := g.apply(s.clipped(s.gate(3, j, s.h, true)))
		C := ft*s.c[j] + it*ct
		ot := f.apply(s.clipped(s.gate(1, j, s.h, true) + po*C))
		nextC[j] = C
		nextH[j] = ot * h.apply(C)
	}
	copy(s.h, nextH)
	copy(s.c, nextC)
}}

// GRU gate order in W, R, B: z, r, h.
var rnnCellGRU = rnnCell{gates: 3, acts: []string{"Sigmoid", "Tanh"}, states: 1, step: func(s *rnnStep) {
	f, g := s.acts[0], s.acts[1]
	H := s.hidden
	z, r := make([]float64, H), make([]float64, H)
	for j := 0; j < H; j++ {
		z[j] = f.apply(s.clipped(s.gate(0, j, s.h, true)))
		r[j] = f.apply(s.clipped(s.gate(1, j, s.h, true)))
	}
	next := make([]float64, H)
	rh := make([]float64, H)
	for k := range rh {
		rh[k] = r[k] * s.h[k]
	}
	for j := 0; j < H; j++ {
		row := 2*H + j
		var pre float64
		if s.linearRst {
			// Wh x + Wbh + r (.) (Rh h + Rbh)
			rec := s.rb[row]
			rr := s.r[row*H : (row+1)*H]
			for k, hv := range s.h {
				rec += hv * rr[k]
			}
			pre = s.gate(2, j, nil, false) - s.rb[row] + r[j]*rec
		} else {
			pre = s.gate(2, j, rh, true)
		}
		ht := g.apply(s.clipped(pre))
		next[j] = (1-z[j])*ht + z[j]*s.h[j]
	}
	copy(s.h, next)
}}

// evalRecurrent evaluates a recurrent op with the given cell.
func evalRecurrent(cell rnnCell) func(ir.EvalContext, *ir.Node, []*ir.Tensor) ([]*ir.Tensor, error) {
	return func(ctx ir.EvalContext, n *ir.Node, in []*ir.Tensor) ([]*ir.Tensor, error) {
		X, W, R := in[0], in[1], in[2]
		get := func(i int) *ir.Tensor {
			if i < len(in) {
				return in[i]
			}
			return nil
		}
		B, seqLens, initH := get(3), get(4), get(5)
		var initC, P *ir.Tensor
		if cell.states == 2 {
			initC, P = get(6), get(7)
		}
		if !signalFloatDType(X.DType) {
			return nil, Unsupportedf("%s on %s", n.Op, X.DType)
		}
		for _, t := range []*ir.Tensor{W, R, B, initH, initC, P} {
			if t != nil && t.DType != X.DType {
				return nil, fmt.Errorf("weights and states must have X's type %s, got %s", X.DType, t.DType)
			}
		}
		nd64, err := rnnDirections(n.AttrString("direction", "forward"))
		if err != nil {
			return nil, err
		}
		nd := int(nd64)
		layout := n.AttrInt("layout", 0)
		if layout != 0 && layout != 1 {
			return nil, fmt.Errorf("layout %d is not 0 or 1", layout)
		}
		if len(X.Shape) != 3 || len(W.Shape) != 3 || len(R.Shape) != 3 {
			return nil, fmt.Errorf("X %v, W %v and R %v must all have rank 3", X.Shape, W.Shape, R.Shape)
		}
		seq, batch, input := int(X.Shape[0]), int(X.Shape[1]), int(X.Shape[2])
		if layout == 1 {
			seq, batch = batch, seq
		}
		hidden := int(R.Shape[2])
		if hs := n.AttrInt("hidden_size", int64(hidden)); hs != int64(hidden) {
			return nil, fmt.Errorf("hidden_size %d differs from R's last dim %d", hs, hidden)
		}
		G := cell.gates
		if W.Shape[0] != nd64 || W.Shape[1] != int64(G*hidden) || W.Shape[2] != int64(input) {
			return nil, fmt.Errorf("W has shape %v, want [%d, %d, %d]", W.Shape, nd, G*hidden, input)
		}
		if R.Shape[0] != nd64 || R.Shape[1] != int64(G*hidden) {
			return nil, fmt.Errorf("R has shape %v, want [%d, %d, %d]", R.Shape, nd, G*hidden, hidden)
		}
		if B != nil && !rnnShapeIs(B.Shape, nd, 2*G*hidden) {
			return nil, fmt.Errorf("B has shape %v, want [%d, %d]", B.Shape, nd, 2*G*hidden)
		}
		if P != nil && !rnnShapeIs(P.Shape, nd, 3*hidden) {
			return nil, fmt.Errorf("P has shape %v, want [%d, %d]", P.Shape, nd, 3*hidden)
		}
		stateShape := []int{nd, batch, hidden}
		if layout == 1 {
			stateShape = []int{batch, nd, hidden}
		}
		for _, t := range []*ir.Tensor{initH, initC} {
			if t != nil && !rnnShapeIs(t.Shape, stateShape...) {
				return nil, fmt.Errorf("initial state has shape %v, want %v", t.Shape, stateShape)
			}
		}
		lens := make([]int, batch)
		for b := range lens {
			lens[b] = seq
		}
		if seqLens != nil {
			if !seqLens.DType.IsInt() || !rnnShapeIs(seqLens.Shape, batch) {
				return nil, fmt.Errorf("sequence_lens must be an integer vector of length %d, got %s%v", batch, seqLens.DType, seqLens.Shape)
			}
			for b, v := range seqLens.AsInt64s() {
				if v < 0 || v > int64(seq) {
					return nil, fmt.Errorf("sequence_lens[%d] = %d is outside [0, %d]", b, v, seq)
				}
				lens[b] = int(v)
			}
		}
		acts, err := rnnActivations(n, nd, cell.acts)
		if err != nil {
			return nil, err
		}
		clip := -1.0
		if a := n.Attr("clip"); a != nil {
			clip = float64(a.F)
			if clip <= 0 {
				return nil, fmt.Errorf("clip %g must be positive", clip)
			}
		}
		xs, ws, rs := F64s(X), F64s(W), F64s(R)
		var bs, ps, h0, c0 []float64
		if B != nil {
			bs = F64s(B)
		} else {
			bs = make([]float64, nd*2*G*hidden)
		}
		if P != nil {
			ps = F64s(P)
		}
		if initH != nil {
			h0 = F64s(initH)
		}
		if initC != nil {
			c0 = F64s(initC)
		}
		// index helpers for the layout-dependent tensors
		xAt := func(t, b int) []float64 {
			off := (t*batch + b) * input
			if layout == 1 {
				off = (b*seq + t) * input
			}
			return xs[off : off+input]
		}
		stateOff := func(d, b int) int {
			if layout == 1 {
				return (b*nd + d) * hidden
			}
			return (d*batch + b) * hidden
		}
		yOff := func(t, d, b int) int {
			if layout == 1 {
				return ((b*seq+t)*nd + d) * hidden
			}
			return ((t*nd+d)*batch + b) * hidden
		}
		if len(n.Outputs) == 0 {
			return nil, nil
		}
		// allocate the outputs first: their sizes come from the model, so the cap must see them
		dt := X.DType
		yShape := []int64{int64(seq), nd64, int64(batch), int64(hidden)}
		if layout == 1 {
			yShape = []int64{int64(batch), int64(seq), nd64, int64(hidden)}
		}
		sShape := []int64{int64(stateShape[0]), int64(stateShape[1]), int64(stateShape[2])}
		outs := make([]*ir.Tensor, len(n.Outputs))
		for i, v := range n.Outputs {
			if v == nil && i != 0 {
				continue
			}
			shape := sShape
			if i == 0 {
				shape = yShape
			}
			t, err := signalNewTensor(ctx, dt, shape)
			if err != nil {
				return nil, err
			}
			if v != nil {
				outs[i] = t
			}
		}
		ys := make([]float64, seq*nd*batch*hidden)
		hLast := make([]float64, nd*batch*hidden)
		cLast := make([]float64, nd*batch*hidden)
		dir := n.AttrString("direction", "forward")
		for d := 0; d < nd; d++ {
			reverse := dir == "reverse" || (dir == "bidirectional" && d == 1)
			GH := G * hidden
			st := rnnStep{
				w: ws[d*GH*input : (d+1)*GH*input], r: rs[d*GH*hidden : (d+1)*GH*hidden],
				wb: bs[d*2*GH : d*2*GH+GH], rb: bs[d*2*GH+GH : (d+1)*2*GH],
				hidden: hidden, input: input, clip: clip,
				acts:       acts[d*len(cell.acts) : (d+1)*len(cell.acts)],
				linearRst:  n.AttrInt("linear_before_reset", 0) != 0,
				inputForgt: n.AttrInt("input_forget", 0) != 0,
			}
			if ps != nil {
				st.p = ps[d*3*hidden : (d+1)*3*hidden]
			}
			for b := 0; b < batch; b++ {
				st.h = make([]float64, hidden)
				st.c = make([]float64, hidden)
				if h0 != nil {
					copy(st.h, h0[stateOff(d, b):])
				}
				if c0 != nil {
					copy(st.c, c0[stateOff(d, b):])
				}
				for i := 0; i < lens[b]; i++ {
					t := i
					if reverse {
						t = lens[b] - 1 - i
					}
					st.x = xAt(t, b)
					cell.step(&st)
					copy(ys[yOff(t, d, b):], st.h)
				}
				copy(hLast[stateOff(d, b):], st.h)
				copy(cLast[stateOff(d, b):], st.c)
			}
		}
		for i, t := range outs {
			switch {
			case t == nil:
			case i == 0:
				SetF64s(t, ys)
			case i == 1:
				SetF64s(t, hLast)
			default:
				SetF64s(t, cLast)
			}
		}
		return outs, nil
	}
}

// rnnDirections maps the direction attribute to the number of directions.
func rnnDirections(dir string) (int64, error) {
	switch dir {
	case "forward", "reverse":
		return 1, nil
	case "bidirectional":
		return 2, nil
	case "foward": // GRU-1's misspelt default
		return 1, nil
	}
	return 0, fmt.Errorf("direction %q is not forward, reverse or bidirectional", dir)
}

// rnnShapeIs reports whether shape equals dims.
func rnnShapeIs(shape []int64, dims ...int) bool {
	if len(shape) != len(dims) {
		return false
	}
	for i, d := range dims {
		if shape[i] != int64(d) {
			return false
		}
	}
	return true
}
