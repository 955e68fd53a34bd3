package ir

import "fmt"

// Recurrent ops: RNN, LSTM and GRU. All three share one shape contract:
//
//	layout 0: X [seq, batch, input], Y [seq, num_directions, batch, hidden], Y_h/Y_c [num_directions, batch, hidden]
//	layout 1: X [batch, seq, input], Y [batch, seq, num_directions, hidden], Y_h/Y_c [batch, num_directions, hidden]
//
// W is [num_directions, gates*hidden, input], R is [num_directions, gates*hidden, hidden] and B is
// [num_directions, 2*gates*hidden].

// rnnAttrs are the attributes shared by RNN, LSTM and GRU across all their versions.
func rnnAttrs(extra ...AttrSpec) []AttrSpec {
	a := []AttrSpec{
		opt("activation_alpha", AttrFloats),
		opt("activation_beta", AttrFloats),
		opt("activations", AttrStrings),
		opt("clip", AttrFloat),
		optString("direction", "forward"),
		opt("hidden_size", AttrInt),
		opt("output_sequence", AttrInt), // opset 1 only
		optInt("layout", 0),             // opset 14+
	}
	return append(a, extra...)
}

// rnnNumDirections returns 1 or 2 for a direction attribute, or an error naming it.
func rnnNumDirections(dir string) (int64, error) {
	switch dir {
	case "forward", "reverse", "foward": // "foward" is GRU-1's misspelt default
		return 1, nil
	case "bidirectional":
		return 2, nil
	}
	return 0, fmt.Errorf("direction %q is not forward, reverse or bidirectional", dir)
}

// rnnInfer returns the inference hook of a recurrent op with the given number of gates and
// number of state outputs (Y_h, plus Y_c for LSTM).
func rnnInfer(gates int64) InferFunc {
	return func(c *InferContext) ([]Type, error) {
		n := c.Node
		nd, err := rnnNumDirections(n.AttrString("direction", "forward"))
		if err != nil {
			return nil, err
		}
		layout := n.AttrInt("layout", 0)
		if layout != 0 && layout != 1 {
			return nil, fmt.Errorf("layout %d is not 0 or 1", layout)
		}
		dt := c.In[0].DType
		seq, batch := UnknownDim(), UnknownDim()
		if xs, ok := c.RankedIn(0); ok {
			if len(xs) != 3 {
				return nil, fmt.Errorf("X must have rank 3, got %s", xs)
			}
			seq, batch = xs[0], xs[1]
			if layout == 1 {
				seq, batch = xs[1], xs[0]
			}
		}
		hidden := UnknownDim()
		if hs := n.AttrInt("hidden_size", -1); n.Attr("hidden_size") != nil {
			if hs <= 0 {
				return nil, fmt.Errorf("hidden_size %d must be positive", hs)
			}
			hidden = D(hs)
		}
		if ws, ok := c.RankedIn(1); ok {
			if len(ws) != 3 {
				return nil, fmt.Errorf("W must have rank 3, got %s", ws)
			}
			if ws[0].IsConcrete() && ws[0].Value != nd {
				return nil, fmt.Errorf("W has %d directions, direction attribute implies %d", ws[0].Value, nd)
			}
			if hidden.IsConcrete() && ws[1].IsConcrete() && ws[1].Value != gates*hidden.Value {
				return nil, fmt.Errorf("W dim 1 is %d, want %d*hidden_size = %d", ws[1].Value, gates, gates*hidden.Value)
			}
		}
		if rs, ok := c.RankedIn(2); ok {
			if len(rs) != 3 {
				return nil, fmt.Errorf("R must have rank 3, got %s", rs)
			}
			if !hidden.IsConcrete() && rs[2].IsConcrete() {
				hidden = rs[2]
			}
			if hidden.IsConcrete() && rs[2].IsConcrete() && rs[2].Value != hidden.Value {
				return nil, fmt.Errorf("R dim 2 is %d, want hidden_size %d", rs[2].Value, hidden.Value)
			}
		}
		out := make([]Type, len(n.Outputs))
		dirs := D(nd)
		for i := range out {
			if i == 0 {
				if layout == 0 {
					out[i] = TensorType(dt, Shape{seq, dirs, batch, hidden})
				} else {
					out[i] = TensorType(dt, Shape{batch, seq, dirs, hidden})
				}
				continue
			}
			if layout == 0 {
				out[i] = TensorType(dt, Shape{dirs, batch, hidden})
			} else {
				out[i] = TensorType(dt, Shape{batch, dirs, hidden})
			}
		}
		return out, nil
	}
}

// rnnCost returns the cost model of a recurrent op with the given number of gates: per step,
// direction and batch row, 2*gates*hidden*(input+hidden) FLOPs for the two products.
func rnnCost(gates int64) CostFunc {
	return func(n *Node, in, out []Type) Cost {
		c := Cost{Bytes: contribTypeBytes(in) + contribTypeBytes(out)}
		x, r := contribDims(in, 0), contribDims(in, 2)
		if len(x) != 3 || len(r) != 3 {
			return c
		}
		c.FLOPs = 2 * x[0] * x[1] * r[0] * gates * r[2] * (x[2] + r[2])
		return c
	}
}

func init() {
	RegisterOp(&OpSchema{Name: "RNN", Since: 1, Category: "nn",
		Doc:   "simple recurrent network: H_t = f(X_t W^T + H_{t-1} R^T + Wb + Rb), per direction",
		MinIn: 3, MaxIn: 6, MinOut: 0, MaxOut: 2,
		Attrs: rnnAttrs(),
		Infer: rnnInfer(1), Cost: rnnCost(1)})
	RegisterOp(&OpSchema{Name: "LSTM", Since: 1, Category: "nn",
		Doc:   "long short-term memory network (gates i, o, f, c; optional peepholes), per direction",
		MinIn: 3, MaxIn: 8, MinOut: 0, MaxOut: 3,
		Attrs: rnnAttrs(optInt("input_forget", 0)),
		Infer: rnnInfer(4), Cost: rnnCost(4)})
	RegisterOp(&OpSchema{Name: "GRU", Since: 1, Category: "nn",
		Doc:   "gated recurrent unit network (gates z, r, h), per direction",
		MinIn: 3, MaxIn: 6, MinOut: 0, MaxOut: 2,
		Attrs: rnnAttrs(optInt("linear_before_reset", 0)),
		Infer: rnnInfer(3), Cost: rnnCost(3)})
}
