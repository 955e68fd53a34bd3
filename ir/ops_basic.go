package ir

// Identity and the four arithmetic ops. These also serve as the template for op definitions: one
// RegisterOp per op, with the first opset version (Since), a one-line meaning, arity, attributes
// with defaults, flags and the inference hook.

func init() {
	RegisterOp(&OpSchema{Name: "Identity", Since: 1, Category: "misc",
		Doc:   "y = x (any tensor, sequence or optional)",
		MinIn: 1, MaxIn: 1, MinOut: 1, MaxOut: 1,
		Infer: InferSameAsInput})
	for _, op := range []struct {
		name  string
		doc   string
		flags OpFlags
	}{
		{"Add", "c = a + b with numpy broadcasting (integers wrap around)", Elementwise | Commutative},
		{"Sub", "c = a - b with numpy broadcasting (integers wrap around)", Elementwise},
		{"Mul", "c = a * b with numpy broadcasting (integers wrap around)", Elementwise | Commutative},
		{"Div", "c = a / b with numpy broadcasting (integer division truncates toward zero)", Elementwise},
	} {
		RegisterOp(&OpSchema{Name: op.name, Since: 1, Category: "math", Doc: op.doc, Flags: op.flags,
			MinIn: 2, MaxIn: 2, MinOut: 1, MaxOut: 1,
			Attrs: elemLegacyBroadcastAttrs(true),
			Infer: elemInferBinary(false)})
	}
}
