package passes

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/llmc/llmc/ir"
)

func negModel(t *testing.T) *ir.Model {
	m, err := ir.ParseModel(`model opsets{"": 17}
graph g(%x: f32[4]) -> (%y) {
  %y: f32[4] = Neg(%x)
}
`)
	require.NoError(t, err)
	return m
}

func TestRunPassesRecoversPanic(t *testing.T) {
	var nodes []*ir.Node
	crasher := Pass{Name: "crasher", Run: func(c *Context, g *ir.Graph) error {
		_ = nodes[3] // index out of range
		return nil
	}}
	infer, err := Lookup("infer")
	require.NoError(t, err)
	rep, err := RunPasses(negModel(t), append(infer, crasher), Options{})
	require.Error(t, err)
	require.Contains(t, err.Error(), "pass crasher: panic at ")
	require.Contains(t, err.Error(), "TestRunPassesRecoversPanic")
	require.Contains(t, err.Error(), "index out of range")
	require.Len(t, rep.Passes, 1, "the passes before the crash are reported")

	boom := Pass{Name: "boom", Run: func(c *Context, g *ir.Graph) error { panic("boom value") }}
	_, err = RunPasses(negModel(t), []Pass{boom}, Options{})
	require.ErrorContains(t, err, "pass boom: panic")
	require.ErrorContains(t, err, "boom value")
}

func TestRunRulesNamesPanickingRule(t *testing.T) {
	badMatch := Rule{Name: "bad-match", Op: "Neg",
		Match:   func(rc *RewriteContext, n *ir.Node) (any, string) { panic("match bug") },
		Rewrite: func(rc *RewriteContext, m any) error { return nil }}
	badRewrite := Rule{Name: "bad-rewrite", Op: "Neg",
		Match:   func(rc *RewriteContext, n *ir.Node) (any, string) { return n, "" },
		Rewrite: func(rc *RewriteContext, m any) error { panic("rewrite bug") }}
	for _, r := range []Rule{badMatch, badRewrite} {
		m := negModel(t)
		_, err := RunRules(&Context{}, m.Graph, []Rule{r})
		require.Error(t, err)
		require.Contains(t, err.Error(), "rule "+r.Name+" ")
		require.Contains(t, err.Error(), strings.TrimPrefix(r.Name, "bad-")+" bug")
		require.Contains(t, err.Error(), "Neg")
	}
}

func TestOptimizeLevels(t *testing.T) {
	for level := 0; level <= MaxLevel; level++ {
		_, ok := Pipelines[level]
		require.True(t, ok, "O%d", level)
	}
	require.Len(t, Pipelines, MaxLevel+1)
	_, err := Optimize(negModel(t), MaxLevel+1, Options{})
	require.ErrorContains(t, err, "no optimization level 3 (use 0-2)")
}

// The fusion order is the explicit list in fuse.go; the embedding fusion must see the first
// LayerNormalization before skip-layernorm can absorb the embedding sum.
func TestFusionRuleOrder(t *testing.T) {
	var names []string
	for _, r := range fusionRules {
		names = append(names, r.Name)
	}
	require.Equal(t, []string{"attention", "embed-layernorm", "gelu-erf", "gelu-tanh", "bias-gelu", "bias-fastgelu", "layernorm", "skip-layernorm"}, names)
}
