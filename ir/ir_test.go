package ir

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestBroadcastShapes(t *testing.T) {
	b, s := Sym("batch"), Sym("seq")
	cases := []struct {
		a, b, want Shape
	}{
		{Shape{b, s, D(8)}, Shape{D(8)}, Shape{b, s, D(8)}},
		{Shape{b, D(1), D(1), s}, Shape{b, D(4), s, s}, Shape{b, D(4), s, s}},
		{Shape{D(1)}, Shape{s}, Shape{s}},
		{Shape{s}, Shape{D(5)}, Shape{D(5)}},
		{Shape{b}, Shape{s}, Shape{UnknownDim()}},
		{Shape{}, Shape{D(2), D(3)}, Shape{D(2), D(3)}},
	}
	for _, c := range cases {
		got, err := BroadcastShapes(c.a, c.b)
		require.NoError(t, err)
		require.Equal(t, c.want, got, "%v + %v", c.a, c.b)
	}
	_, err := BroadcastShapes(Shape{D(2)}, Shape{D(3)})
	require.ErrorContains(t, err, "do not broadcast")
}

func TestNumElementsOverflow(t *testing.T) {
	_, err := NumElements([]int64{1 << 40, 1 << 40})
	require.ErrorIs(t, err, ErrTooLarge)
	_, err = NumElements([]int64{3, -1})
	require.Error(t, err)
	n, err := NumElements([]int64{0, 1 << 62})
	require.NoError(t, err)
	require.Equal(t, int64(0), n)
	_, err = NewTensor(Float32, []int64{1 << 20, 1 << 20}, 1<<30)
	require.ErrorIs(t, err, ErrTooLarge)
}

func TestFloat16RoundTrip(t *testing.T) {
	for h := 0; h < 1<<16; h++ {
		f := Float16ToFloat32(uint16(h))
		if math.IsNaN(float64(f)) {
			require.True(t, math.IsNaN(float64(Float16ToFloat32(Float32ToFloat16(f)))))
			continue
		}
		require.Equal(t, uint16(h), Float32ToFloat16(f), "half %#04x = %v", h, f)
	}
	// rounding to nearest even between 1 and the next half (1 + 2^-10)
	require.Equal(t, uint16(0x3C00), Float32ToFloat16(1+1.0/4096))
	require.Equal(t, uint16(0x3C01), Float32ToFloat16(1+3.0/4096))
	require.Equal(t, uint16(0x7C00), Float32ToFloat16(1e6))
	require.Equal(t, float32(1), BFloat16ToFloat32(Float32ToBFloat16(1)))
}

func TestTensorViews(t *testing.T) {
	x := FromFloat32s([]int64{2, 2}, []float32{1, 2, 3, 4})
	require.Equal(t, []float32{1, 2, 3, 4}, x.Float32s())
	require.NoError(t, x.Validate())
	// misaligned raw data is copied, not aliased, and decodes the same
	raw := make([]byte, len(x.Raw)+1)
	copy(raw[1:], x.Raw)
	y := &Tensor{DType: Float32, Shape: []int64{2, 2}, Raw: raw[1:]}
	require.Equal(t, []float32{1, 2, 3, 4}, y.Float32s())
	require.True(t, x.Equal(y))
	bad := &Tensor{DType: Float32, Shape: []int64{3}, Raw: make([]byte, 8)}
	require.ErrorContains(t, bad.Validate(), "has 8 bytes of data, want 12")
}

func verifyErr(t *testing.T, src, want string) {
	t.Helper()
	_, err := ParseModel(src)
	require.Error(t, err)
	require.Contains(t, err.Error(), want)
}

func TestVerifier(t *testing.T) {
	verifyErr(t, `model opsets{"": 17} graph g(%x: f32[2]) -> (%y) { %y: f32[2] = Add(%x) }`, "has 1 inputs, want 2")
	verifyErr(t, `model opsets{"": 17} graph g(%x: f32[2]) -> (%y) { %y: f32[2] = Softmax(%x) {axis=1.5} }`, `attribute "axis" has type float, want int`)
	verifyErr(t, `model opsets{"": 17} graph g(%x: f32[2]) -> (%y) { %y: f32[2] = Softmax(%x) {bogus=1} }`, `unknown attribute "bogus"`)
	verifyErr(t, `model opsets{"": 17} graph g(%x: f32[2]) -> (%y) { %y: f32[3] = Neg(%x) }`, "declared f32[3] but inference gives f32[2]")
	verifyErr(t, `model opsets{"": 17} graph g(%x: f32[2]) -> (%y) { %w: f32[2] = const [1.0, 2.0]
  %y: f32[2] = Add(%x, %q) }`, "used before it is defined")
	verifyErr(t, `model opsets{"": 16} graph g(%x: f32[2,2]) -> (%y) { %s: f32[2] = const [1.0, 1.0]
  %y: f32[2,2] = STFT(%x, %s) }`, "exists from opset 17")
	// a subgraph may read outer values; the outer graph may not read the subgraph's values
	_, err := ParseModel(`model opsets{"": 17}
graph g(%c: bool[], %x: f32[2]) -> (%r) {
  %r: f32[2] = If(%c) {else_branch=graph e() -> (%n) { %n: f32[2] = Neg(%x) }, then_branch=graph t() -> (%x) {}}
}`)
	require.NoError(t, err)
	verifyErr(t, `model opsets{"": 17}
graph g(%c: bool[], %x: f32[2]) -> (%z) {
  %r: f32[2] = If(%c) {else_branch=graph e() -> (%n) { %n: f32[2] = Neg(%x) }, then_branch=graph t() -> (%x) {}}
  %z: f32[2] = Add(%r, %n)
}`, "used before it is defined")
}

func TestOpTableDomains(t *testing.T) {
	for _, s := range Ops() {
		require.NotNil(t, s.Infer, s.Key())
		require.Greater(t, s.Since, int64(0), s.Key())
		require.True(t, s.MaxIn < 0 || s.MaxIn >= s.MinIn, s.Key())
		require.True(t, s.MaxOut < 0 || s.MaxOut >= s.MinOut, s.Key())
		for _, a := range s.Attrs {
			if a.Default != nil {
				require.Equal(t, a.Kind, a.Default.Kind, "%s.%s default kind", s.Key(), a.Name)
			}
		}
	}
	require.NotNil(t, LookupOp("", "MatMul"))
	require.NotNil(t, LookupOp("ai.onnx", "MatMul"))
	require.NotNil(t, LookupOp("com.microsoft", "Attention"))
}

func TestNewTensorHugeDoesNotOverflow(t *testing.T) {
	_, err := NewTensor(Float64, []int64{1 << 59}, 0)
	require.ErrorIs(t, err, ErrTooLarge)
	_, err = NewTensor(Float64, []int64{1 << 59}, 1<<30)
	require.ErrorIs(t, err, ErrTooLarge)
}
