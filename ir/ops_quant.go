package ir

import "fmt"

// Quantization ops of the default domain: linear (de)quantization and the integer / quantized
// matmul and convolution ops.

func init() {
	RegisterOp(&OpSchema{Name: "QuantizeLinear", Since: 10, Category: "quant",
		Doc:   "y = saturate(round_half_even(x / y_scale) + y_zero_point), per tensor, per axis or per block; y has y_zero_point's type (uint8 by default)",
		MinIn: 2, MaxIn: 3, MinOut: 1, MaxOut: 1,
		Attrs: []AttrSpec{optInt("axis", 1), optInt("saturate", 1), optInt("block_size", 0),
			optInt("output_dtype", 0), optInt("precision", 0)},
		Infer: quantInferQuantize})
	RegisterOp(&OpSchema{Name: "DequantizeLinear", Since: 10, Category: "quant",
		Doc:   "y = (x - x_zero_point) * x_scale, per tensor, per axis or per block; y has x_scale's type",
		MinIn: 2, MaxIn: 3, MinOut: 1, MaxOut: 1,
		Attrs: []AttrSpec{optInt("axis", 1), optInt("block_size", 0), optInt("output_dtype", 0)},
		Infer: quantInferDequantize})
	RegisterOp(&OpSchema{Name: "DynamicQuantizeLinear", Since: 11, Category: "quant",
		Doc:   "quantizes x to uint8 with scale = (max(x,0)-min(x,0))/255 and zero point = saturate(round(-min(x,0)/scale)); returns y, y_scale, y_zero_point",
		MinIn: 1, MaxIn: 1, MinOut: 3, MaxOut: 3,
		Infer: quantInferDynamic})
	RegisterOp(&OpSchema{Name: "MatMulInteger", Since: 10, Category: "quant",
		Doc:   "y = (a - a_zero_point) @ (b - b_zero_point) in int32, numpy matmul semantics; zero points per tensor or per row of a / column of b",
		MinIn: 2, MaxIn: 4, MinOut: 1, MaxOut: 1,
		Infer: nnInferMatMul(0, 1, Int32), Cost: nnMatMulCost})
	RegisterOp(&OpSchema{Name: "QLinearMatMul", Since: 10, Category: "quant",
		Doc:   "y = quantize(dequantize(a) @ dequantize(b), y_scale, y_zero_point); inputs a, a_scale, a_zero_point, b, b_scale, b_zero_point, y_scale, y_zero_point",
		MinIn: 8, MaxIn: 8, MinOut: 1, MaxOut: 1,
		Infer: quantInferQLinearMatMul})
	RegisterOp(&OpSchema{Name: "ConvInteger", Since: 10, Category: "quant",
		Doc:   "y = Conv(x - x_zero_point, w - w_zero_point) accumulated in int32",
		MinIn: 2, MaxIn: 4, MinOut: 1, MaxOut: 1,
		Attrs: nnConvAttrs(),
		Infer: nnInferConvLike(1, Int32), Cost: nnConvCost})
	RegisterOp(&OpSchema{Name: "QLinearConv", Since: 10, Category: "quant",
		Doc:   "y = quantize(Conv(dequantize(x), dequantize(w)) + B*x_scale*w_scale, y_scale, y_zero_point); inputs x, x_scale, x_zp, w, w_scale, w_zp, y_scale, y_zp, B (int32)",
		MinIn: 8, MaxIn: 9, MinOut: 1, MaxOut: 1,
		Attrs: nnConvAttrs(),
		Infer: quantInferQLinearConv})
}

func quantInferQuantize(c *InferContext) ([]Type, error) {
	dt := Uint8
	if od := c.Node.AttrInt("output_dtype", 0); od != 0 {
		dt = DType(od)
		if !dt.Valid() {
			return nil, fmt.Errorf("output_dtype %d is not a valid element type", od)
		}
	}
	if c.HasInput(2) && c.In[2].DType != Undefined {
		if od := c.Node.AttrInt("output_dtype", 0); od != 0 && DType(od) != c.In[2].DType {
			return nil, fmt.Errorf("output_dtype %s disagrees with y_zero_point's type %s", DType(od), c.In[2].DType)
		}
		dt = c.In[2].DType
	}
	if err := quantCheckParams(c); err != nil {
		return nil, err
	}
	t := c.In[0].Clone()
	t.Kind, t.DType = KindTensor, dt
	return []Type{t}, nil
}

func quantInferDequantize(c *InferContext) ([]Type, error) {
	dt := c.In[1].DType
	if dt == Undefined {
		dt = Float32
	}
	if od := c.Node.AttrInt("output_dtype", 0); od != 0 {
		dt = DType(od)
		if !dt.IsFloat() {
			return nil, fmt.Errorf("output_dtype %d is not a floating-point type", od)
		}
	}
	if err := quantCheckParams(c); err != nil {
		return nil, err
	}
	t := c.In[0].Clone()
	t.Kind, t.DType = KindTensor, dt
	return []Type{t}, nil
}

// quantCheckParams checks the scale / zero point shapes of (De)QuantizeLinear against x: a
// scalar (or one-element 1-D) for per-tensor, 1-D of x's axis size for per-axis, x's rank for
// blocked quantization.
func quantCheckParams(c *InferContext) error {
	s, ok := c.RankedIn(1)
	if !ok {
		return nil
	}
	if z, ok := c.RankedIn(2); ok && c.HasInput(2) {
		zn, okZ := z.Ints()
		sn, okS := s.Ints()
		if okZ && okS {
			a, _ := NumElements(zn)
			b, _ := NumElements(sn)
			if a != b {
				return fmt.Errorf("zero point shape %v differs from scale shape %v", z, s)
			}
		}
	}
	x, ok := c.RankedIn(0)
	if !ok || len(s) == 0 {
		return nil
	}
	if c.Node.AttrInt("block_size", 0) > 0 {
		if len(s) != len(x) {
			return fmt.Errorf("blocked quantization: scale rank %d differs from input rank %d", len(s), len(x))
		}
		return nil
	}
	if len(s) != 1 {
		return fmt.Errorf("scale must be a scalar or 1-D (per axis), got shape %v", s)
	}
	if s[0].IsConcrete() && s[0].Value == 1 {
		return nil
	}
	axis, err := NormalizeAxis(c.Node.AttrInt("axis", 1), len(x))
	if err != nil {
		return err
	}
	if _, ok := nnMergeDim(s[0], x[axis]); !ok {
		return fmt.Errorf("per-axis scale has %v values, input dim %d has %v", s[0], axis, x[axis])
	}
	return nil
}

func quantInferDynamic(c *InferContext) ([]Type, error) {
	t := c.In[0].Clone()
	t.Kind, t.DType = KindTensor, Uint8
	return []Type{t, TensorType(Float32, Shape{}), TensorType(Uint8, Shape{})}, nil
}

func quantInferQLinearMatMul(c *InferContext) ([]Type, error) {
	ts, err := nnInferMatMul(0, 3, c.In[7].DType)(c)
	if err != nil {
		return nil, err
	}
	if ts[0].DType == Undefined {
		ts[0].DType = c.In[0].DType
	}
	return ts, nil
}

func quantInferQLinearConv(c *InferContext) ([]Type, error) {
	dt := c.In[7].DType
	if dt == Undefined {
		dt = c.In[0].DType
	}
	return nnInferConvLike(3, dt)(c)
}
