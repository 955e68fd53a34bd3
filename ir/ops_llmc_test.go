package ir

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// Malformed llmc fused ops are refused at load with the node and the reason.
func TestLLMCOpsRefuseBadOperands(t *testing.T) {
	const head = `model opsets{"": 17, "com.microsoft": 1, "llmc": 1}
graph g(%x: f32[2,3], %r: f32[2,5]) -> (%z) {
  %w: f32[3,4] = const [0.5, -1.0, 0.25, 2.0, 1.5, 0.1, -0.3, 0.7, -2.0, 0.4, 0.9, -0.6]
  %w3: f32[3,4,1] = const [0.5, -1.0, 0.25, 2.0, 1.5, 0.1, -0.3, 0.7, -2.0, 0.4, 0.9, -0.6]
  %v4: f32[4] = const [0.1, 0.2, 0.3, 0.4]
  %v5: f32[5] = const [0.1, 0.2, 0.3, 0.4, 0.5]
`
	for _, c := range []struct{ node, want string }{
		{`%z: f32[2,4] = llmc::MatMulSkipLayerNormalization(%x, %w, %r, %v4, %v4, %v4) @"proj"`, `"proj"`},
		{`%z: f32[2,4] = llmc::MatMulSkipLayerNormalization(%x, %w, %r, %v4, %v4, %v4) @"proj"`, "skip's last dim is 5, want the hidden size 4"},
		{`%z: f32[2,4] = llmc::MatMulSkipLayerNormalization(%x, %w, %x, %v4, %v4, %v4)`, "skip's last dim is 3"},
		{`%z: f32[2,4] = llmc::MatMulBiasGelu(%x, %w, %v5) @"ffn"`, `"ffn"`},
		{`%z: f32[2,4] = llmc::MatMulBiasGelu(%x, %w3, %v4)`, "weight B must have rank 2"},
		{`%z: f32[2,4] = llmc::MatMulBiasGelu(%x, %w)`, "has 2 inputs, want 3"},
		{`%z: f32[2,4] = llmc::MatMulBias(%r, %w, %v4)`, "inner dims differ"},
	} {
		_, err := ParseModel(head + "  " + c.node + "\n}\n")
		require.Error(t, err, c.node)
		require.Contains(t, err.Error(), c.want, c.node)
	}
}
