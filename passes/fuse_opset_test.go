package passes

import "testing"

// An opset-11 LayerNorm fuses after the model is raised to opset 17: Unsqueeze's axes attribute
// becomes an input and a last-axis Softmax keeps its meaning.
func TestFuseLayerNormUpgradesOpset11(t *testing.T) {
	checkPasses(t, `model opsets{"": 11}
graph g(%x: f32[b,s,4], %k: i64[b,s]) -> (%y, %z, %u) {
  %two: f32[] = const [2.0]
  %eps: f32[] = const [1e-05]
  %gamma: f32[4] = const [1.0, 0.5, 2.0, 1.5]
  %beta: f32[4] = const [0.0, 0.1, -0.1, 0.2]
  %m: f32[b,s,1] = ReduceMean(%x) {axes=[-1]}
  %d: f32[b,s,4] = Sub(%x, %m)
  %p: f32[b,s,4] = Pow(%d, %two)
  %v: f32[b,s,1] = ReduceMean(%p) {axes=[-1]}
  %ve: f32[b,s,1] = Add(%v, %eps)
  %sd: f32[b,s,1] = Sqrt(%ve)
  %n: f32[b,s,4] = Div(%d, %sd)
  %g: f32[b,s,4] = Mul(%n, %gamma)
  %y: f32[b,s,4] = Add(%g, %beta)
  %z: f32[b,s,4] = Softmax(%x) {axis=2}
  %u: i64[b,1,s] = Unsqueeze(%k) {axes=[1]}
}
`, []string{"fuse", "dce"}, `"": 17`, "Softmax(%x) {axis=2}", "Unsqueeze(%k, %Unsqueeze_axes)", "LayerNormalization(%x, %gamma, %beta)", "NOT axes=[1]")
}

// A Softmax whose pre-13 2-D coercion spans more than the last axis would change meaning at
// opset 17, so the LayerNorm stays decomposed and the opset stays 11.
func TestFuseLayerNormRefusesOpsetUpgrade(t *testing.T) {
	checkPasses(t, `model opsets{"": 11}
graph g(%x: f32[b,s,4]) -> (%y, %z) {
  %two: f32[] = const [2.0]
  %eps: f32[] = const [1e-05]
  %m: f32[b,s,1] = ReduceMean(%x) {axes=[-1]}
  %d: f32[b,s,4] = Sub(%x, %m)
  %p: f32[b,s,4] = Pow(%d, %two)
  %v: f32[b,s,1] = ReduceMean(%p) {axes=[-1]}
  %ve: f32[b,s,1] = Add(%v, %eps)
  %sd: f32[b,s,1] = Sqrt(%ve)
  %y: f32[b,s,4] = Div(%d, %sd)
  %z: f32[b,s,4] = Softmax(%x)
}
`, []string{"fuse", "dce"}, `"": 11`, "NOT LayerNormalization", "Softmax(%x)")
}

// Pre-LN models read the embedding sum again as the first residual: it comes from
// EmbedLayerNormalization's embedding_sum output, so the lookups are not kept twice.
func TestFuseEmbedLayerNormKeepsSum(t *testing.T) {
	checkPasses(t, `model opsets{"": 17}
graph g(%ids: i64[b,s]) -> (%y) {
  %word: f32[3,4] = const [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.1, 1.2]
  %pos: f32[4,4] = const [0.0, 0.1, 0.0, 0.1, 0.2, 0.0, 0.2, 0.0, 0.3, 0.3, 0.0, 0.0, 0.4, 0.0, 0.0, 0.4]
  %ar: i64[1,4] = const [0, 1, 2, 3]
  %zero: i64[1] = const [0]
  %one: i64[1] = const [1]
  %i1: i64[] = const [1]
  %gamma: f32[4] = const [1.0, 0.5, 2.0, 1.5]
  %beta: f32[4] = const [0.0, 0.1, -0.1, 0.2]
  %sh: i64[2] = Shape(%ids)
  %n: i64[] = Gather(%sh, %i1) {axis=0}
  %nu: i64[1] = Unsqueeze(%n, %zero)
  %pi: i64[1,s] = Slice(%ar, %zero, %nu, %one, %one)
  %we: f32[b,s,4] = Gather(%word, %ids)
  %pe: f32[1,s,4] = Gather(%pos, %pi)
  %e: f32[b,s,4] = Add(%we, %pe)
  %ln: f32[b,s,4] = LayerNormalization(%e, %gamma, %beta) {axis=-1, epsilon=1e-05}
  %y: f32[b,s,4] = Add(%e, %ln)
}
`, []string{"infer", "fold", "shape", "simplify", "fuse", "dce"}, "com.microsoft::EmbedLayerNormalization(", "NOT Gather(%word", "NOT Gather(%pos")
}
