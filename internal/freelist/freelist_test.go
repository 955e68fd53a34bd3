package freelist

import (
	"runtime"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestReuseAcrossGC(t *testing.T) {
	made := 0
	l := List[[]byte]{New: func() *[]byte { made++; b := make([]byte, 1<<20); return &b }}
	a, b := l.Get(), l.Get()
	require.Equal(t, 2, made)
	require.NotSame(t, a, b)
	l.Put(a)
	l.Put(b)
	runtime.GC()
	runtime.GC() // sync.Pool would be empty now (its victim cache lasts one collection)
	require.Equal(t, 2, l.Len())
	c, d := l.Get(), l.Get()
	require.Equal(t, 2, made)
	require.ElementsMatch(t, []*[]byte{a, b}, []*[]byte{c, d})
	require.Equal(t, 0, l.Len())
	l.Get()
	require.Equal(t, 3, made)
}

func TestZeroValueAndNil(t *testing.T) {
	var l List[int]
	require.Nil(t, l.Get())
	l.Put(nil)
	require.Equal(t, 0, l.Len())
	x := 5
	l.Put(&x)
	require.Same(t, &x, l.Get())
}

func TestSteadyStateAllocs(t *testing.T) {
	l := List[[64]byte]{New: func() *[64]byte { return new([64]byte) }}
	l.Put(l.Get())
	allocs := testing.AllocsPerRun(100, func() {
		runtime.GC()
		x := l.Get()
		l.Put(x)
	})
	require.Zero(t, allocs)
}

func TestConcurrent(t *testing.T) {
	l := List[int]{New: func() *int { return new(int) }}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 1000 {
				x := l.Get()
				*x = g*1000 + i
				l.Put(x)
			}
		}()
	}
	wg.Wait()
	require.LessOrEqual(t, l.Len(), 8)
	require.Positive(t, l.Len())
}

func TestKeep(t *testing.T) {
	l := List[[]byte]{Keep: func(b *[]byte) bool { return cap(*b) <= 16 }}
	small, big := make([]byte, 16), make([]byte, 17)
	l.Put(&big)
	require.Equal(t, 0, l.Len())
	l.Put(&small)
	require.Same(t, &small, l.Get())
}
