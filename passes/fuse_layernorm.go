package passes

import (
	"github.com/llmc/llmc/ir"
)

// MSDomain is ONNX Runtime's contrib-op domain, where the fused transformer ops live.
const MSDomain = "com.microsoft"

func useMS(g *ir.Graph) {
	if _, ok := g.Opsets[MSDomain]; !ok {
		g.Opsets[MSDomain] = 1
	}
}

// layerNormMatch is a decomposed LayerNorm over the last axis:
//
//	m = ReduceMean(x); d = x - m; v = ReduceMean(d*d or d^2); y = d / Sqrt(v + eps) [* gamma] [+ beta]
type layerNormMatch struct {
	x, gamma, beta, out *ir.Value
	eps                 float32
}

func matchLayerNorm(rc *RewriteContext, div *ir.Node) (any, string) {
	d, s := div.Inputs[0], div.Inputs[1]
	sub := producer(d, "Sub")
	sqrt := producer(s, "Sqrt")
	if sub == nil || sqrt == nil {
		return nil, ""
	}
	x := sub.Inputs[0]
	mean := producer(sub.Inputs[1], "ReduceMean")
	if mean == nil || mean.Inputs[0] != x {
		return nil, "Sub does not subtract ReduceMean of the same input"
	}
	r := rankOf(x)
	if axes, ok := reduceAxes(mean); !ok || !isLastAxis(axes, r) || mean.AttrInt("keepdims", 1) != 1 {
		return nil, "mean is not over the last axis with keepdims"
	}
	add := producer(sqrt.Inputs[0], "Add")
	if add == nil {
		return nil, "Sqrt input is not variance + epsilon"
	}
	var eps float64
	var varV *ir.Value
	if e, ok := scalarOf(add.Inputs[1]); ok {
		eps, varV = e, add.Inputs[0]
	} else if e, ok := scalarOf(add.Inputs[0]); ok {
		eps, varV = e, add.Inputs[1]
	} else {
		return nil, "epsilon is not a scalar constant"
	}
	vmean := producer(varV, "ReduceMean")
	if vmean == nil {
		return nil, "variance is not a ReduceMean"
	}
	if axes, ok := reduceAxes(vmean); !ok || !isLastAxis(axes, r) || vmean.AttrInt("keepdims", 1) != 1 {
		return nil, "variance is not over the last axis with keepdims"
	}
	sq := vmean.Inputs[0].Def
	switch {
	case sq == nil:
		return nil, "variance input is not d^2"
	case sq.Op == "Pow" && sq.Domain == "" && sq.Inputs[0] == d && isScalarNear(sq.Inputs[1], 2, 0):
	case sq.Op == "Mul" && sq.Domain == "" && sq.Inputs[0] == d && sq.Inputs[1] == d:
	default:
		return nil, "variance input is not (x-mean)^2"
	}
	if x.Type.DType != ir.Float32 && x.Type.DType != ir.Float64 && x.Type.DType != ir.Float16 {
		return nil, "not a float tensor"
	}
	h, ok := lastDim(x)
	if !ok {
		return nil, "hidden size is unknown"
	}
	m := &layerNormMatch{x: x, out: div.Outputs[0], eps: float32(eps)}
	// absorb the affine part when it follows alone
	if mul := rc.Users.Only(m.out); mul != nil && mul.Op == "Mul" && mul.Domain == "" {
		if g := otherInput(mul, m.out); isVector(g, h) {
			m.gamma, m.out = g, mul.Outputs[0]
			if add := rc.Users.Only(m.out); add != nil && add.Op == "Add" && add.Domain == "" {
				if b := otherInput(add, m.out); isVector(b, h) {
					m.beta, m.out = b, add.Outputs[0]
				}
			}
		}
	}
	if why := opset17Refusal(rc.G); why != "" {
		return nil, why
	}
	return m, ""
}

// isVector reports whether v is a constant of shape [h].
func isVector(v *ir.Value, h int64) bool {
	t := constOf(v)
	return t != nil && len(t.Shape) == 1 && t.Shape[0] == h
}

func rewriteLayerNorm(rc *RewriteContext, mm any) error {
	m := mm.(*layerNormMatch)
	ensureOpset17(rc.G, rc.Names)
	h, _ := lastDim(m.x)
	dt := m.x.Type.DType
	if m.gamma == nil {
		m.gamma = rc.G.AddConst(rc.Names, "layernorm_ones", filled(dt, h, 1))
	}
	ins := []*ir.Value{m.x, m.gamma}
	if m.beta != nil {
		ins = append(ins, m.beta)
	}
	n, err := rc.G.AddNode(rc.Names, "", "LayerNormalization", ins, 1, ir.AInt("axis", -1), ir.AFloat("epsilon", m.eps))
	if err != nil {
		return err
	}
	rc.G.ReplaceUses(m.out, n.Outputs[0])
	return nil
}

func filled(dt ir.DType, n int64, v float64) *ir.Tensor {
	t := ir.MustTensor(dt, n)
	vals := make([]float64, n)
	for i := range vals {
		vals[i] = v
	}
	setF64(t, vals)
	return t
}

// skipMatch is LayerNormalization(a + b [+ bias]) over the last axis.
type skipMatch struct {
	ln                *ir.Node
	input, skip, bias *ir.Value
	sum               *ir.Value // the residual sum, when other nodes use it too
}

func matchSkipLayerNorm(rc *RewriteContext, ln *ir.Node) (any, string) {
	if len(ln.Outputs) > 1 && (ln.Outputs[1] != nil || (len(ln.Outputs) > 2 && ln.Outputs[2] != nil)) {
		return nil, "mean/inv_std outputs are used"
	}
	x := ln.Inputs[0]
	add := producer(x, "Add")
	if add == nil {
		return nil, ""
	}
	r := rankOf(x)
	if r != 3 && r != 2 {
		return nil, "input is not rank 2 or 3"
	}
	if axis := ln.AttrInt("axis", -1); axis != -1 && axis != int64(r-1) {
		return nil, "not normalizing the last axis"
	}
	h, ok := lastDim(x)
	if !ok || !isVector(ln.Inputs[1], h) || (len(ln.Inputs) > 2 && ln.Inputs[2] != nil && !isVector(ln.Inputs[2], h)) {
		return nil, "gamma/beta are not constant vectors of the hidden size"
	}
	a, b := add.Inputs[0], add.Inputs[1]
	if !sameType(a.Type, x.Type) || !sameType(b.Type, x.Type) {
		return nil, "the residual Add broadcasts"
	}
	m := &skipMatch{ln: ln, input: a, skip: b}
	// absorb a bias added to either side: Add(y, bias) with a constant [h]
	for i, side := range []*ir.Value{a, b} {
		if ba := producer(side, "Add"); ba != nil && rc.Users.Count(side) == 1 {
			for j := 0; j < 2; j++ {
				if isVector(ba.Inputs[j], h) && sameType(ba.Inputs[1-j].Type, x.Type) {
					m.bias = ba.Inputs[j]
					if i == 0 {
						m.input = ba.Inputs[1-j]
					} else {
						m.input, m.skip = ba.Inputs[1-j], a
					}
					break
				}
			}
		}
		if m.bias != nil {
			break
		}
	}
	if rc.Users.Count(x) > 1 {
		m.sum = x
	}
	return m, ""
}

func rewriteSkipLayerNorm(rc *RewriteContext, mm any) error {
	m := mm.(*skipMatch)
	useMS(rc.G)
	ins := []*ir.Value{m.input, m.skip, m.ln.Inputs[1]}
	beta := m.ln.Input(2)
	if beta == nil && m.bias != nil {
		h, _ := lastDim(m.input)
		beta = rc.G.AddConst(rc.Names, "skiplayernorm_zeros", filled(m.input.Type.DType, h, 0))
	}
	if beta != nil {
		ins = append(ins, beta)
	}
	if m.bias != nil {
		ins = append(ins, m.bias)
	}
	nout := 1
	if m.sum != nil {
		nout = 4
	}
	n, err := rc.G.AddNode(rc.Names, MSDomain, "SkipLayerNormalization", ins, nout, ir.AFloat("epsilon", m.ln.AttrFloat("epsilon", 1e-5)))
	if err != nil {
		return err
	}
	if m.sum != nil {
		n.Outputs[1], n.Outputs[2] = nil, nil
		rc.G.ReplaceUses(m.sum, n.Outputs[3])
	}
	rc.G.ReplaceUses(m.ln.Outputs[0], n.Outputs[0])
	return nil
}

// ruleLayerNorm turns the decomposed mean/variance/normalize pattern (rooted at its Div) into
// LayerNormalization; ruleSkipLayerNorm absorbs the residual (and bias) Adds before a
// LayerNormalization into SkipLayerNormalization.
var (
	ruleLayerNorm     = Rule{Name: "layernorm", Op: "Div", Match: matchLayerNorm, Rewrite: rewriteLayerNorm}
	ruleSkipLayerNorm = Rule{Name: "skip-layernorm", Op: "LayerNormalization", Match: matchSkipLayerNorm, Rewrite: rewriteSkipLayerNorm}
)
