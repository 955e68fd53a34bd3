package ir

import "fmt"

// Training ops (domain ai.onnx.preview.training), random generators, string ops and losses.

// miscTrainingDomain is the ONNX domain of the preview training ops (optimizers, Gradient).
const miscTrainingDomain = "ai.onnx.preview.training"

func init() {
	// Optimizers: inputs R (learning rate), T (update count), then n tensors of each group;
	// outputs n updated tensors of each updated group.
	RegisterOp(&OpSchema{Domain: miscTrainingDomain, Name: "Adagrad", Since: 1, Category: "training",
		Doc:   "Adagrad update of n tensors: inputs R, T, X1..Xn, G1..Gn, H1..Hn; outputs X_new1..n, H_new1..n",
		MinIn: 3, MaxIn: -1, MinOut: 1, MaxOut: -1,
		Attrs: []AttrSpec{optFloat("decay_factor", 0), optFloat("epsilon", 1e-6), optFloat("norm_coefficient", 0)},
		Infer: miscOptimizerInfer(3, 2)})
	RegisterOp(&OpSchema{Domain: miscTrainingDomain, Name: "Momentum", Since: 1, Category: "training",
		Doc:   "momentum (standard or nesterov) update of n tensors: inputs R, T, X1..Xn, G1..Gn, V1..Vn; outputs X_new1..n, V_new1..n",
		MinIn: 3, MaxIn: -1, MinOut: 1, MaxOut: -1,
		Attrs: []AttrSpec{req("alpha", AttrFloat), req("beta", AttrFloat), req("mode", AttrString), req("norm_coefficient", AttrFloat)},
		Infer: miscOptimizerInfer(3, 2)})
	RegisterOp(&OpSchema{Domain: miscTrainingDomain, Name: "Adam", Since: 1, Category: "training",
		Doc:   "Adam update of n tensors: inputs R, T, X1..Xn, G1..Gn, V1..Vn, H1..Hn; outputs X_new1..n, V_new1..n, H_new1..n",
		MinIn: 3, MaxIn: -1, MinOut: 1, MaxOut: -1,
		Attrs: []AttrSpec{optFloat("alpha", 0.9), optFloat("beta", 0.999), optFloat("epsilon", 1e-6),
			optFloat("norm_coefficient", 0), optFloat("norm_coefficient_post", 0)},
		Infer: miscOptimizerInfer(4, 3)})
	RegisterOp(&OpSchema{Domain: miscTrainingDomain, Name: "Gradient", Since: 1, Category: "training",
		Doc:   "gradients of the value named y with respect to the values named xs (zs held constant), one output per xs",
		MinIn: 1, MaxIn: -1, MinOut: 1, MaxOut: -1,
		Attrs:  []AttrSpec{req("xs", AttrStrings), req("y", AttrString), opt("zs", AttrStrings)},
		Infer:  inferGradient,
		NoEval: "Gradient needs autodiff; llmc's training mode provides it"})

	// Random generators.
	RegisterOp(&OpSchema{Name: "RandomUniform", Since: 1, Category: "random", Flags: Nondeterministic,
		Doc:   "tensor of the given shape and dtype with elements drawn uniformly from [low, high)",
		MinIn: 0, MaxIn: 0, MinOut: 1, MaxOut: 1,
		Attrs: []AttrSpec{optInt("dtype", int64(Float32)), optFloat("high", 1), optFloat("low", 0), opt("seed", AttrFloat), req("shape", AttrInts)},
		Infer: inferRandomShaped})
	RegisterOp(&OpSchema{Name: "RandomNormal", Since: 1, Category: "random", Flags: Nondeterministic,
		Doc:   "tensor of the given shape and dtype with elements drawn from a normal distribution N(mean, scale^2)",
		MinIn: 0, MaxIn: 0, MinOut: 1, MaxOut: 1,
		Attrs: []AttrSpec{optInt("dtype", int64(Float32)), optFloat("mean", 0), optFloat("scale", 1), opt("seed", AttrFloat), req("shape", AttrInts)},
		Infer: inferRandomShaped})
	RegisterOp(&OpSchema{Name: "RandomUniformLike", Since: 1, Category: "random", Flags: Nondeterministic,
		Doc:   "tensor shaped like the input (dtype: attribute, else the input's) with elements drawn uniformly from [low, high)",
		MinIn: 1, MaxIn: 1, MinOut: 1, MaxOut: 1,
		Attrs: []AttrSpec{opt("dtype", AttrInt), optFloat("high", 1), optFloat("low", 0), opt("seed", AttrFloat)},
		Infer: inferRandomLike})
	RegisterOp(&OpSchema{Name: "RandomNormalLike", Since: 1, Category: "random", Flags: Nondeterministic,
		Doc:   "tensor shaped like the input (dtype: attribute, else the input's) with elements drawn from N(mean, scale^2)",
		MinIn: 1, MaxIn: 1, MinOut: 1, MaxOut: 1,
		Attrs: []AttrSpec{opt("dtype", AttrInt), optFloat("mean", 0), optFloat("scale", 1), opt("seed", AttrFloat)},
		Infer: inferRandomLike})
	RegisterOp(&OpSchema{Name: "Bernoulli", Since: 15, Category: "random", Flags: Nondeterministic,
		Doc:   "y[i] = 1 with probability x[i], else 0 (dtype: attribute, else the input's)",
		MinIn: 1, MaxIn: 1, MinOut: 1, MaxOut: 1,
		Attrs: []AttrSpec{opt("dtype", AttrInt), opt("seed", AttrFloat)},
		Infer: inferRandomLike})
	RegisterOp(&OpSchema{Name: "Multinomial", Since: 7, Category: "random", Flags: Nondeterministic,
		Doc:   "draws sample_size class indices per batch row from the categorical distribution given by unnormalized log-probabilities [batch, classes]",
		MinIn: 1, MaxIn: 1, MinOut: 1, MaxOut: 1,
		Attrs: []AttrSpec{optInt("dtype", int64(Int32)), optInt("sample_size", 1), opt("seed", AttrFloat)},
		Infer: inferMultinomial})

	// Strings.
	RegisterOp(&OpSchema{Name: "StringNormalizer", Since: 10, Category: "misc",
		Doc:   "removes stopwords from a [C] or [1,C] string tensor and optionally lower- or upper-cases the rest",
		MinIn: 1, MaxIn: 1, MinOut: 1, MaxOut: 1,
		Attrs: []AttrSpec{optString("case_change_action", "NONE"), optInt("is_case_sensitive", 0), opt("locale", AttrString), opt("stopwords", AttrStrings)},
		Infer: inferStringNormalizer})
	RegisterOp(&OpSchema{Name: "TfIdfVectorizer", Since: 9, Category: "misc",
		Doc:   "counts the pool's n-grams (with skips) in each row of a [C] or [N,C] int or string tensor, giving TF, IDF or TF-IDF weights per n-gram index",
		MinIn: 1, MaxIn: 1, MinOut: 1, MaxOut: 1,
		Attrs: []AttrSpec{req("max_gram_length", AttrInt), req("max_skip_count", AttrInt), req("min_gram_length", AttrInt),
			req("mode", AttrString), req("ngram_counts", AttrInts), req("ngram_indexes", AttrInts),
			opt("pool_int64s", AttrInts), opt("pool_strings", AttrStrings), opt("weights", AttrFloats)},
		Infer: inferTfIdfVectorizer})

	// Losses.
	RegisterOp(&OpSchema{Name: "SoftmaxCrossEntropyLoss", Since: 12, Category: "nn",
		Doc:   "cross entropy of softmax(scores) over axis 1 [N,C,d...] against class labels [N,d...] (optional class weights, ignore_index; reduction none/sum/mean); optional second output log_softmax(scores)",
		MinIn: 2, MaxIn: 3, MinOut: 1, MaxOut: 2,
		Attrs: []AttrSpec{opt("ignore_index", AttrInt), optString("reduction", "mean")},
		Infer: inferLoss})
	RegisterOp(&OpSchema{Name: "NegativeLogLikelihoodLoss", Since: 12, Category: "nn",
		Doc:   "loss[n,d...] = -input[n, target[n,d...], d...] * weight[target] (0 where target == ignore_index), reduced by none/sum/weighted mean",
		MinIn: 2, MaxIn: 3, MinOut: 1, MaxOut: 1,
		Attrs: []AttrSpec{opt("ignore_index", AttrInt), optString("reduction", "mean")},
		Infer: inferLoss})
}

// miscOptimizerInfer returns the inference hook of an optimizer with groups input groups of n
// tensors after R and T, of which the first outGroups are updated and returned.
func miscOptimizerInfer(groups, outGroups int) InferFunc {
	return func(c *InferContext) ([]Type, error) {
		rest := len(c.Node.Inputs) - 2
		if rest <= 0 || rest%groups != 0 {
			return nil, fmt.Errorf("want 2 + %d*n inputs (R, T, then %d groups of n tensors), got %d", groups, groups, len(c.Node.Inputs))
		}
		n := rest / groups
		if len(c.Node.Outputs) > outGroups*n {
			return nil, fmt.Errorf("want at most %d outputs (%d groups of n=%d), got %d", outGroups*n, outGroups, n, len(c.Node.Outputs))
		}
		for i, what := range []string{"R", "T"} {
			if t := c.In[i]; t.Ranked && len(t.Shape) != 0 {
				return nil, fmt.Errorf("%s must be a scalar, got %s", what, t)
			}
		}
		if t := c.In[1]; t.Kind == KindTensor && t.DType != Undefined && t.DType != Int64 {
			return nil, fmt.Errorf("T must be int64, got %s", t)
		}
		for g := 1; g < groups; g++ {
			for i := 0; i < n; i++ {
				a, b := c.In[2+i], c.In[2+g*n+i]
				if !a.Compatible(b) {
					return nil, fmt.Errorf("tensor %d of group %d has type %s, but X%d is %s", i, g, b, i, a)
				}
			}
		}
		out := make([]Type, outGroups*n)
		for g := 0; g < outGroups; g++ {
			for i := 0; i < n; i++ {
				out[g*n+i] = ctlKnown(c.In[2+i], c.In[2+g*n+i])
			}
		}
		return out, nil
	}
}

// miscLookupValue finds the value called name visible from g (g's scope, then enclosing scopes).
func miscLookupValue(g *Graph, name string) *Value {
	for h := g; h != nil; h = h.Parent {
		for _, v := range h.Inputs {
			if v.Name == name {
				return v
			}
		}
		for _, v := range h.Consts {
			if v.Name == name {
				return v
			}
		}
		for _, n := range h.Nodes {
			for _, v := range n.Outputs {
				if v != nil && v.Name == name {
					return v
				}
			}
		}
	}
	return nil
}

func inferGradient(c *InferContext) ([]Type, error) {
	xs := c.Node.AttrStrings("xs", nil)
	if len(c.Node.Outputs) != len(xs) {
		return nil, fmt.Errorf("Gradient has %d outputs but xs names %d values", len(c.Node.Outputs), len(xs))
	}
	out := make([]Type, len(xs))
	for i, name := range xs {
		if c.Graph == nil {
			continue
		}
		if v := miscLookupValue(c.Graph, name); v != nil {
			out[i] = v.Type.Clone()
		}
	}
	return out, nil
}

// miscFloatDType checks a random generator's output dtype (float16, float, double, bfloat16).
func miscFloatDType(dt DType) error {
	switch dt {
	case Float16, Float32, Float64, BFloat16:
		return nil
	}
	return fmt.Errorf("dtype %s is not a floating-point type", dt)
}

func inferRandomShaped(c *InferContext) ([]Type, error) {
	dt := DType(c.Node.AttrInt("dtype", int64(Float32)))
	if err := miscFloatDType(dt); err != nil {
		return nil, err
	}
	shape := c.Node.AttrInts("shape", nil)
	for _, d := range shape {
		if d < 0 {
			return nil, fmt.Errorf("shape %v has a negative dim", shape)
		}
	}
	return []Type{TensorType(dt, ConcreteShape(shape...))}, nil
}

func inferRandomLike(c *InferContext) ([]Type, error) {
	in := c.In[0]
	if in.Kind != KindTensor && in.Kind != KindUnknown {
		return nil, fmt.Errorf("input must be a tensor, got %s", in)
	}
	out := Type{Kind: KindTensor, DType: in.DType, Ranked: in.Ranked, Shape: in.Shape.Clone()}
	if a := c.Node.Attr("dtype"); a != nil {
		out.DType = DType(a.I)
	}
	if c.Node.Op == "Bernoulli" {
		if in.DType != Undefined {
			if err := miscFloatDType(in.DType); err != nil {
				return nil, fmt.Errorf("input: %v", err)
			}
		}
		if out.DType != Undefined && !out.DType.Valid() {
			return nil, fmt.Errorf("dtype %d is not a valid element type", out.DType)
		}
		return []Type{out}, nil
	}
	if out.DType != Undefined {
		if err := miscFloatDType(out.DType); err != nil {
			return nil, err
		}
	}
	return []Type{out}, nil
}

func inferMultinomial(c *InferContext) ([]Type, error) {
	dt := DType(c.Node.AttrInt("dtype", int64(Int32)))
	if dt != Int32 && dt != Int64 {
		return nil, fmt.Errorf("dtype must be int32 or int64, got %s", dt)
	}
	ss := c.Node.AttrInt("sample_size", 1)
	if ss < 1 {
		return nil, fmt.Errorf("sample_size must be positive, got %d", ss)
	}
	batch := UnknownDim()
	if s, ok := c.RankedIn(0); ok {
		if len(s) != 2 {
			return nil, fmt.Errorf("input must be 2-D [batch, classes], got %s", c.In[0])
		}
		batch = s[0]
	}
	return []Type{TensorType(dt, Shape{batch, D(ss)})}, nil
}

func inferStringNormalizer(c *InferContext) ([]Type, error) {
	in := c.In[0]
	if in.Kind == KindTensor && in.DType != Undefined && in.DType != String {
		return nil, fmt.Errorf("input must be a string tensor, got %s", in)
	}
	switch a := c.Node.AttrString("case_change_action", "NONE"); a {
	case "NONE", "LOWER", "UPPER":
	default:
		return nil, fmt.Errorf("case_change_action must be NONE, LOWER or UPPER, got %q", a)
	}
	if !in.Ranked {
		return []Type{UnrankedTensor(String)}, nil
	}
	switch {
	case len(in.Shape) == 1:
		return []Type{TensorType(String, Shape{UnknownDim()})}, nil
	case len(in.Shape) == 2 && !(in.Shape[0].IsConcrete() && in.Shape[0].Value != 1):
		return []Type{TensorType(String, Shape{D(1), UnknownDim()})}, nil
	}
	return nil, fmt.Errorf("input must be [C] or [1,C], got %s", in)
}

func inferTfIdfVectorizer(c *InferContext) ([]Type, error) {
	in := c.In[0]
	if in.Kind == KindTensor && in.DType != Undefined && in.DType != String && in.DType != Int32 && in.DType != Int64 {
		return nil, fmt.Errorf("input must be a string, int32 or int64 tensor, got %s", in)
	}
	switch m := c.Node.AttrString("mode", ""); m {
	case "TF", "IDF", "TFIDF":
	default:
		return nil, fmt.Errorf("mode must be TF, IDF or TFIDF, got %q", m)
	}
	width := int64(0)
	for _, ix := range c.Node.AttrInts("ngram_indexes", nil) {
		if ix < 0 {
			return nil, fmt.Errorf("ngram_indexes has negative entry %d", ix)
		}
		width = max(width, ix+1)
	}
	if !in.Ranked {
		return []Type{UnrankedTensor(Float32)}, nil
	}
	switch len(in.Shape) {
	case 1:
		return []Type{TensorType(Float32, Shape{D(width)})}, nil
	case 2:
		return []Type{TensorType(Float32, Shape{in.Shape[0], D(width)})}, nil
	}
	return nil, fmt.Errorf("input must be [C] or [N,C], got %s", in)
}

func inferLoss(c *InferContext) ([]Type, error) {
	red := c.Node.AttrString("reduction", "mean")
	switch red {
	case "none", "sum", "mean":
	default:
		return nil, fmt.Errorf("reduction must be none, sum or mean, got %q", red)
	}
	x, lab := c.In[0], c.In[1]
	if x.Kind == KindTensor && x.DType != Undefined && !x.DType.IsFloat() {
		return nil, fmt.Errorf("input must be floating-point, got %s", x)
	}
	if lab.Kind == KindTensor && lab.DType != Undefined && lab.DType != Int32 && lab.DType != Int64 {
		return nil, fmt.Errorf("target must be int32 or int64, got %s", lab)
	}
	loss := UnrankedTensor(x.DType)
	if red != "none" {
		loss = TensorType(x.DType, Shape{})
	}
	xs, xok := c.RankedIn(0)
	ls, lok := c.RankedIn(1)
	if xok && len(xs) < 2 {
		return nil, fmt.Errorf("input must have rank >= 2 [N,C,d...], got %s", x)
	}
	if xok && lok {
		if len(ls) != len(xs)-1 {
			return nil, fmt.Errorf("target %s must have rank %d (input %s without the class axis)", lab, len(xs)-1, x)
		}
		want := append(Shape{xs[0]}, xs[2:]...)
		for i := range ls {
			if ls[i].IsConcrete() && want[i].IsConcrete() && ls[i].Value != want[i].Value {
				return nil, fmt.Errorf("target %s does not match input %s (dim %d)", lab, x, i)
			}
		}
	}
	if c.HasInput(2) {
		if ws, ok := c.RankedIn(2); ok {
			if len(ws) != 1 {
				return nil, fmt.Errorf("weight must be 1-D [C], got %s", c.In[2])
			}
			if xok && ws[0].IsConcrete() && xs[1].IsConcrete() && ws[0].Value != xs[1].Value {
				return nil, fmt.Errorf("weight has %d entries but input has %d classes", ws[0].Value, xs[1].Value)
			}
		}
	}
	if red == "none" {
		switch {
		case xok:
			loss = TensorType(x.DType, append(Shape{xs[0]}, xs[2:]...))
		case lok:
			loss = TensorType(x.DType, ls.Clone())
		}
	}
	out := []Type{loss}
	if len(c.Node.Outputs) > 1 {
		out = append(out, x.Clone())
		if x.Kind == KindUnknown {
			out[1] = UnrankedTensor(Undefined)
		}
	}
	return out, nil
}
