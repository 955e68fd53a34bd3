package passes

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// The fuse-matmul rules, each checked textually and numerically (checkPasses runs the original
// and the rewritten graph through the reference interpreter on random inputs).
func TestFuseMatMulIntoConsumer(t *testing.T) {
	// MatMul + BiasGelu
	checkPasses(t, `model opsets{"": 17, "com.microsoft": 1}
graph g(%x: f32[b,s,3]) -> (%y) {
  %w: f32[3,4] = const [0.5, -1.0, 0.25, 2.0, 1.5, 0.1, -0.3, 0.7, -2.0, 0.4, 0.9, -0.6]
  %bias: f32[4] = const [0.1, 0.2, 0.3, 0.4]
  %t: f32[b,s,4] = MatMul(%x, %w)
  %y: f32[b,s,4] = com.microsoft::BiasGelu(%t, %bias)
}
`, []string{"fuse-matmul", "dce"}, "llmc::MatMulBiasGelu(%x, %w, %bias)", "NOT MatMul(", "NOT com.microsoft::BiasGelu")

	// FastGelu without bias: a zero bias is supplied
	m := checkPasses(t, `model opsets{"": 17, "com.microsoft": 1}
graph g(%x: f32[b,3]) -> (%y) {
  %w: f32[3,2] = const [0.5, -1.0, 0.25, 2.0, 1.5, 0.1]
  %t: f32[b,2] = MatMul(%x, %w)
  %y: f32[b,2] = com.microsoft::FastGelu(%t)
}
`, []string{"fuse-matmul", "dce"}, "llmc::MatMulFastGelu(%x, %w, %matmul_zeros", "NOT com.microsoft::FastGelu")
	require.Len(t, m.Graph.Nodes, 1)

	// SkipLayerNormalization whose MatMul operand is the skip input, no beta, no bias
	checkPasses(t, `model opsets{"": 17, "com.microsoft": 1}
graph g(%x: f32[b,s,3], %r: f32[b,s,4]) -> (%y) {
  %w: f32[3,4] = const [0.5, -1.0, 0.25, 2.0, 1.5, 0.1, -0.3, 0.7, -2.0, 0.4, 0.9, -0.6]
  %gamma: f32[4] = const [1.0, 0.5, 2.0, 1.5]
  %t: f32[b,s,4] = MatMul(%x, %w)
  %y: f32[b,s,4] = com.microsoft::SkipLayerNormalization(%r, %t, %gamma) {epsilon=1e-05}
}
`, []string{"fuse-matmul", "dce"}, "llmc::MatMulSkipLayerNormalization(%x, %w, %r, %gamma, %matmul_zeros", "{epsilon=1e-05}", "NOT com.microsoft::SkipLayerNormalization")

	// refused: the MatMul result has a second reader; SkipLayerNormalization's mean is used
	checkPasses(t, `model opsets{"": 17, "com.microsoft": 1}
graph g(%x: f32[b,3], %r: f32[b,4]) -> (%y, %t, %z, %m) {
  %w: f32[3,4] = const [0.5, -1.0, 0.25, 2.0, 1.5, 0.1, -0.3, 0.7, -2.0, 0.4, 0.9, -0.6]
  %bias: f32[4] = const [0.1, 0.2, 0.3, 0.4]
  %gamma: f32[4] = const [1.0, 0.5, 2.0, 1.5]
  %beta: f32[4] = const [0.0, 0.1, -0.1, 0.2]
  %t: f32[b,4] = MatMul(%x, %w)
  %y: f32[b,4] = com.microsoft::BiasGelu(%t, %bias)
  %u: f32[b,4] = MatMul(%x, %w)
  %z: f32[b,4], %m: f32[b,1] = com.microsoft::SkipLayerNormalization(%u, %r, %gamma, %beta, %bias)
}
`, []string{"fuse-matmul", "dce"}, "NOT llmc::")

	// pre-LN: the residual sum is read, so the op also returns it
	checkPasses(t, `model opsets{"": 17, "com.microsoft": 1}
graph g(%x: f32[b,3], %r: f32[b,4]) -> (%z, %sum) {
  %w: f32[3,4] = const [0.5, -1.0, 0.25, 2.0, 1.5, 0.1, -0.3, 0.7, -2.0, 0.4, 0.9, -0.6]
  %bias: f32[4] = const [0.1, 0.2, 0.3, 0.4]
  %gamma: f32[4] = const [1.0, 0.5, 2.0, 1.5]
  %beta: f32[4] = const [0.0, 0.1, -0.1, 0.2]
  %u: f32[b,4] = MatMul(%x, %w)
  %z: f32[b,4], %m: f32[b,1], %v: f32[b,1], %sum: f32[b,4] = com.microsoft::SkipLayerNormalization(%u, %r, %gamma, %beta, %bias)
}
`, []string{"fuse-matmul", "dce"}, "llmc::MatMulSkipLayerNormalizationSum(%x, %w, %r, %gamma, %beta, %bias)", "NOT com.microsoft::SkipLayerNormalization")

	// refused: the weight is not a constant
	checkPasses(t, `model opsets{"": 17, "com.microsoft": 1}
graph g(%x: f32[b,3], %w: f32[3,4]) -> (%y) {
  %bias: f32[4] = const [0.1, 0.2, 0.3, 0.4]
  %t: f32[b,4] = MatMul(%x, %w)
  %y: f32[b,4] = com.microsoft::BiasGelu(%t, %bias)
}
`, []string{"fuse-matmul", "dce"}, "NOT llmc::")
}

// A 3-D linear layer (MatMul + bias Add, which Gemm cannot take) becomes MatMulBias, with the
// bias on either side of the Add.
func TestFuseMatMulBias(t *testing.T) {
	checkPasses(t, `model opsets{"": 17}
graph g(%x: f32[b,s,3]) -> (%y, %z) {
  %w: f32[3,2] = const [0.5, -1.0, 0.25, 2.0, 1.5, 0.1]
  %bias: f32[2] = const [0.1, -0.2]
  %t: f32[b,s,2] = MatMul(%x, %w)
  %y: f32[b,s,2] = Add(%t, %bias)
  %u: f32[b,s,2] = MatMul(%x, %w)
  %z: f32[b,s,2] = Add(%bias, %u)
}
`, []string{"fuse-matmul", "dce"}, "llmc::MatMulBias(%x, %w, %bias)", "llmc::MatMulBias(%x, %w, %bias)", "NOT MatMul(", "NOT Add(")
	// refused: a full-tensor addend is a residual, not a bias
	checkPasses(t, `model opsets{"": 17}
graph g(%x: f32[b,3], %r: f32[b,2]) -> (%y) {
  %w: f32[3,2] = const [0.5, -1.0, 0.25, 2.0, 1.5, 0.1]
  %t: f32[b,2] = MatMul(%x, %w)
  %y: f32[b,2] = Add(%t, %r)
}
`, []string{"fuse-matmul", "dce"}, "NOT llmc::")
}

// A 2-D linear layer becomes plain Gemm; a Transpose of the last two axes folds into
// FusedMatMul (unfused attention's Q·Kᵀ), on either side; other permutations stay.
func TestFuseGemmAndTransposedMatMul(t *testing.T) {
	m := checkPasses(t, `model opsets{"": 17}
graph g(%x: f32[n,3]) -> (%y) {
  %w: f32[3,2] = const [0.5, -1.0, 0.25, 2.0, 1.5, 0.1]
  %bias: f32[2] = const [0.1, -0.2]
  %t: f32[n,2] = MatMul(%x, %w)
  %y: f32[n,2] = Add(%bias, %t)
}
`, []string{"fuse-matmul", "dce"}, "Gemm(%x, %w, %bias)", "NOT MatMul(", "NOT llmc::")
	require.Len(t, m.Graph.Nodes, 1)
	require.NotContains(t, m.Graph.Opsets, "llmc", "plain ONNX needs no llmc opset import")
	checkPasses(t, `model opsets{"": 17}
graph g(%q: f32[b,h,5,4], %k: f32[b,h,5,4], %v: f32[b,h,4,5], %x: f32[b,h,4,3], %p: f32[h,b,5,4]) -> (%s, %u, %w) {
  %kt: f32[b,h,4,5] = Transpose(%k) {perm=[0, 1, 3, 2]}
  %s: f32[b,h,5,5] = MatMul(%q, %kt)
  %vt: f32[b,h,5,4] = Transpose(%v) {perm=[0, 1, 3, 2]}
  %u: f32[b,h,5,3] = MatMul(%vt, %x)
  %pp: f32[b,h,5,4] = Transpose(%p) {perm=[1, 0, 2, 3]}
  %w: f32[b,h,5,3] = MatMul(%pp, %x)
}
`, []string{"fuse-matmul", "dce"}, "MatMul(%pp, %x)", "com.microsoft::FusedMatMul(%q, %k) {transB=1}", "com.microsoft::FusedMatMul(%v, %x) {transA=1}")
}

// Tanh or Relu of a Gemm becomes com.microsoft FusedGemm (ONNX Runtime's CPU op); another
// activation, or a Gemm read elsewhere, stays.
func TestFuseGemmActivation(t *testing.T) {
	checkPasses(t, `model opsets{"": 17}
graph g(%x: f32[n,3]) -> (%y, %r, %s, %g2, %z) {
  %w: f32[3,2] = const [0.5, -1.0, 0.25, 2.0, 1.5, 0.1]
  %c: f32[2] = const [0.1, -0.2]
  %g: f32[n,2] = Gemm(%x, %w, %c) {alpha=0.5}
  %y: f32[n,2] = Tanh(%g)
  %h: f32[n,2] = Gemm(%x, %w, %c) {beta=2.0}
  %r: f32[n,2] = Relu(%h)
  %k: f32[n,2] = Gemm(%x, %w)
  %s: f32[n,2] = Sigmoid(%k)
  %g2: f32[n,2] = Gemm(%x, %w, %c) {transA=0}
  %z: f32[n,2] = Tanh(%g2)
}
`, []string{"fuse-matmul"}, "Sigmoid(%k)", "%g2: f32[n,2] = Gemm(%x, %w, %c)", "= Tanh(%g2)",
		`com.microsoft::FusedGemm(%x, %w, %c) {activation="Tanh", alpha=0.5}`,
		`com.microsoft::FusedGemm(%x, %w, %c) {activation="Relu", beta=2.0}`, "NOT Tanh(%g)")
}
