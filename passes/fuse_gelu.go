package passes

import (
	"math"

	"github.com/llmc/llmc/ir"
)

// mulFactors flattens a product tree rooted at v: Mul nodes with a single reader (the root's own
// node excepted) are expanded, up to depth levels. It returns the leaves.
func mulFactors(rc *RewriteContext, n *ir.Node, depth int) []*ir.Value {
	var out []*ir.Value
	for _, in := range n.Inputs {
		if m := producer(in, "Mul"); m != nil && depth > 0 && rc.Users.Count(in) == 1 {
			out = append(out, mulFactors(rc, m, depth-1)...)
			continue
		}
		out = append(out, in)
	}
	return out
}

// pickFactors splits factors into exactly one value satisfying isX, one satisfying isOther and
// one scalar constant near c. It returns x and other.
func pickFactors(fs []*ir.Value, c float64, isOther func(v *ir.Value) *ir.Value) (x, other *ir.Value, ok bool) {
	if len(fs) != 3 {
		return nil, nil, false
	}
	var consts, rest []*ir.Value
	for _, f := range fs {
		if isScalarNear(f, c, 1e-6) {
			consts = append(consts, f)
		} else {
			rest = append(rest, f)
		}
	}
	if len(consts) != 1 || len(rest) != 2 {
		return nil, nil, false
	}
	for i := 0; i < 2; i++ {
		if xv := isOther(rest[i]); xv != nil && xv == rest[1-i] {
			return xv, rest[i], true
		}
	}
	return nil, nil, false
}

// onePlus matches 1 + f(v) (Add with a scalar 1 on either side) and returns f's node.
func onePlus(v *ir.Value, op string) *ir.Node {
	add := producer(v, "Add")
	if add == nil {
		return nil
	}
	for i := 0; i < 2; i++ {
		if isScalarNear(add.Inputs[i], 1, 0) {
			return producer(add.Inputs[1-i], op)
		}
	}
	return nil
}

// scaledInput matches v = x*c or x/(1/c) with a scalar constant c (within tol) and returns x.
func scaledInput(v *ir.Value, c, tol float64) *ir.Value {
	if m := producer(v, "Mul"); m != nil {
		for i := 0; i < 2; i++ {
			if isScalarNear(m.Inputs[i], c, tol) {
				return m.Inputs[1-i]
			}
		}
	}
	if d := producer(v, "Div"); d != nil && isScalarNear(d.Inputs[1], 1/c, tol/c/c) {
		return d.Inputs[0]
	}
	return nil
}

type geluMatch struct {
	x, out *ir.Value
	fast   bool
}

// matchGelu: 0.5 * x * (1 + erf(x / sqrt(2))) in any association of the product.
func matchGelu(rc *RewriteContext, n *ir.Node) (any, string) {
	fs := mulFactors(rc, n, 2)
	x, _, ok := pickFactors(fs, 0.5, func(v *ir.Value) *ir.Value {
		erf := onePlus(v, "Erf")
		if erf == nil {
			return nil
		}
		return scaledInput(erf.Inputs[0], 1/math.Sqrt2, 1e-6)
	})
	if !ok {
		return nil, ""
	}
	return &geluMatch{x: x, out: n.Outputs[0]}, ""
}

// matchFastGelu: 0.5 * x * (1 + tanh(sqrt(2/pi) * (x + 0.044715 * x^3))), the cube as Pow or
// products, or the argument factored as sqrt(2/pi) * x * (1 + 0.044715 * x * x).
func matchFastGelu(rc *RewriteContext, n *ir.Node) (any, string) {
	fs := mulFactors(rc, n, 2)
	x, _, ok := pickFactors(fs, 0.5, func(v *ir.Value) *ir.Value {
		th := onePlus(v, "Tanh")
		if th == nil {
			return nil
		}
		if xv := factoredTanhArg(th.Inputs[0]); xv != nil {
			return xv
		}
		inner := scaledInput(th.Inputs[0], math.Sqrt(2/math.Pi), 1e-4)
		add := producer(inner, "Add")
		if add == nil {
			return nil
		}
		for i := 0; i < 2; i++ {
			xv := add.Inputs[i]
			cube := scaledInput(add.Inputs[1-i], 0.044715, 1e-5)
			if cube == nil {
				continue
			}
			if p := producer(cube, "Pow"); p != nil && p.Inputs[0] == xv && isScalarNear(p.Inputs[1], 3, 0) {
				return xv
			}
			if m := producer(cube, "Mul"); m != nil {
				for j := 0; j < 2; j++ {
					if m.Inputs[j] == xv {
						if sq := producer(m.Inputs[1-j], "Mul"); sq != nil && sq.Inputs[0] == xv && sq.Inputs[1] == xv {
							return xv
						}
						if sq := producer(m.Inputs[1-j], "Pow"); sq != nil && sq.Inputs[0] == xv && isScalarNear(sq.Inputs[1], 2, 0) {
							return xv
						}
					}
				}
			}
		}
		return nil
	})
	if !ok {
		return nil, ""
	}
	return &geluMatch{x: x, out: n.Outputs[0], fast: true}, ""
}

// mulLeaves flattens a tree of Muls rooted at v (up to depth levels) into its other leaves and
// the product of its scalar-constant leaves.
func mulLeaves(v *ir.Value, depth int) (leaves []*ir.Value, c float64) {
	c = 1
	var walk func(v *ir.Value, d int)
	walk = func(v *ir.Value, d int) {
		if s, ok := scalarOf(v); ok {
			c *= s
			return
		}
		if m := producer(v, "Mul"); m != nil && d > 0 {
			walk(m.Inputs[0], d-1)
			walk(m.Inputs[1], d-1)
			return
		}
		leaves = append(leaves, v)
	}
	walk(v, depth)
	return leaves, c
}

// factoredTanhArg matches the tanh argument of GELU written as sqrt(2/pi)·x·(1 + 0.044715·x·x)
// (HF gelu_fast, Megatron) in any association of the products, and returns x.
func factoredTanhArg(v *ir.Value) *ir.Value {
	leaves, c := mulLeaves(v, 3)
	if len(leaves) != 2 || math.Abs(c-math.Sqrt(2/math.Pi)) > 1e-4 {
		return nil
	}
	for i := 0; i < 2; i++ {
		x, poly := leaves[i], leaves[1-i]
		add := producer(poly, "Add")
		if add == nil {
			continue
		}
		for j := 0; j < 2; j++ {
			if !isScalarNear(add.Inputs[j], 1, 0) {
				continue
			}
			sq, k := mulLeaves(add.Inputs[1-j], 2)
			if math.Abs(k-0.044715) > 1e-5 {
				continue
			}
			if len(sq) == 2 && sq[0] == x && sq[1] == x {
				return x
			}
			if len(sq) == 1 {
				if p := producer(sq[0], "Pow"); p != nil && p.Inputs[0] == x && isScalarNear(p.Inputs[1], 2, 0) {
					return x
				}
			}
		}
	}
	return nil
}

func rewriteGelu(rc *RewriteContext, mm any) error {
	m := mm.(*geluMatch)
	useMS(rc.G)
	op := "Gelu"
	if m.fast {
		op = "FastGelu"
	}
	n, err := rc.G.AddNode(rc.Names, MSDomain, op, []*ir.Value{m.x}, 1)
	if err != nil {
		return err
	}
	rc.G.ReplaceUses(m.out, n.Outputs[0])
	return nil
}

type biasGeluMatch struct {
	x, bias, out *ir.Value
	op           string
}

// matchBiasGelu: Gelu(x + bias) or FastGelu(x + bias) with a constant bias of the last dim.
func matchBiasGelu(rc *RewriteContext, n *ir.Node) (any, string) {
	if len(n.Inputs) != 1 {
		return nil, ""
	}
	add := producer(n.Inputs[0], "Add")
	if add == nil || rc.Users.Count(n.Inputs[0]) != 1 {
		return nil, ""
	}
	h, ok := lastDim(n.Inputs[0])
	if !ok {
		return nil, "hidden size unknown"
	}
	for i := 0; i < 2; i++ {
		if isVector(add.Inputs[i], h) && sameType(add.Inputs[1-i].Type, n.Inputs[0].Type) {
			return &biasGeluMatch{x: add.Inputs[1-i], bias: add.Inputs[i], out: n.Outputs[0], op: n.Op}, ""
		}
	}
	return nil, "the added value is not a constant bias vector"
}

func rewriteBiasGelu(rc *RewriteContext, mm any) error {
	m := mm.(*biasGeluMatch)
	op := "BiasGelu"
	if m.op == "FastGelu" {
		op = "FastGelu"
	}
	n, err := rc.G.AddNode(rc.Names, MSDomain, op, []*ir.Value{m.x, m.bias}, 1)
	if err != nil {
		return err
	}
	rc.G.ReplaceUses(m.out, n.Outputs[0])
	return nil
}

// The gelu rules: the erf and tanh forms (each rooted at its last Mul) become Gelu and FastGelu,
// and a bias Add before either is absorbed into BiasGelu or FastGelu's bias input.
var (
	ruleGeluErf      = Rule{Name: "gelu-erf", Op: "Mul", Match: matchGelu, Rewrite: rewriteGelu}
	ruleGeluTanh     = Rule{Name: "gelu-tanh", Op: "Mul", Match: matchFastGelu, Rewrite: rewriteGelu}
	ruleBiasGelu     = Rule{Name: "bias-gelu", Domain: MSDomain, Op: "Gelu", Match: matchBiasGelu, Rewrite: rewriteBiasGelu}
	ruleBiasFastGelu = Rule{Name: "bias-fastgelu", Domain: MSDomain, Op: "FastGelu", Match: matchBiasGelu, Rewrite: rewriteBiasGelu}
)
