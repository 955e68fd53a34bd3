package cpu

import (
	"runtime"
	"sync"
)

// Pool is a persistent set of worker goroutines. Work is handed to the
// workers over channels; no goroutine is started per operation. A nil *Pool
// is valid everywhere and means "run everything on the caller's goroutine".
type Pool struct {
	n    int
	jobs chan poolJob
	mu   sync.Mutex // serialises Parallel calls so workers are not oversubscribed
	wg   sync.WaitGroup
	once sync.Once
}

// Task is work over an index range [0, n) that a pool splits into chunks: Run(lo, hi) handles
// one chunk. Kernels pass pointers to pooled task structs, so handing work to the pool
// allocates nothing.
type Task interface{ Run(lo, hi int) }

// FuncTask adapts a function to Task.
type FuncTask func(lo, hi int)

// Run calls f.
func (f FuncTask) Run(lo, hi int) { f(lo, hi) }

type poolJob struct {
	t      Task
	lo, hi int
}

// NewPool starts a pool of n threads (the caller counts as one of them, so
// n-1 goroutines are started). n <= 0 means runtime.GOMAXPROCS(0).
func NewPool(n int) *Pool {
	if n <= 0 {
		n = runtime.GOMAXPROCS(0)
	}
	p := &Pool{n: n, jobs: make(chan poolJob, n)}
	for i := 0; i < n-1; i++ {
		go p.worker()
	}
	return p
}

func (p *Pool) worker() {
	for j := range p.jobs {
		j.t.Run(j.lo, j.hi)
		p.wg.Done()
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
	p.once.Do(func() { close(p.jobs) })
}

// Parallel splits [0, n) into at most Threads() contiguous chunks and calls
// fn(lo, hi) for each, concurrently, returning when all are done. The calling
// goroutine runs the first chunk. Calls on one pool are serialised; fn must
// not itself call Parallel (or a kernel taking this pool) on the same pool.
func (p *Pool) Parallel(n int, fn func(lo, hi int)) {
	p.ParallelChunks(n, p.Threads(), fn)
}

// ParallelChunks is Parallel with an explicit number of chunks (capped at n);
// chunks beyond Threads() are queued to the workers.
func (p *Pool) ParallelChunks(n, chunks int, fn func(lo, hi int)) {
	p.RunTask(n, chunks, FuncTask(fn))
}

// RunTask splits [0, n) into chunks (capped at n) and runs t on them concurrently, the calling
// goroutine taking the first chunk; it returns when all are done.
func (p *Pool) RunTask(n, chunks int, t Task) {
	if n <= 0 {
		return
	}
	if chunks > n {
		chunks = n
	}
	if p == nil || p.n == 1 || chunks <= 1 {
		t.Run(0, n)
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.wg.Add(chunks - 1)
	for c := 1; c < chunks; c++ {
		lo, hi := c*n/chunks, (c+1)*n/chunks
		p.jobs <- poolJob{t: t, lo: lo, hi: hi}
	}
	t.Run(0, n/chunks)
	p.wg.Wait()
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
