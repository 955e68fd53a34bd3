package plan

import (
	"fmt"
	"unsafe"

	"github.com/llmc/llmc/backend/cpu"
	"github.com/llmc/llmc/backend/ref"
	"github.com/llmc/llmc/codegen/rt"
	"github.com/llmc/llmc/ir"
	"github.com/llmc/llmc/lower"
)

// program is a schedule made executable: weights packed, constants aligned, and one function
// per step that makes the step's kernel call (the same calls codegen prints).
type program struct {
	m       *Model
	s       *lower.Schedule
	weights []*cpu.PackedB
	consts  [][]byte // aligned bytes of the constants, by value ID
	exprs   []lower.Expr
	exprIx  map[string]int
	steps   []func(r *run) error
	refVals []*lower.Value // values reference steps read or write (their shapes are bound)
}

// run is one execution's state.
type run struct {
	p      *Plan
	arena  []byte
	inputs []*ir.Tensor // by graph input index
}

func (m *Model) newProgram(s *lower.Schedule) (*program, error) {
	p := &program{m: m, s: s, exprIx: map[string]int{}, consts: make([][]byte, len(s.Values))}
	for _, v := range s.Values {
		if v.Storage == lower.StorageConst {
			p.consts[v.ID] = v.Const.Aligned().Raw
		}
	}
	for _, w := range s.Weights {
		p.weights = append(p.weights, m.pack(w, s.Precision))
	}
	for _, st := range s.Steps {
		f, err := p.compile(st)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", st.Describe(), err)
		}
		p.steps = append(p.steps, f)
	}
	return p, nil
}

// pack returns the packed form of a weight (shared across schedules of the model).
func (m *Model) pack(w *lower.Weight, prec cpu.Precision) *cpu.PackedB {
	t := w.Value.Const
	m.packMu.Lock()
	defer m.packMu.Unlock()
	key := packKey{t, w.TransB}
	if pb := m.packed[key]; pb != nil {
		return pb
	}
	a := t.Aligned()
	pb := cpu.PackB(m.pool, w.TransB, w.K, w.N, a.Float32s(), int(a.Shape[1]))
	pb.EnableAMX(prec) // false (FP32 only) without AMX, or with Inf/NaN weights
	m.packed[key] = pb
	return pb
}

// ix interns an Expr; bound plans hold its value at that index.
func (p *program) ix(e lower.Expr) int {
	k := e.String()
	if i, ok := p.exprIx[k]; ok {
		return i
	}
	p.exprIx[k] = len(p.exprs)
	p.exprs = append(p.exprs, e)
	return len(p.exprs) - 1
}

// bind makes the plan for dims: sizes, offsets, bound Exprs, and the bind steps' values.
func (p *program) bind(dims []int64) (*Plan, error) {
	lay, err := p.s.Bind(dims, p.m.opts.MaxMemory)
	if err != nil {
		return nil, err
	}
	pl := &Plan{prog: p, dims: dims, lay: lay, ints: make([]int, len(p.exprs)), shapes: make([][]int64, len(p.s.Values))}
	for i, e := range p.exprs {
		v, err := p.s.Eval(e, dims)
		if err != nil {
			return nil, err
		}
		pl.ints[i] = int(v)
	}
	for _, v := range p.refVals {
		if pl.shapes[v.ID], err = p.s.Shape(v, dims); err != nil {
			return nil, err
		}
	}
	pl.bind = rt.AlignedBytes(int(lay.BindSize))
	r := &run{p: pl}
	for i, st := range p.s.BindSteps() {
		if err := p.steps[i](r); err != nil {
			return nil, fmt.Errorf("%s: %w", st.Describe(), err)
		}
	}
	return pl, nil
}

// bytes returns v's storage in this run.
func (r *run) bytes(v *lower.Value) []byte {
	root := v.Root()
	switch root.Storage {
	case lower.StorageInput:
		return r.inputs[root.Input].Raw
	case lower.StorageConst:
		return r.p.prog.consts[root.ID]
	case lower.StorageArena:
		off := r.p.lay.Offsets[root.Slot]
		return r.arena[off : off+r.p.lay.SlotBytes[root.Slot]]
	case lower.StorageBind:
		off := r.p.lay.BindOffset[root.Slot]
		return r.p.bind[off : off+r.p.lay.BindBytes[root.Slot]]
	}
	panic("plan: value without storage")
}

func (r *run) f32(v *lower.Value) []float32 {
	if v == nil {
		return nil
	}
	b := r.bytes(v)
	if len(b) == 0 {
		return nil
	}
	return unsafe.Slice((*float32)(unsafe.Pointer(&b[0])), len(b)/4)
}

func (r *run) i32(v *lower.Value) []int32 {
	if v == nil {
		return nil
	}
	b := r.bytes(v)
	if len(b) == 0 {
		return nil
	}
	return unsafe.Slice((*int32)(unsafe.Pointer(&b[0])), len(b)/4)
}

func (r *run) i64(v *lower.Value) []int64 {
	if v == nil {
		return nil
	}
	b := r.bytes(v)
	if len(b) == 0 {
		return nil
	}
	return unsafe.Slice((*int64)(unsafe.Pointer(&b[0])), len(b)/8)
}

// i is a bound Expr.
func (r *run) i(ix int) int { return r.p.ints[ix] }

// constF32 is a constant vector as float32s (nil for nil).
func (p *program) constF32(v *lower.Value) []float32 {
	if v == nil {
		return nil
	}
	b := p.consts[v.Root().ID]
	if len(b) == 0 {
		return nil
	}
	return unsafe.Slice((*float32)(unsafe.Pointer(&b[0])), len(b)/4)
}

// epilogue builds a GEMM epilogue once (nil when it does nothing).
func (p *program) epilogue(bias *lower.Value, act lower.Act) *cpu.Epilogue {
	ep := &cpu.Epilogue{Bias: p.constF32(bias)}
	switch act {
	case lower.ActGELU:
		ep.Act = cpu.ActGELU
	case lower.ActGELUTanh:
		ep.Act = cpu.ActGELUTanh
	}
	if ep.Bias == nil && ep.Act == cpu.ActNone {
		return nil
	}
	return ep
}

// postAct applies an activation the GEMM epilogue does not fuse.
func postAct(act lower.Act, y []float32) {
	switch act {
	case lower.ActRelu:
		cpu.Relu(y, y)
	case lower.ActTanh:
		cpu.Tanh(y, y)
	}
}

var unaryFuncs = map[lower.UnaryOp]func(dst, src []float32){
	"Tanh": cpu.Tanh, "Erf": cpu.Erf, "Exp": cpu.Exp, "Relu": cpu.Relu, "Sigmoid": cpu.Sigmoid, "Sqrt": cpu.Sqrt,
	"Neg": cpu.Neg, "Abs": cpu.Abs, "Log": cpu.Log, "Reciprocal": cpu.Reciprocal,
}

var binaryOps = map[lower.BinaryOp]cpu.BinaryOp{"Add": cpu.OpAdd, "Sub": cpu.OpSub, "Mul": cpu.OpMul, "Div": cpu.OpDiv,
	"Max": cpu.OpMax, "Min": cpu.OpMin, "Pow": cpu.OpPow}

var compareOps = map[string]cpu.CmpOp{"Equal": cpu.CmpEqual, "Less": cpu.CmpLess, "LessOrEqual": cpu.CmpLessOrEqual,
	"Greater": cpu.CmpGreater, "GreaterOrEqual": cpu.CmpGreaterOrEqual}

var logicOps = map[string]cpu.LogicOp{"And": cpu.LogicAnd, "Or": cpu.LogicOr, "Xor": cpu.LogicXor}

var reduceOps = map[string]cpu.ReduceOp{"ReduceSum": cpu.ReduceSum, "ReduceMean": cpu.ReduceMean, "ReduceMax": cpu.ReduceMax,
	"ReduceMin": cpu.ReduceMin, "ReduceProd": cpu.ReduceProd, "ReduceSumSquare": cpu.ReduceSumSquare, "ReduceL1": cpu.ReduceL1,
	"ReduceL2": cpu.ReduceL2, "ReduceLogSum": cpu.ReduceLogSum, "ReduceLogSumExp": cpu.ReduceLogSumExp}

// maxRank bounds the ranks of the shapes kernels take (ONNX tensors rarely exceed 6).
const maxRank = 8

// shapeIx interns the dims of a value's shape.
func (p *program) shapeIx(v *lower.Value) []int { return p.exprIxs(v.Shape) }

func (p *program) exprIxs(es []lower.Expr) []int {
	ixs := make([]int, len(es))
	for i, e := range es {
		ixs[i] = p.ix(e)
	}
	return ixs
}

// shape fills buf with bound Exprs (a larger rank gets its own slice).
func (r *run) shape(ixs []int, buf []int) []int {
	if len(ixs) > len(buf) {
		buf = make([]int, len(ixs))
	}
	buf = buf[:len(ixs)]
	for i, x := range ixs {
		buf[i] = r.p.ints[x]
	}
	return buf
}

// view is v's storage as a slice of T.
func view[T any](r *run, v *lower.Value) []T {
	b := r.bytes(v)
	var z T
	if len(b) == 0 {
		return nil
	}
	return unsafe.Slice((*T)(unsafe.Pointer(&b[0])), len(b)/int(unsafe.Sizeof(z)))
}

func binaryT[T cpu.Numeric](k *lower.Broadcast, op cpu.BinaryOp, ys, as, bs []int) func(r *run) error {
	return func(r *run) error {
		var b1, b2, b3 [maxRank]int
		return cpu.BinaryT(op, view[T](r, k.Y), r.shape(ys, b1[:]), view[T](r, k.A), r.shape(as, b2[:]), view[T](r, k.B), r.shape(bs, b3[:]))
	}
}

func compareT[T cpu.Numeric](k *lower.Compare, op cpu.CmpOp, ys, as, bs []int) func(r *run) error {
	return func(r *run) error {
		var b1, b2, b3 [maxRank]int
		cpu.Compare(op, view[bool](r, k.Y), r.shape(ys, b1[:]), view[T](r, k.A), r.shape(as, b2[:]), view[T](r, k.B), r.shape(bs, b3[:]))
		return nil
	}
}

func cumsumT[T cpu.Numeric](k *lower.CumSum, outer, n, inner int) func(r *run) error {
	return func(r *run) error {
		cpu.CumSum(view[T](r, k.Y), view[T](r, k.X), r.i(outer), r.i(n), r.i(inner), k.Exclusive, k.Reverse)
		return nil
	}
}

// castFunc converts between int32, int64, float32, float64 and bool (nil for other pairs).
func castFunc(from, to ir.DType) func(dst, src []byte) {
	switch from {
	case ir.Float32:
		return castFrom[float32](to)
	case ir.Float64:
		return castFrom[float64](to)
	case ir.Int32:
		return castFrom[int32](to)
	case ir.Int64:
		return castFrom[int64](to)
	case ir.Bool:
		return map[ir.DType]func(d, s []byte){ir.Float32: fromBool[float32], ir.Float64: fromBool[float64],
			ir.Int32: fromBool[int32], ir.Int64: fromBool[int64]}[to]
	}
	return nil
}

func castFrom[S cpu.Numeric](to ir.DType) func(dst, src []byte) {
	return map[ir.DType]func(d, s []byte){ir.Float32: convert[float32, S], ir.Float64: convert[float64, S],
		ir.Int32: convert[int32, S], ir.Int64: convert[int64, S], ir.Bool: toBool[S]}[to]
}

func convert[D, S cpu.Numeric](d, s []byte) { cpu.Convert(bview[D](d), bview[S](s)) }
func fromBool[D cpu.Numeric](d, s []byte)   { cpu.ConvertFromBool(bview[D](d), bview[bool](s)) }
func toBool[S cpu.Numeric](d, s []byte)     { cpu.ConvertToBool(bview[bool](d), bview[S](s)) }

func bview[T any](b []byte) []T {
	var z T
	if len(b) == 0 {
		return nil
	}
	return unsafe.Slice((*T)(unsafe.Pointer(&b[0])), len(b)/int(unsafe.Sizeof(z)))
}

// compile makes the function that runs one step.
func (p *program) compile(st *lower.Step) (func(r *run) error, error) {
	pool := p.m.pool
	switch k := st.Kernel.(type) {
	case *lower.Gemm:
		pb := p.weights[k.W.ID]
		ep := p.epilogue(k.Bias, k.Act)
		m, lda := p.ix(k.M), p.ix(k.LdA)
		return func(r *run) error {
			y := r.f32(k.Y)
			cpu.SgemmPacked(pool, k.TransA, r.i(m), k.Alpha, r.f32(k.A), r.i(lda), pb, 0, y, pb.N, ep)
			postAct(k.Act, y)
			return nil
		}, nil
	case *lower.GemmSkipLayerNorm:
		pb := p.weights[k.W.ID]
		ep := p.epilogue(k.Bias, lower.ActNone)
		m := p.ix(k.M)
		return func(r *run) error {
			mm, y := r.i(m), r.f32(k.Y)
			if k.Sum != nil { // pre-LN: the residual sum is an output too
				sum := r.f32(k.Sum)
				cpu.SgemmPacked(pool, false, mm, 1, r.f32(k.A), pb.K, pb, 0, sum, pb.N, ep)
				cpu.Add(sum, sum, r.f32(k.Skip))
				cpu.LayerNorm(pool, y, sum, mm, pb.N, r.f32(k.Gamma), r.f32(k.Beta), k.Eps)
				return nil
			}
			cpu.SgemmPacked(pool, false, mm, 1, r.f32(k.A), pb.K, pb, 0, y, pb.N, ep)
			cpu.SkipLayerNorm(pool, y, y, r.f32(k.Skip), nil, mm, pb.N, r.f32(k.Gamma), r.f32(k.Beta), k.Eps)
			return nil
		}, nil
	case *lower.MatMul:
		m, n, kk, lda, ldb := p.ix(k.M), p.ix(k.N), p.ix(k.K), p.ix(k.LdA), p.ix(k.LdB)
		outer, inner := p.ix(k.Outer), p.ix(k.Inner)
		sao, sai, sbo, sbi := p.ix(k.SA.Outer), p.ix(k.SA.Inner), p.ix(k.SB.Outer), p.ix(k.SB.Inner)
		syo, syi := p.ix(lower.Product(k.Inner, k.M, k.N)), p.ix(lower.Product(k.M, k.N))
		return func(r *run) error {
			cpu.SgemmBatched(pool, r.i(outer), r.i(inner), k.TransA, k.TransB, r.i(m), r.i(n), r.i(kk), k.Alpha,
				r.f32(k.A), r.i(lda), cpu.BatchStrides{Batch: r.i(sao), Head: r.i(sai)},
				r.f32(k.B), r.i(ldb), cpu.BatchStrides{Batch: r.i(sbo), Head: r.i(sbi)},
				0, r.f32(k.Y), r.i(n), cpu.BatchStrides{Batch: r.i(syo), Head: r.i(syi)})
			return nil
		}, nil
	case *lower.AttentionQKV:
		pb := p.weights[k.W.ID]
		ep := p.epilogue(k.Bias, lower.ActNone)
		b, s := p.ix(k.B), p.ix(k.S)
		return func(r *run) error {
			cpu.AttentionQKV(pool, r.f32(k.X), r.i(b), r.i(s), k.In, k.Hidden, pb, ep, r.f32(k.Scratch))
			return nil
		}, nil
	case *lower.AttentionCore:
		b, s := p.ix(k.B), p.ix(k.S)
		return func(r *run) error {
			mask := r.i32(k.Mask)
			if k.MaskIndex != nil {
				km := r.i32(k.KeyMask)
				cpu.KeyMaskFromIndex(km, r.i32(k.MaskIndex), r.i(b), r.i(s))
				mask = km
			}
			cpu.AttentionCore(pool, r.f32(k.Y), r.i(b), r.i(s), k.Hidden, k.Heads, mask, k.Scale, k.Filter, r.f32(k.Scratch))
			return nil
		}, nil
	case *lower.LayerNorm:
		rows, n := p.ix(k.Rows), p.ix(k.N)
		if k.Mean != nil || k.InvStd != nil {
			return func(r *run) error {
				cpu.LayerNormStats(pool, r.f32(k.Y), r.f32(k.X), r.i(rows), r.i(n), r.f32(k.Gamma), r.f32(k.Beta), k.Eps, r.f32(k.Mean), r.f32(k.InvStd))
				return nil
			}, nil
		}
		return func(r *run) error {
			cpu.LayerNorm(pool, r.f32(k.Y), r.f32(k.X), r.i(rows), r.i(n), r.f32(k.Gamma), r.f32(k.Beta), k.Eps)
			return nil
		}, nil
	case *lower.SkipLayerNorm:
		rows := p.ix(k.Rows)
		return func(r *run) error {
			mm, y := r.i(rows), r.f32(k.Y)
			if k.Sum != nil {
				sum := r.f32(k.Sum)
				cpu.Add(sum, r.f32(k.X), r.f32(k.Skip))
				if k.Bias != nil {
					cpu.RowBroadcast(cpu.OpAdd, sum, sum, mm, k.N, r.f32(k.Bias))
				}
				cpu.LayerNorm(pool, y, sum, mm, k.N, r.f32(k.Gamma), r.f32(k.Beta), k.Eps)
				return nil
			}
			cpu.SkipLayerNorm(pool, y, r.f32(k.X), r.f32(k.Skip), r.f32(k.Bias), mm, k.N, r.f32(k.Gamma), r.f32(k.Beta), k.Eps)
			return nil
		}, nil
	case *lower.EmbedLayerNorm:
		b, s := p.ix(k.B), p.ix(k.S)
		return func(r *run) error {
			bb, ss := r.i(b), r.i(s)
			if k.MaskIndex != nil {
				cpu.MaskIndex(r.i32(k.MaskIndex), r.i32(k.Mask), bb, ss)
			}
			if k.Sum != nil {
				sum := r.f32(k.Sum)
				if err := cpu.EmbedSum(sum, r.i32(k.Ids), r.i32(k.Seg), bb, ss, k.Hidden, r.f32(k.Word), r.f32(k.Pos), r.f32(k.SegTable)); err != nil {
					return err
				}
				cpu.LayerNorm(pool, r.f32(k.Y), sum, bb*ss, k.Hidden, r.f32(k.Gamma), r.f32(k.Beta), k.Eps)
				return nil
			}
			return cpu.EmbedLayerNorm(pool, r.f32(k.Y), r.i32(k.Ids), r.i32(k.Seg), bb, ss, k.Hidden, r.f32(k.Word), r.f32(k.Pos), r.f32(k.SegTable), r.f32(k.Gamma), r.f32(k.Beta), k.Eps)
		}, nil
	case *lower.Gelu:
		rows, n := p.ix(k.Rows), p.ix(k.N)
		return func(r *run) error {
			cpu.BiasGelu(r.f32(k.Y), r.f32(k.X), r.f32(k.Bias), r.i(rows), r.i(n), k.Tanh)
			return nil
		}, nil
	case *lower.Unary:
		switch k.Op {
		case "PowScalar":
			return func(r *run) error { cpu.PowScalar(r.f32(k.Y), r.f32(k.X), k.Args[0]); return nil }, nil
		case "Clip":
			return func(r *run) error { cpu.Clip(r.f32(k.Y), r.f32(k.X), k.Args[0], k.Args[1]); return nil }, nil
		}
		f := unaryFuncs[k.Op]
		if f == nil {
			return nil, fmt.Errorf("no CPU function for %s", k.Op)
		}
		return func(r *run) error {
			f(r.f32(k.Y), r.f32(k.X))
			return nil
		}, nil
	case *lower.Softmax:
		rows, n, inner := p.ix(k.Rows), p.ix(k.N), p.ix(k.Inner)
		if c, ok := k.Inner.Value(); ok && c == 1 {
			if k.Log {
				return func(r *run) error { cpu.LogSoftmax(pool, r.f32(k.Y), r.f32(k.X), r.i(rows), r.i(n)); return nil }, nil
			}
			return func(r *run) error { cpu.Softmax(pool, r.f32(k.Y), r.f32(k.X), r.i(rows), r.i(n), nil); return nil }, nil
		}
		return func(r *run) error {
			cpu.SoftmaxAxis(pool, r.f32(k.Y), r.f32(k.X), r.i(rows), r.i(n), r.i(inner), k.Log)
			return nil
		}, nil
	case *lower.TransposeBSHD:
		b, s, h, d := p.ix(k.B), p.ix(k.S), p.ix(k.H), p.ix(k.D)
		return func(r *run) error {
			cpu.TransposeBSHD(r.f32(k.Y), r.f32(k.X), r.i(b), r.i(s), r.i(h), r.i(d))
			return nil
		}, nil
	case *lower.Cast:
		f := castFunc(k.From, k.To)
		if f == nil {
			return nil, fmt.Errorf("no conversion from %s to %s", k.From, k.To)
		}
		return func(r *run) error { f(r.bytes(k.Y), r.bytes(k.X)); return nil }, nil
	case *lower.Gather:
		outer, rows, inner := p.ix(k.Outer), p.ix(k.Rows), p.ix(k.Inner)
		if k.Idx.DType == ir.Int32 {
			return func(r *run) error {
				return cpu.GatherI32(r.bytes(k.Y), r.bytes(k.Data), r.i(outer), r.i(rows), r.i(inner), r.i32(k.Idx))
			}, nil
		}
		return func(r *run) error {
			return cpu.Gather(r.bytes(k.Y), r.bytes(k.Data), r.i(outer), r.i(rows), r.i(inner), r.i64(k.Idx))
		}, nil
	case *lower.Broadcast:
		op := binaryOps[k.Op]
		ys, as, bs := p.shapeIx(k.Y), p.shapeIx(k.A), p.shapeIx(k.B)
		switch k.Y.DType {
		case ir.Float32:
			return func(r *run) error {
				var b1, b2, b3 [maxRank]int
				cpu.BroadcastBinary(pool, op, r.f32(k.Y), r.shape(ys, b1[:]), r.f32(k.A), r.shape(as, b2[:]), r.f32(k.B), r.shape(bs, b3[:]))
				return nil
			}, nil
		case ir.Float64:
			return binaryT[float64](k, op, ys, as, bs), nil
		case ir.Int32:
			return binaryT[int32](k, op, ys, as, bs), nil
		case ir.Int64:
			return binaryT[int64](k, op, ys, as, bs), nil
		}
	case *lower.Compare:
		op := compareOps[k.Op]
		ys, as, bs := p.shapeIx(k.Y), p.shapeIx(k.A), p.shapeIx(k.B)
		switch k.A.DType {
		case ir.Float32:
			return compareT[float32](k, op, ys, as, bs), nil
		case ir.Float64:
			return compareT[float64](k, op, ys, as, bs), nil
		case ir.Int32:
			return compareT[int32](k, op, ys, as, bs), nil
		case ir.Int64:
			return compareT[int64](k, op, ys, as, bs), nil
		}
	case *lower.Logical:
		if k.B == nil {
			return func(r *run) error { cpu.Not(view[bool](r, k.Y), view[bool](r, k.A)); return nil }, nil
		}
		op := logicOps[k.Op]
		ys, as, bs := p.shapeIx(k.Y), p.shapeIx(k.A), p.shapeIx(k.B)
		return func(r *run) error {
			var b1, b2, b3 [maxRank]int
			cpu.Logical(op, view[bool](r, k.Y), r.shape(ys, b1[:]), view[bool](r, k.A), r.shape(as, b2[:]), view[bool](r, k.B), r.shape(bs, b3[:]))
			return nil
		}, nil
	case *lower.Where:
		ys, cs, xs, zs := p.shapeIx(k.Y), p.shapeIx(k.Cond), p.shapeIx(k.X), p.shapeIx(k.Z)
		size := k.Y.DType.Size()
		return func(r *run) error {
			var b1, b2, b3, b4 [maxRank]int
			cpu.Where(r.bytes(k.Y), size, r.shape(ys, b1[:]), view[bool](r, k.Cond), r.shape(cs, b2[:]),
				r.bytes(k.X), r.shape(xs, b3[:]), r.bytes(k.Z), r.shape(zs, b4[:]))
			return nil
		}, nil
	case *lower.Expand:
		ys, xs := p.shapeIx(k.Y), p.shapeIx(k.X)
		size := k.Y.DType.Size()
		return func(r *run) error {
			var b1, b2 [maxRank]int
			cpu.Expand(r.bytes(k.Y), r.bytes(k.X), size, r.shape(ys, b1[:]), r.shape(xs, b2[:]))
			return nil
		}, nil
	case *lower.Reduce:
		op, ok := reduceOps[k.Op]
		if !ok {
			return nil, fmt.Errorf("no CPU reduction %s", k.Op)
		}
		xs := p.shapeIx(k.X)
		return func(r *run) error {
			var b1 [maxRank]int
			cpu.Reduce(pool, op, r.f32(k.Y), r.f32(k.X), r.shape(xs, b1[:]), k.Axes)
			return nil
		}, nil
	case *lower.Transpose:
		xs := p.shapeIx(k.X)
		size := k.X.DType.Size()
		return func(r *run) error {
			var b1 [maxRank]int
			cpu.Transpose(r.bytes(k.Y), r.bytes(k.X), size, r.shape(xs, b1[:]), k.Perm)
			return nil
		}, nil
	case *lower.Concat:
		outer := p.ix(k.Outer)
		inner := make([]int, len(k.Inner))
		for i, e := range k.Inner {
			inner[i] = p.ix(e)
		}
		return func(r *run) error {
			parts := make([][]byte, len(k.Parts))
			ins := make([]int, len(k.Parts))
			for i, v := range k.Parts {
				parts[i], ins[i] = r.bytes(v), r.i(inner[i])
			}
			cpu.Concat(r.bytes(k.Y), r.i(outer), parts, ins)
			return nil
		}, nil
	case *lower.Slice:
		xs, ys, st, sp := p.shapeIx(k.X), p.shapeIx(k.Y), p.exprIxs(k.Starts), p.exprIxs(k.Steps)
		size := k.X.DType.Size()
		return func(r *run) error {
			var b1, b2, b3, b4 [maxRank]int
			cpu.SliceCopy(r.bytes(k.Y), r.bytes(k.X), size, r.shape(xs, b1[:]), r.shape(st, b2[:]), r.shape(sp, b3[:]), r.shape(ys, b4[:]))
			return nil
		}, nil
	case *lower.CumSum:
		outer, n, inner := p.ix(k.Outer), p.ix(k.N), p.ix(k.Inner)
		switch k.X.DType {
		case ir.Float32:
			return cumsumT[float32](k, outer, n, inner), nil
		case ir.Float64:
			return cumsumT[float64](k, outer, n, inner), nil
		case ir.Int32:
			return cumsumT[int32](k, outer, n, inner), nil
		case ir.Int64:
			return cumsumT[int64](k, outer, n, inner), nil
		}
	case *lower.ShapeOf:
		ixs := make([]int, len(k.Dims))
		for i, d := range k.Dims {
			ixs[i] = p.ix(d)
		}
		return func(r *run) error {
			y := r.i64(k.Y)
			for i, x := range ixs {
				y[i] = int64(r.i(x))
			}
			return nil
		}, nil
	case *lower.Ref:
		for _, v := range append(append(append([]*lower.Value{}, k.In...), k.Out...), k.Free...) {
			if v != nil {
				p.refVals = append(p.refVals, v)
			}
		}
		g, maxMem := p.s.Graph, p.m.opts.MaxMemory
		return func(r *run) error {
			ins := make([]*ir.Tensor, len(k.In))
			for i, v := range k.In {
				if v != nil {
					ins[i] = &ir.Tensor{DType: v.DType, Shape: r.p.shapes[v.ID], Raw: r.bytes(v)}
				}
			}
			outs := make([][]byte, len(k.Out))
			for i, v := range k.Out {
				if v != nil {
					outs[i] = r.bytes(v)
				}
			}
			var free map[*ir.Value]*ir.Tensor
			if len(k.Free) > 0 {
				free = make(map[*ir.Value]*ir.Tensor, len(k.Free))
				for i, v := range k.Free {
					free[k.FreeIR[i]] = &ir.Tensor{DType: v.DType, Shape: r.p.shapes[v.ID], Raw: r.bytes(v)}
				}
			}
			return ref.EvalInto(g, k.Node, ins, outs, free, ref.Options{MaxMemory: maxMem})
		}, nil
	}
	return nil, fmt.Errorf("the CPU plan has no executor for %T", st.Kernel)
}
