package passes

import "github.com/llmc/llmc/ir"

// fusionRules are the transformer fusions, in the order they are tried on each node. Each is a
// Rule in its own file (fuse_*.go).
var fusionRules []Rule

func init() {
	Register(Pass{Name: "fuse", Doc: "transformer fusions into ONNX Runtime contrib ops (LayerNorm, SkipLayerNorm, Gelu, BiasGelu, FastGelu, Attention, EmbedLayerNorm, Gemm)", Run: func(c *Context, g *ir.Graph) error {
		_, err := RunRules(c, g, fusionRules)
		return err
	}})
}
