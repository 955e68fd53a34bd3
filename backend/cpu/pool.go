package cpu

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// Pool is a persistent set of worker goroutines. A job's chunks are taken
// dynamically from a shared counter, so a thread slowed down by the machine
// (a busy sibling hyperthread, a preempted vCPU) takes fewer chunks instead
// of holding up the others at the join. Between jobs the workers spin for a
// short while (a layer's next kernel usually follows within microseconds)
// and then park. No goroutine is started per operation. A nil *Pool is valid
// everywhere and means "run everything on the caller's goroutine".
type Pool struct {
	n       int
	mu      sync.Mutex // serialises jobs so workers are not oversubscribed
	workers []*poolWorker
	once    sync.Once
	closed  atomic.Bool

	// The current job. state packs the job's generation (high 24 bits), its
	// chunk count (20 bits) and the next chunk index (low 20 bits): a worker
	// claims a chunk with a CAS, which fails once a newer job has started, so
	// a straggler from the previous job can never take a chunk of the next
	// one. task and jobN are read only by a thread holding a claimed chunk,
	// and written only when every chunk of the previous job is done.
	state atomic.Uint64
	done  atomic.Int64 // chunks of the current job completed
	task  Task
	jobN  int
}

const (
	poolChunkBits = 20
	poolChunkMask = 1<<poolChunkBits - 1
	poolGenShift  = 2 * poolChunkBits
)

func stateGen(s uint64) uint32 { return uint32(s >> poolGenShift) }

type poolWorker struct {
	sleeping atomic.Bool
	wake     chan struct{} // buffered (1): a token wakes a parked worker
}

// poolSpin is how many polls of the job state a worker makes before parking
// (some tens of microseconds); every poolYield-th poll yields the P with
// runtime.Gosched, so spinning never starves runnable goroutines (of other
// pools, or of the application) for long.
const (
	poolSpin  = 1 << 12
	poolYield = 16
)

// Task is work over an index range [0, n) that a pool splits into chunks: Run(lo, hi) handles
// one chunk. Kernels pass pointers to pooled task structs, so handing work to the pool
// allocates nothing.
type Task interface{ Run(lo, hi int) }

// FuncTask adapts a function to Task.
type FuncTask func(lo, hi int)

// Run calls f.
func (f FuncTask) Run(lo, hi int) { f(lo, hi) }

// NewPool starts a pool of n threads (the caller counts as one of them, so
// n-1 goroutines are started). n <= 0 means runtime.GOMAXPROCS(0).
func NewPool(n int) *Pool {
	if n <= 0 {
		n = runtime.GOMAXPROCS(0)
	}
	p := &Pool{n: n}
	for i := 0; i < n-1; i++ {
		w := &poolWorker{wake: make(chan struct{}, 1)}
		p.workers = append(p.workers, w)
		go p.worker(w)
	}
	return p
}

func (p *Pool) worker(w *poolWorker) {
	seen := uint32(0) // generation last worked on
	for {
		// Wait for a new job: spin, then park.
		spins := 0
		for stateGen(p.state.Load()) == seen {
			if p.closed.Load() {
				return
			}
			if spins++; spins < poolSpin {
				if spins%poolYield == 0 {
					runtime.Gosched()
				}
				continue
			}
			w.sleeping.Store(true)
			if stateGen(p.state.Load()) != seen || p.closed.Load() {
				w.sleeping.Store(false)
				continue
			}
			<-w.wake
			w.sleeping.Store(false)
			spins = 0
		}
		seen = stateGen(p.state.Load())
		p.work(seen)
	}
}

// work runs chunks of job gen until none is left (or a newer job started).
func (p *Pool) work(gen uint32) {
	for {
		s := p.state.Load()
		c, chunks := int(s&poolChunkMask), int(s>>poolChunkBits&poolChunkMask)
		if stateGen(s) != gen || c >= chunks {
			return
		}
		if !p.state.CompareAndSwap(s, s+1) {
			continue
		}
		n := p.jobN
		p.task.Run(c*n/chunks, (c+1)*n/chunks)
		p.done.Add(1)
	}
}

// Threads returns the number of threads the pool runs work on (1 for nil).
func (p *Pool) Threads() int {
	if p == nil {
		return 1
	}
	return p.n
}

// Close stops the pool's goroutines. The pool must not be used afterwards.
func (p *Pool) Close() {
	if p == nil {
		return
	}
	p.once.Do(func() {
		p.closed.Store(true)
		for _, w := range p.workers {
			select {
			case w.wake <- struct{}{}:
			default:
			}
		}
	})
}

// Parallel splits [0, n) into at most Threads() contiguous chunks and calls
// fn(lo, hi) for each, concurrently, returning when all are done. The calling
// goroutine takes part. Calls on one pool are serialised; fn must not itself
// call Parallel (or a kernel taking this pool) on the same pool.
func (p *Pool) Parallel(n int, fn func(lo, hi int)) {
	p.ParallelChunks(n, p.Threads(), fn)
}

// ParallelChunks is Parallel with an explicit number of chunks (capped at n),
// taken by the threads dynamically.
func (p *Pool) ParallelChunks(n, chunks int, fn func(lo, hi int)) {
	p.RunTask(n, chunks, FuncTask(fn))
}

// RunTask splits [0, n) into chunks (capped at n) of contiguous, near-equal
// ranges and runs t on them concurrently, the calling goroutine taking part;
// threads claim chunks dynamically. It returns when all are done.
func (p *Pool) RunTask(n, chunks int, t Task) {
	if n <= 0 {
		return
	}
	if chunks > n {
		chunks = n
	}
	if chunks > poolChunkMask {
		chunks = poolChunkMask
	}
	if p == nil || p.n == 1 || chunks <= 1 {
		t.Run(0, n)
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.task, p.jobN = t, n
	p.done.Store(0)
	gen := (stateGen(p.state.Load()) + 1) & (1<<(64-poolGenShift) - 1)
	p.state.Store(uint64(gen)<<poolGenShift | uint64(chunks)<<poolChunkBits) // publishes the job (chunk 0 next)
	for _, w := range p.workers {
		if w.sleeping.Load() {
			select {
			case w.wake <- struct{}{}:
			default:
			}
		}
	}
	p.work(gen)
	for spins := 1; p.done.Load() < int64(chunks); spins++ {
		if spins%poolYield == 0 {
			runtime.Gosched() // let a worker holding a chunk run if it shares our P
		}
	}
	p.task = nil
}

var (
	defaultPoolOnce sync.Once
	defaultPool     *Pool
)

// DefaultPool returns a process-wide pool with GOMAXPROCS threads.
func DefaultPool() *Pool {
	defaultPoolOnce.Do(func() { defaultPool = NewPool(0) })
	return defaultPool
}
