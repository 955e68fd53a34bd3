// Package freelist keeps reusable objects (kernel scratch buffers, task
// records, arenas, output buffers) for llmc's run paths.
//
// Unlike sync.Pool, a List is not emptied by the garbage collector. A model's
// Run takes its scratch from such lists and gives it back, so that it
// allocates nothing once warm; with sync.Pool that held only while no garbage
// collection ran, and in an application whose other goroutines allocate (so
// the collector runs between calls) every call made its multi-megabyte
// buffers again. A List holds at most as many objects as were in use at once
// at its busiest, for as long as it lives.
package freelist

import "sync"

// List is a free list of *T. The zero List is ready to use, with New nil (Get
// then returns nil when the list is empty).
type List[T any] struct {
	mu   sync.Mutex
	free []*T
	// New makes an object when the list is empty.
	New func() *T
	// Keep (optional) tells whether Put keeps x: a buffer grown for a rare, very large
	// call can be left to the garbage collector instead of being held for good.
	Keep func(x *T) bool
}

// Get takes an object from the list, or makes one with New.
func (l *List[T]) Get() *T {
	l.mu.Lock()
	if n := len(l.free); n > 0 {
		x := l.free[n-1]
		l.free[n-1] = nil
		l.free = l.free[:n-1]
		l.mu.Unlock()
		return x
	}
	l.mu.Unlock()
	if l.New == nil {
		return nil
	}
	return l.New()
}

// Put gives x back for reuse (a nil x, or one Keep refuses, is dropped). It
// allocates only when the list grows beyond its largest size so far.
func (l *List[T]) Put(x *T) {
	if x == nil || l.Keep != nil && !l.Keep(x) {
		return
	}
	l.mu.Lock()
	l.free = append(l.free, x)
	l.mu.Unlock()
}

// Len returns the number of objects on the list.
func (l *List[T]) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.free)
}
