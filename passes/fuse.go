package passes

import "github.com/llmc/llmc/ir"

// fusionRules are the transformer fusions, in the order RunRules tries them on each node (each
// rule lives in its fuse_*.go file). The order only decides between rules with the same root op;
// rules with different roots never compete for a node, and a node one rule creates (the
// LayerNormalization of ruleLayerNorm, the Gelu of ruleGeluErf) is only looked at in RunRules'
// next sweep, so it meets every rule whatever their order. The one same-root pair:
//   - ruleEmbedLayerNorm before ruleSkipLayerNorm (both rooted at LayerNormalization): the
//     embedding sum word + position (+ token type) feeding the first LayerNormalization is also an
//     Add a SkipLayerNormalization could absorb, which would hide the lookups from the embedding
//     fusion; the embedding rule refuses every other LayerNormalization, so skip-layernorm still
//     gets those.
//
// ruleGeluErf and ruleGeluTanh share the root Mul but match disjoint patterns (Erf vs Tanh). The
// rest of the list keeps the order it had when each file appended its rules from init (files in
// name order: attention, embed, gelu, layernorm), which the golden and idiom tests pin.
var fusionRules = []Rule{
	ruleAttention,
	ruleEmbedLayerNorm,
	ruleGeluErf,
	ruleGeluTanh,
	ruleBiasGelu,
	ruleBiasFastGelu,
	ruleLayerNorm,
	ruleSkipLayerNorm,
}

func init() {
	Register(Pass{Name: "fuse", Doc: "transformer fusions into ONNX Runtime contrib ops (LayerNorm, SkipLayerNorm, Gelu, BiasGelu, FastGelu, Attention, EmbedLayerNorm, Gemm)", Run: func(c *Context, g *ir.Graph) error {
		_, err := RunRules(c, g, fusionRules)
		return err
	}})
}
