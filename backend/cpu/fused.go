package cpu

import (
	"fmt"

	"github.com/llmc/llmc/internal/freelist"
)

// Fused transformer ops composed from the kernels of this package; the execution planner and
// compiled model packages both call these.

// AttentionScratch is the number of float32s of scratch Attention needs.
func AttentionScratch(batch, seq, hidden, heads int) int {
	return batch*seq*3*hidden + batch*heads*seq*seq + batch*seq
}

// Attention is ONNX Runtime's com.microsoft Attention for a self-attention layer with packed
// QKV weights, as a plain loop:
//
//	qkv[b,s,:] = x[b,s,:]·W + bias                     (W: in x 3·hidden, pre-packed)
//	for each head h: scores = scale·Q_h·K_hᵀ (+ filter where mask[b,t] <= 0)
//	probs = softmax over keys;  y[b,s,h·d:(h+1)·d] = probs·V_h
//
// x is [batch, seq, in]; y is [batch, seq, hidden]; mask (may be nil) is a [batch, seq] key
// mask (keys whose value is above 0 are attended, as in ONNX Runtime); scratch holds AttentionScratch floats; qkvBias (may be nil) is the QKV projection's
// epilogue, normally &Epilogue{Bias: bias} built once by the caller so a run allocates nothing.
// Heads are read in place from the packed QKV rows.
func Attention(p *Pool, y, x []float32, batch, seq, in, hidden, heads int, w *PackedB, qkvBias *Epilogue,
	mask []int32, scale, filter float32, scratch []float32) {
	AttentionQKV(p, x, batch, seq, in, hidden, w, qkvBias, scratch)
	AttentionCore(p, y, batch, seq, hidden, heads, mask, scale, filter, scratch)
}

// KeyMaskFromIndex expands ONNX Runtime's 1-D mask_index forms into the [batch, seq] key mask
// Attention takes: index holds batch end positions (keys t < end[b] attended), or 2·batch values,
// the ends followed by start positions (start[b] <= t < end[b]); positions are clamped to
// [0, seq].
func KeyMaskFromIndex(dst, index []int32, batch, seq int) {
	if len(index) != batch && len(index) != 2*batch {
		panic(fmt.Sprintf("cpu.KeyMaskFromIndex: index has %d values, want %d or %d", len(index), batch, 2*batch))
	}
	if len(dst) < batch*seq {
		panic(fmt.Sprintf("cpu.KeyMaskFromIndex: dst has %d values, want %d", len(dst), batch*seq))
	}
	clamp := func(v int32) int { return int(min(max(v, 0), int32(seq))) }
	for b := 0; b < batch; b++ {
		end, start := clamp(index[b]), 0
		if len(index) == 2*batch {
			start = clamp(index[batch+b])
		}
		row := dst[b*seq : (b+1)*seq]
		for t := range row {
			row[t] = 0
			if t >= start && t < end {
				row[t] = 1
			}
		}
	}
}

// AttentionQKV is Attention's first half, the packed Q/K/V projection into the
// start of scratch (callers that time the halves separately run it, then
// AttentionCore on the same scratch).
func AttentionQKV(p *Pool, x []float32, batch, seq, in, hidden int, w *PackedB, qkvBias *Epilogue, scratch []float32) {
	n := batch * seq
	SgemmPacked(p, false, n, 1, x, in, w, 0, scratch[:n*3*hidden], 3*hidden, qkvBias)
}

// AttentionCore is Attention's second half: scores, masked softmax and
// probs·V per head, from the projections AttentionQKV left in scratch. Each
// (batch, head) is one chunk of work doing all three steps, so a head's
// seq x seq scores stay in cache between them and the pool synchronizes once.
func AttentionCore(p *Pool, y []float32, batch, seq, hidden, heads int, mask []int32, scale, filter float32, scratch []float32) {
	n := batch * seq
	t := attentionTasks.Get()
	*t = attentionTask{heads: heads, seq: seq, hidden: hidden, d: hidden / heads, scale: scale, y: y,
		qkv:    scratch[:n*3*hidden],
		scores: scratch[n*3*hidden : n*3*hidden+batch*heads*seq*seq],
	}
	if mask != nil {
		t.madd = scratch[n*3*hidden+batch*heads*seq*seq : AttentionScratch(batch, seq, hidden, heads)]
		for i := range t.madd {
			t.madd[i] = 0
			if mask[i] <= 0 { // as ONNX Runtime: keys with a mask value above 0 are kept
				t.madd[i] = filter
			}
		}
	}
	p.RunTask(batch*heads, batch*heads, t)
	*t = attentionTask{}
	attentionTasks.Put(t)
}

// attentionTask runs AttentionCore for (batch, head) groups [lo, hi).
type attentionTask struct {
	heads, seq, hidden, d int
	scale                 float32
	qkv, scores, madd, y  []float32
}

var attentionTasks = freelist.List[attentionTask]{New: func() *attentionTask { return new(attentionTask) }}

// Run implements Task: per group, scores = scale·Q_h·K_hᵀ, softmax over keys (plus the additive
// mask row), y_h = probs·V_h, with the heads read in place from the packed QKV rows.
func (t *attentionTask) Run(lo, hi int) {
	bp := packBBufs.Get()
	pb := packedBPool.Get()
	seq, d, hidden := t.seq, t.d, t.hidden
	ld := 3 * hidden
	for g := lo; g < hi; g++ {
		b, h := g/t.heads, g%t.heads
		rows := t.qkv[b*seq*ld:]
		sc := t.scores[g*seq*seq : (g+1)*seq*seq]
		packBInto(nil, pb, true, d, seq, rows[hidden+h*d:], ld, *bp) // K_hᵀ
		*bp = pb.data[:0]
		sgemmBlock(false, seq, t.scale, rows[h*d:], ld, pb, 0, sc, seq, nil, 0, seq, 0, pb.panels)
		st := softmaxTask{dst: sc, src: sc, n: seq}
		if t.madd != nil {
			st.mask = t.madd[b*seq : (b+1)*seq]
		}
		st.Run(0, seq)
		packBInto(nil, pb, false, seq, d, rows[2*hidden+h*d:], ld, *bp) // V_h
		*bp = pb.data[:0]
		sgemmBlock(false, seq, 1, sc, seq, pb, 0, t.y[b*seq*hidden+h*d:], hidden, nil, 0, seq, 0, pb.panels)
	}
	*pb = PackedB{}
	packedBPool.Put(pb)
	packBBufs.Put(bp)
}

// EmbedLayerNorm is ONNX Runtime's com.microsoft EmbedLayerNormalization without mask output:
//
//	y[b,s,:] = LayerNorm(word[ids[b,s]] + pos[s] + seg[segIDs[b,s]]) · gamma + beta
//
// word, pos and seg are row-major tables of width hidden (seg and segIDs may be nil). It fails on
// an id outside its table.
func EmbedLayerNorm(p *Pool, y []float32, ids, segIDs []int32, batch, seq, hidden int, word, pos, seg, gamma, beta []float32, eps float32) error {
	if err := EmbedSum(y, ids, segIDs, batch, seq, hidden, word, pos, seg); err != nil {
		return err
	}
	LayerNorm(p, y, y, batch*seq, hidden, gamma, beta, eps)
	return nil
}

// EmbedSum forms the embedding sum EmbedLayerNorm normalizes (EmbedLayerNormalization's
// embedding_sum output, which pre-LN models feed to their first residual):
//
//	sum[b,s,:] = word[ids[b,s]] + pos[s] + seg[segIDs[b,s]]
//
// It fails on an id outside its table.
func EmbedSum(sum []float32, ids, segIDs []int32, batch, seq, hidden int, word, pos, seg []float32) error {
	vocab, nseg, npos := len(word)/hidden, len(seg)/hidden, len(pos)/hidden
	if seq > npos {
		return fmt.Errorf("sequence length %d exceeds the %d position embeddings", seq, npos)
	}
	for r := 0; r < batch*seq; r++ {
		id := int(ids[r])
		if id < 0 || id >= vocab {
			return fmt.Errorf("input id %d out of range [0, %d)", id, vocab)
		}
		row := sum[r*hidden : (r+1)*hidden]
		s := r % seq
		Add(row, word[id*hidden:(id+1)*hidden], pos[s*hidden:(s+1)*hidden])
		if segIDs != nil {
			sid := int(segIDs[r])
			if sid < 0 || sid >= nseg {
				return fmt.Errorf("segment id %d out of range [0, %d)", sid, nseg)
			}
			Add(row, row, seg[sid*hidden:(sid+1)*hidden])
		}
	}
	return nil
}
