package ir

import "fmt"

// Elementwise ops: unary math, activations, binary arithmetic/logic/comparison with numpy
// broadcasting (or the legacy broadcast/axis attributes before opset 7), variadic Max/Min/Sum/
// Mean, Where, Clip, PRelu and the Cast family.

// elemLegacyBroadcastAttrs declares the attributes binary ops had before opset 7 (broadcast=1
// aligns b to a starting at axis) and, for ops that had it before opset 6, consumed_inputs.
func elemLegacyBroadcastAttrs(consumed bool) []AttrSpec {
	as := []AttrSpec{opt("broadcast", AttrInt), opt("axis", AttrInt)}
	if consumed {
		as = append(as, opt("consumed_inputs", AttrInts))
	}
	return as
}

// elemIsLegacy reports whether a binary op node uses the pre-opset-7 broadcasting rules.
func elemIsLegacy(opset int64) bool { return opset >= 1 && opset < 7 }

// ElemLegacyAxis returns where b's dims start inside a's under the pre-opset-7 rule
// (broadcast=1): axis when given (negative counts from the end), else len(a)-len(b). It fails
// when b does not fit inside a at that position.
func ElemLegacyAxis(n *Node, ra, rb int) (int, error) {
	if rb > ra {
		return 0, fmt.Errorf("legacy broadcast: b has rank %d, more than a's rank %d", rb, ra)
	}
	axis := int64(ra - rb)
	if a := n.Attr("axis"); a != nil {
		axis = a.I
		if axis < 0 {
			axis += int64(ra)
		}
	}
	if axis < 0 || axis+int64(rb) > int64(ra) {
		return 0, fmt.Errorf("legacy broadcast: axis %d does not fit b of rank %d into a of rank %d", n.AttrInt("axis", 0), rb, ra)
	}
	return int(axis), nil
}

// elemInferLegacy infers the result of a pre-opset-7 binary op: a's shape, with b either of the
// same shape (broadcast=0) or aligned inside a at axis (broadcast=1).
func elemInferLegacy(c *InferContext) (Type, error) {
	a, b := c.In[0], c.In[1]
	out := a.Clone()
	out.Kind = KindTensor
	if out.DType == Undefined {
		out.DType = b.DType
	}
	if !a.Ranked || !b.Ranked {
		return out, nil
	}
	if c.Node.AttrInt("broadcast", 0) == 0 {
		if len(a.Shape) != len(b.Shape) {
			return Type{}, fmt.Errorf("inputs have shapes %s and %s; before opset 7 they must match unless broadcast=1", a.Shape, b.Shape)
		}
		for i := range a.Shape {
			da, db := a.Shape[i], b.Shape[i]
			if da.IsConcrete() && db.IsConcrete() && da.Value != db.Value {
				return Type{}, fmt.Errorf("inputs have shapes %s and %s; before opset 7 they must match unless broadcast=1", a.Shape, b.Shape)
			}
			if !da.IsConcrete() && db.IsConcrete() {
				out.Shape[i] = db
			}
		}
		return out, nil
	}
	axis, err := ElemLegacyAxis(c.Node, len(a.Shape), len(b.Shape))
	if err != nil {
		return Type{}, err
	}
	for i, db := range b.Shape {
		da := a.Shape[axis+i]
		if da.IsConcrete() && db.IsConcrete() && db.Value != 1 && db.Value != da.Value {
			return Type{}, fmt.Errorf("legacy broadcast: b %s does not match a %s at axis %d", b.Shape, a.Shape, axis)
		}
	}
	return out, nil
}

// elemSameDType fails when two known element types differ.
func elemSameDType(c *InferContext, i, j int) error {
	a, b := c.In[i].DType, c.In[j].DType
	if c.In[i].Kind == KindTensor && c.In[j].Kind == KindTensor && a != Undefined && b != Undefined && a != b {
		return fmt.Errorf("input %d has element type %s but input %d has %s; they must match", i, a, j, b)
	}
	return nil
}

// elemInferBinary is the inference hook of two-input broadcasting ops whose inputs share one
// element type; boolOut gives a bool result (comparisons, logic).
func elemInferBinary(boolOut bool) InferFunc {
	return func(c *InferContext) ([]Type, error) {
		if err := elemSameDType(c, 0, 1); err != nil {
			return nil, err
		}
		var t Type
		var err error
		if elemIsLegacy(c.Opset) {
			t, err = elemInferLegacy(c)
		} else {
			t, err = BroadcastTypes(c.In[0], c.In[1])
		}
		if err != nil {
			return nil, err
		}
		if boolOut {
			t.DType = Bool
		}
		return []Type{t}, nil
	}
}

// elemInferPow infers Pow: broadcast shape, element type of the base (the exponent may differ).
func elemInferPow(c *InferContext) ([]Type, error) {
	var t Type
	var err error
	if elemIsLegacy(c.Opset) {
		t, err = elemInferLegacy(c)
	} else {
		t, err = BroadcastTypes(c.In[0], c.In[1])
	}
	if err != nil {
		return nil, err
	}
	t.DType = c.In[0].DType
	return []Type{t}, nil
}

// elemInferUnary: the output is a tensor of the input's type.
func elemInferUnary(c *InferContext) ([]Type, error) {
	t := c.In[0].Clone()
	if t.Kind != KindUnknown && t.Kind != KindTensor {
		return nil, fmt.Errorf("input is a %s, want a tensor", t)
	}
	t.Kind = KindTensor
	return []Type{t}, nil
}

// elemInferUnaryBool: the output has the input's shape and element type bool.
func elemInferUnaryBool(c *InferContext) ([]Type, error) {
	ts, err := elemInferUnary(c)
	if err != nil {
		return nil, err
	}
	ts[0].DType = Bool
	return ts, nil
}

// elemInferVariadic infers Max/Min/Sum/Mean: all inputs share an element type and broadcast.
func elemInferVariadic(c *InferContext) ([]Type, error) {
	for i := 1; i < len(c.In); i++ {
		if c.HasInput(i) {
			if err := elemSameDType(c, 0, i); err != nil {
				return nil, err
			}
		}
	}
	return InferBroadcast(c)
}

// elemInferWhere infers Where(cond, x, y): broadcast of all three, x's element type.
func elemInferWhere(c *InferContext) ([]Type, error) {
	if c.In[0].Kind == KindTensor && c.In[0].DType != Undefined && c.In[0].DType != Bool {
		return nil, fmt.Errorf("condition has element type %s, want bool", c.In[0].DType)
	}
	if err := elemSameDType(c, 1, 2); err != nil {
		return nil, err
	}
	t, err := BroadcastTypes(c.In[0], c.In[1], c.In[2])
	if err != nil {
		return nil, err
	}
	t.DType = c.In[1].DType
	if t.DType == Undefined {
		t.DType = c.In[2].DType
	}
	return []Type{t}, nil
}

// elemInferPRelu infers PRelu: x's type; from opset 7 the slope must broadcast to x.
func elemInferPRelu(c *InferContext) ([]Type, error) {
	if err := elemSameDType(c, 0, 1); err != nil {
		return nil, err
	}
	x, slope := c.In[0], c.In[1]
	if !elemIsLegacy(c.Opset) && x.Ranked && slope.Ranked {
		if len(slope.Shape) > len(x.Shape) {
			return nil, fmt.Errorf("slope %s has a higher rank than x %s", slope.Shape, x.Shape)
		}
		if _, err := BroadcastShapes(x.Shape, slope.Shape); err != nil {
			return nil, fmt.Errorf("slope does not broadcast to x: %v", err)
		}
	}
	return elemInferUnary(c)
}

// elemInferCast infers Cast: the input's shape with element type `to`.
func elemInferCast(c *InferContext) ([]Type, error) {
	to := DType(c.Node.AttrInt("to", 0))
	if a := c.Node.Attr("to"); a == nil || a.I <= 0 || a.I > int64(maxDType) || !to.Valid() {
		return nil, fmt.Errorf("attribute to=%d is not a known element type", c.Node.AttrInt("to", 0))
	}
	ts, err := elemInferUnary(c)
	if err != nil {
		return nil, err
	}
	ts[0].DType = to
	return ts, nil
}

// elemInferCastLike infers CastLike: the input's shape with target_type's element type.
func elemInferCastLike(c *InferContext) ([]Type, error) {
	ts, err := elemInferUnary(c)
	if err != nil {
		return nil, err
	}
	ts[0].DType = c.In[1].DType
	return ts, nil
}

// elemCheckString wraps the inference hook of the op (unary or binary, by arity) with a check
// that string attribute name (default def) is one of allowed.
func elemCheckString(name, def string, allowed ...string) InferFunc {
	return func(c *InferContext) ([]Type, error) {
		v := c.Node.AttrString(name, def)
		ok := false
		for _, a := range allowed {
			ok = ok || v == a
		}
		if !ok {
			return nil, fmt.Errorf("attribute %s is %q, want one of %q", name, v, allowed)
		}
		if len(c.In) == 2 {
			return elemInferBinary(false)(c)
		}
		return elemInferUnary(c)
	}
}

// elemInferMod infers Mod, refusing fmod=0 on floats (the spec requires fmod=1 there).
func elemInferMod(c *InferContext) ([]Type, error) {
	if dt := c.In[0].DType; dt.IsFloat() && c.Node.AttrInt("fmod", 0) == 0 {
		return nil, fmt.Errorf("Mod on %s needs fmod=1", dt)
	}
	return elemInferBinary(false)(c)
}

func init() {
	consumed := []AttrSpec{opt("consumed_inputs", AttrInts)}
	unary := func(name string, since int64, cat, doc string, attrs ...AttrSpec) *OpSchema {
		return RegisterOp(&OpSchema{Name: name, Since: since, Category: cat, Doc: doc, Flags: Elementwise,
			MinIn: 1, MaxIn: 1, MinOut: 1, MaxOut: 1, Attrs: attrs, Infer: elemInferUnary})
	}
	unary("Abs", 1, "math", "y = |x|", consumed...)
	unary("Neg", 1, "math", "y = -x (integers wrap around)", consumed...)
	unary("Reciprocal", 1, "math", "y = 1/x", consumed...)
	unary("Floor", 1, "math", "y = floor(x)", consumed...)
	unary("Ceil", 1, "math", "y = ceil(x)", consumed...)
	unary("Round", 11, "math", "y = x rounded to the nearest integer, halves to even")
	unary("Sign", 9, "math", "y = -1, 0 or 1 as x is negative, zero or positive (NaN stays NaN)")
	unary("Sqrt", 1, "math", "y = sqrt(x)", consumed...)
	unary("Exp", 1, "math", "y = e^x", consumed...)
	unary("Log", 1, "math", "y = ln(x)", consumed...)
	unary("Erf", 9, "math", "y = erf(x), the Gauss error function")
	unary("Sin", 7, "math", "y = sin(x)")
	unary("Cos", 7, "math", "y = cos(x)")
	unary("Tan", 7, "math", "y = tan(x)")
	unary("Asin", 7, "math", "y = arcsin(x)")
	unary("Acos", 7, "math", "y = arccos(x)")
	unary("Atan", 7, "math", "y = arctan(x)")
	unary("Sinh", 9, "math", "y = sinh(x)")
	unary("Cosh", 9, "math", "y = cosh(x)")
	unary("Asinh", 9, "math", "y = arsinh(x)")
	unary("Acosh", 9, "math", "y = arcosh(x)")
	unary("Atanh", 9, "math", "y = artanh(x)")
	unary("Tanh", 1, "math", "y = tanh(x)", consumed...)
	unary("BitwiseNot", 18, "math", "y = ^x, bitwise complement of an integer tensor")
	unary("Sigmoid", 1, "nn", "y = 1/(1+e^-x)", consumed...)
	unary("Relu", 1, "nn", "y = max(x, 0)", consumed...)
	unary("LeakyRelu", 1, "nn", "y = x if x >= 0 else alpha*x",
		optFloat("alpha", 0.01), opt("consumed_inputs", AttrInts))
	unary("Elu", 1, "nn", "y = x if x >= 0 else alpha*(e^x-1)",
		optFloat("alpha", 1), opt("consumed_inputs", AttrInts))
	unary("Selu", 1, "nn", "y = gamma*x if x > 0 else gamma*alpha*(e^x-1)",
		optFloat("alpha", 1.67326319217681884765625), optFloat("gamma", 1.05070102214813232421875), opt("consumed_inputs", AttrInts))
	unary("Celu", 12, "nn", "y = max(0,x) + min(0, alpha*(e^(x/alpha)-1))", optFloat("alpha", 1))
	unary("HardSigmoid", 1, "nn", "y = max(0, min(1, alpha*x+beta))",
		optFloat("alpha", 0.2), optFloat("beta", 0.5), opt("consumed_inputs", AttrInts))
	unary("HardSwish", 14, "nn", "y = x * max(0, min(1, x/6+1/2))")
	unary("Softplus", 1, "nn", "y = ln(e^x + 1)")
	unary("Softsign", 1, "nn", "y = x/(1+|x|)")
	unary("ThresholdedRelu", 10, "nn", "y = x if x > alpha else 0", optFloat("alpha", 1))
	unary("Shrink", 9, "nn", "y = x+bias if x < -lambd, x-bias if x > lambd, else 0",
		optFloat("bias", 0), optFloat("lambd", 0.5))
	unary("Mish", 18, "nn", "y = x * tanh(softplus(x))")
	unary("Gelu", 20, "nn", "y = x*Phi(x) (approximate=none) or its tanh approximation (approximate=tanh)",
		optString("approximate", "none")).Infer = elemCheckString("approximate", "none", "none", "tanh")

	for _, op := range []struct {
		name string
		doc  string
	}{
		{"IsNaN", "y = (x is NaN)"},
		{"Not", "y = !x for a bool tensor"},
	} {
		since := int64(9)
		if op.name == "Not" {
			since = 1
		}
		RegisterOp(&OpSchema{Name: op.name, Since: since, Category: "logic", Doc: op.doc, Flags: Elementwise,
			MinIn: 1, MaxIn: 1, MinOut: 1, MaxOut: 1, Infer: elemInferUnaryBool})
	}
	RegisterOp(&OpSchema{Name: "IsInf", Since: 10, Category: "logic", Flags: Elementwise,
		Doc:   "y = (x is +inf and detect_positive) or (x is -inf and detect_negative)",
		MinIn: 1, MaxIn: 1, MinOut: 1, MaxOut: 1,
		Attrs: []AttrSpec{optInt("detect_negative", 1), optInt("detect_positive", 1)},
		Infer: elemInferUnaryBool})

	binary := func(name string, since int64, cat, doc string, flags OpFlags, boolOut bool, attrs ...AttrSpec) *OpSchema {
		return RegisterOp(&OpSchema{Name: name, Since: since, Category: cat, Doc: doc, Flags: Elementwise | flags,
			MinIn: 2, MaxIn: 2, MinOut: 1, MaxOut: 1, Attrs: attrs, Infer: elemInferBinary(boolOut)})
	}
	legacy := elemLegacyBroadcastAttrs(false)
	RegisterOp(&OpSchema{Name: "Pow", Since: 1, Category: "math", Flags: Elementwise,
		Doc:   "z = x^y with numpy broadcasting; z has x's element type",
		MinIn: 2, MaxIn: 2, MinOut: 1, MaxOut: 1, Attrs: elemLegacyBroadcastAttrs(false), Infer: elemInferPow})
	binary("Mod", 10, "math", "z = x mod y: with fmod=0 (integers only) the result takes the divisor's sign, with fmod=1 the dividend's", 0, false,
		optInt("fmod", 0)).Infer = elemInferMod
	binary("BitShift", 11, "math", "z = x << y (direction=LEFT) or x >> y (RIGHT) on unsigned integers", 0, false,
		req("direction", AttrString)).Infer = elemCheckString("direction", "", "LEFT", "RIGHT")
	binary("BitwiseAnd", 18, "math", "z = x & y on integers", Commutative, false)
	binary("BitwiseOr", 18, "math", "z = x | y on integers", Commutative, false)
	binary("BitwiseXor", 18, "math", "z = x ^ y on integers", Commutative, false)
	binary("And", 1, "logic", "z = x && y on bools", Commutative, true, legacy...)
	binary("Or", 1, "logic", "z = x || y on bools", Commutative, true, legacy...)
	binary("Xor", 1, "logic", "z = x != y on bools", Commutative, true, legacy...)
	binary("Equal", 1, "logic", "z = (x == y)", Commutative, true, legacy...)
	binary("Greater", 1, "logic", "z = (x > y)", 0, true, legacy...)
	binary("Less", 1, "logic", "z = (x < y)", 0, true, legacy...)
	binary("GreaterOrEqual", 12, "logic", "z = (x >= y)", 0, true)
	binary("LessOrEqual", 12, "logic", "z = (x <= y)", 0, true)

	RegisterOp(&OpSchema{Name: "Where", Since: 9, Category: "logic", Flags: Elementwise,
		Doc:   "z = cond ? x : y elementwise, all three broadcast",
		MinIn: 3, MaxIn: 3, MinOut: 1, MaxOut: 1, Infer: elemInferWhere})
	for _, op := range []struct{ name, doc string }{
		{"Max", "y = elementwise maximum of all inputs (broadcast); NaN propagates"},
		{"Min", "y = elementwise minimum of all inputs (broadcast); NaN propagates"},
		{"Sum", "y = elementwise sum of all inputs (broadcast)"},
		{"Mean", "y = elementwise mean of all inputs (broadcast)"},
	} {
		RegisterOp(&OpSchema{Name: op.name, Since: 1, Category: "math", Doc: op.doc, Flags: Elementwise | Commutative,
			MinIn: 1, MaxIn: -1, MinOut: 1, MaxOut: 1,
			Attrs: []AttrSpec{opt("consumed_inputs", AttrInts)}, Infer: elemInferVariadic})
	}
	RegisterOp(&OpSchema{Name: "Clip", Since: 1, Category: "math", Flags: Elementwise,
		Doc:   "y = min(max(x, min), max); bounds are attributes before opset 11 and optional scalar inputs after",
		MinIn: 1, MaxIn: 3, MinOut: 1, MaxOut: 1,
		// defaults (-/+ FLT_MAX, or the type's range) depend on the opset, so eval supplies them
		Attrs: []AttrSpec{opt("min", AttrFloat), opt("max", AttrFloat), opt("consumed_inputs", AttrInts)},
		Infer: elemInferUnary})
	RegisterOp(&OpSchema{Name: "PRelu", Since: 1, Category: "nn", Flags: Elementwise,
		Doc:   "y = x if x >= 0 else slope*x, slope broadcast to x (per channel before opset 7)",
		MinIn: 2, MaxIn: 2, MinOut: 1, MaxOut: 1,
		Attrs: []AttrSpec{opt("consumed_inputs", AttrInts)}, Infer: elemInferPRelu})
	// Cast-1 spelled `to` as a string; the table holds the int form used from opset 6 on.
	RegisterOp(&OpSchema{Name: "Cast", Since: 1, Category: "misc", Flags: Elementwise,
		Doc:   "y = x converted to element type `to` (numbers, bool and strings)",
		MinIn: 1, MaxIn: 1, MinOut: 1, MaxOut: 1,
		Attrs: []AttrSpec{req("to", AttrInt), optInt("saturate", 1), optString("round_mode", "up")},
		Infer: elemInferCast})
	// not flagged Elementwise: only the element type of target_type matters, whatever its shape
	RegisterOp(&OpSchema{Name: "CastLike", Since: 15, Category: "misc",
		Doc:   "y = x converted to the element type of target_type",
		MinIn: 2, MaxIn: 2, MinOut: 1, MaxOut: 1,
		Attrs: []AttrSpec{optInt("saturate", 1), optString("round_mode", "up")},
		Infer: elemInferCastLike})
}
