package lower

import (
	"github.com/llmc/llmc/ir"
)

// Kernel is what a step computes: one of the types below. Each states its meaning as a plain
// loop; backends implement each kind once (backend/cpu/plan executes it, codegen prints the same
// call). Sizes are Exprs over the schedule's dims; buffers are *Value.
type Kernel interface {
	// Kind names the kernel for profiles and stats ("sgemm+BiasGelu", "layernorm", "ref:CumSum").
	Kind() string
}

// Act is an activation applied to a GEMM's output (after the bias).
type Act int

const (
	ActNone     Act = iota
	ActGELU         // 0.5·x·(1+erf(x/√2))
	ActGELUTanh     // 0.5·x·(1+tanh(√(2/π)·(x+0.044715·x³)))
	ActRelu         // max(x, 0)
	ActTanh         // tanh(x)
)

func (a Act) String() string { return [...]string{"", "GELU", "GELUTanh", "Relu", "Tanh"}[a] }

// Fused reports whether the CPU GEMM epilogue applies the activation in the tile (the others run
// as a pass over the output right after).
func (a Act) Fused() bool { return a <= ActGELUTanh }

// Gemm is Y[i,j] = Act(Alpha·Σ_p op(A)[i,p]·W[p,j] + Bias[j]) for i < M, j < W.N: a GEMM
// with a constant weight packed once (and run on AMX tiles at the AMX precisions). A is M x K
// (row stride LdA), or K x M stored when TransA.
type Gemm struct {
	A, Y   *Value
	W      *Weight
	TransA bool
	M, LdA Expr
	Alpha  float32
	Bias   *Value // constant float32 [N], or nil
	Act    Act
	Fused  string // the consumer op folded into the epilogue ("" none), for Kind
}

func (k *Gemm) Kind() string {
	if k.Fused != "" {
		return "sgemm+" + k.Fused
	}
	return "sgemm"
}

// GemmSkipLayerNorm is llmc's MatMulSkipLayerNormalization: t = A·W + Bias + Skip over M rows of
// W.N, then Y = LayerNorm(t)·Gamma + Beta per row (Beta nil: zero). With Sum (pre-LN blocks)
// t is also written to Sum.
type GemmSkipLayerNorm struct {
	A, Skip, Y, Sum *Value
	W               *Weight
	M               Expr
	Bias            *Value
	Gamma, Beta     *Value
	Eps             float32
}

func (k *GemmSkipLayerNorm) Kind() string { return "sgemm+SkipLayerNorm" }

// MatMul is a batched product of two activations: for every batch index (o, h) with o < Outer,
// h < Inner,
//
//	Y_oh = Alpha · op(A_oh) · op(B_oh)      (M x N, inner dimension K)
//
// where X_oh starts at element o·X.Outer + h·X.Inner of X (a stride of 0 broadcasts an operand
// over that level), op transposes the last two axes when asked, and Y is contiguous
// [Outer, Inner, M, N]. LdA and LdB are the operands' row strides.
type MatMul struct {
	A, B, Y        *Value
	TransA, TransB bool
	M, N, K        Expr
	LdA, LdB       Expr
	Alpha          float32
	Outer, Inner   Expr
	SA, SB         Strides
}

// Strides locate one matrix of a batched operand: element offset o·Outer + h·Inner.
type Strides struct{ Outer, Inner Expr }

func (k *MatMul) Kind() string { return "sgemm-batched" }

// AttentionQKV is the projection half of com.microsoft Attention: Scratch[0 : B·S·3H] =
// X·W + Bias (X is [B, S, In], W [In, 3H] packed); the core step reads it.
type AttentionQKV struct {
	X, Scratch *Value
	W          *Weight
	Bias       *Value
	B, S       Expr
	In, Hidden int
}

func (k *AttentionQKV) Kind() string { return "attention.qkv" }

// AttentionCore is the rest of com.microsoft Attention: per batch b and head h, scores =
// Scale·Q_h·K_hᵀ (+ Filter where the key is masked out), softmax over the keys,
// Y[b,s,h·d:(h+1)·d] = probs·V_h, reading Q, K, V from Scratch. Mask is a [B, S] int32 key mask
// (keys with a value above 0 are attended), nil for none; MaskIndex is instead ONNX Runtime's
// 1-D mask_index ([B] end positions or [2B] end and start positions), which the step expands
// into KeyMask (a [B, S] int32 scratch) first.
type AttentionCore struct {
	Y, Scratch      *Value
	Mask, MaskIndex *Value
	KeyMask         *Value
	B, S            Expr
	Hidden, Heads   int
	Scale, Filter   float32
}

func (k *AttentionCore) Kind() string { return "attention.core" }

// LayerNorm is Y[r,:] = (X[r,:] - mean_r)·invStd_r·Gamma + Beta over Rows rows of N (Beta nil:
// zero), invStd_r = 1/√(var_r + Eps); Mean and InvStd (each may be nil) receive mean_r and
// invStd_r (ONNX LayerNormalization's training outputs).
type LayerNorm struct {
	X, Y         *Value
	Mean, InvStd *Value
	Rows         Expr
	N            Expr
	Gamma, Beta  *Value
	Eps          float32
}

func (k *LayerNorm) Kind() string { return "layernorm" }

// SkipLayerNorm is com.microsoft SkipLayerNormalization: t = X + Skip (+ Bias), Y =
// LayerNorm(t)·Gamma + Beta per row; Sum (pre-LN) also receives t.
type SkipLayerNorm struct {
	X, Skip, Y, Sum   *Value
	Bias, Gamma, Beta *Value
	Rows              Expr
	N                 int
	Eps               float32
}

func (k *SkipLayerNorm) Kind() string { return "skiplayernorm" }

// EmbedLayerNorm is com.microsoft EmbedLayerNormalization: sum[b,s,:] = Word[Ids[b,s]] +
// Pos[s] + SegTable[Seg[b,s]], Y = LayerNorm(sum)·Gamma + Beta; Sum (pre-LN) receives sum;
// MaskIndex[b] = the number of ones in Mask[b] (zeros without a mask). Ids and Seg are int32.
type EmbedLayerNorm struct {
	Ids, Seg, Mask      *Value
	Y, MaskIndex, Sum   *Value
	Word, Pos, SegTable *Value
	Gamma, Beta         *Value
	B, S                Expr
	Hidden              int
	Eps                 float32
}

func (k *EmbedLayerNorm) Kind() string { return "embedlayernorm" }

// Gelu is Y = GELU(X + Bias) (exact erf form, or the tanh form when Tanh) over Rows rows of N;
// Bias (a row vector) may be nil.
type Gelu struct {
	X, Y, Bias *Value
	Rows       Expr
	N          Expr
	Tanh       bool
}

func (k *Gelu) Kind() string { return "gelu" }

// UnaryOp names an elementwise float32 function: the backend/cpu function of that name.
type UnaryOp string

// Unary is Y[i] = Op(X[i]) for i < N; PowScalar takes the exponent Args[0], Clip the bounds
// Args[0] and Args[1].
type Unary struct {
	Op   UnaryOp
	X, Y *Value
	N    Expr
	Args []float32
}

func (k *Unary) Kind() string { return string(k.Op) }

// BinaryOp is Add, Sub, Mul, Div, Max, Min or Pow.
type BinaryOp string

// Softmax is softmax (or, with Log, log-softmax) along an axis of N elements: for o < Rows,
// c < Inner, over j < N, Y[(o·N+j)·Inner+c] = exp(x_j - max x) / Σ exp(x - max x) with x_j =
// X[(o·N+j)·Inner+c]. Inner is 1 for the last axis.
type Softmax struct {
	X, Y           *Value
	Rows, N, Inner Expr
	Log            bool
}

func (k *Softmax) Kind() string {
	if k.Log {
		return "logsoftmax"
	}
	return "softmax"
}

// Broadcast is Y = A Op B with numpy broadcasting (each dim of A and B, right-aligned, equal to
// Y's or 1) for Op Add, Sub, Mul, Div, Max, Min or Pow, on float32 (cpu.BroadcastBinary, whose
// innermost runs are the full, scalar or row vector kernels) or int32, int64 and float64
// (cpu.BinaryT: integer Div truncates, and fails on a zero divisor).
type Broadcast struct {
	Op      BinaryOp
	A, B, Y *Value
}

func (k *Broadcast) Kind() string { return "broadcast" }

// Compare is Y = A Op B (bool) with numpy broadcasting, Op Equal, Less, LessOrEqual, Greater or
// GreaterOrEqual, on int32, int64, float32 or float64.
type Compare struct {
	Op      string
	A, B, Y *Value
}

func (k *Compare) Kind() string { return "compare" }

// Logical is Y = A Op B on bools with numpy broadcasting (And, Or, Xor), or Y = !A (Not, B nil).
type Logical struct {
	Op      string
	A, B, Y *Value
}

func (k *Logical) Kind() string { return "logical" }

// Where is Y = Cond ? X : Z elementwise, with numpy broadcasting of all three (any element type).
type Where struct {
	Cond, X, Z, Y *Value
}

func (k *Where) Kind() string { return "where" }

// Expand is Y = X broadcast to Y's shape (any element type).
type Expand struct {
	X, Y *Value
}

func (k *Expand) Kind() string { return "expand" }

// Reduce is Y = Op over Axes of X (float32): ReduceSum, ReduceMean, ReduceMax, ReduceMin,
// ReduceProd, ReduceSumSquare, ReduceL1, ReduceL2, ReduceLogSum or ReduceLogSumExp. Y holds the
// kept dims in order (keepdims does not change the layout).
type Reduce struct {
	Op   string
	X, Y *Value
	Axes []int
}

func (k *Reduce) Kind() string { return "reduce" }

// Transpose is Y = X with its axes permuted, Y.shape[i] = X.shape[Perm[i]] (any element type).
type Transpose struct {
	X, Y *Value
	Perm []int
}

func (k *Transpose) Kind() string { return "transpose" }

// Concat is Y = the Parts joined along an axis: viewing each part as Outer rows of Inner[i]
// bytes, Y's rows are the parts' rows one after the other.
type Concat struct {
	Parts []*Value
	Y     *Value
	Outer Expr
	Inner []Expr
}

func (k *Concat) Kind() string { return "concat" }

// Slice is Y[j_0, …] = X[Starts[0] + j_0·Steps[0], …] (any element type); Starts are already
// clamped into X's dims and Y's shape is the slice's.
type Slice struct {
	X, Y          *Value
	Starts, Steps []Expr
}

func (k *Slice) Kind() string { return "slice" }

// CumSum is Y = the running sum of X along an axis of N elements (Outer before it, Inner after),
// exclusive and/or reversed as asked (int32, int64, float32 or float64).
type CumSum struct {
	X, Y               *Value
	Outer, N, Inner    Expr
	Exclusive, Reverse bool
}

func (k *CumSum) Kind() string { return "cumsum" }

// TransposeBSHD is Y[b,h,s,d] = X[b,s,h,d] for float32 X of [B, S, H, D] (perm 0,2,1,3).
type TransposeBSHD struct {
	X, Y       *Value
	B, S, H, D Expr
}

func (k *TransposeBSHD) Kind() string { return "transpose" }

// Cast is Y[i] = To(X[i]) for i < N (ONNX Cast semantics) between int32, int64, float32,
// float64 and bool.
type Cast struct {
	X, Y     *Value
	From, To ir.DType
	N        Expr
}

func (k *Cast) Kind() string { return "cast" }

// Gather is Y[o, i, :] = Data[o, Idx[i], :] for o < Outer, i < NIdx, the rows Rows long and
// Inner bytes wide (negative indices count from the end; one out of range fails the run). Idx is
// int64 or int32; Data any element type.
type Gather struct {
	Data, Idx, Y       *Value
	Outer, Rows, Inner Expr
	NIdx               Expr
}

func (k *Gather) Kind() string { return "gather" }

// ShapeOf writes Dims (evaluated for the bound dims) into the int64 tensor Y: ONNX Shape (with
// start/end) and Size.
type ShapeOf struct {
	Y    *Value
	Dims []Expr
}

func (k *ShapeOf) Kind() string { return "shape" }

// Ref runs Node on the reference implementation (backend/ref) over the values In (one per node
// input; nil for absent ones) and copies its results into Out (one per node output; nil for
// absent or unused ones), failing if a result's size differs from the planned one. Free are the
// outer-scope values the node's subgraphs read (control flow: If, Loop, Scan), FreeIR the graph
// values they stand for, both in ir.Node.FreeValues order.
type Ref struct {
	Node   *ir.Node
	In     []*Value
	Out    []*Value
	Free   []*Value
	FreeIR []*ir.Value
}

func (k *Ref) Kind() string { return "ref:" + k.Node.Op }
