package cpu

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// forEachPath runs fn once per kernel path this machine supports.
func forEachPath(t *testing.T, fn func(t *testing.T)) {
	t.Helper()
	for _, p := range Paths() {
		t.Run(p, func(t *testing.T) {
			restore, err := SetPath(p)
			require.NoError(t, err)
			defer restore()
			fn(t)
		})
	}
}

var nan32 = float32(math.NaN())

// poisoned returns a slice of length n that is embedded in a NaN-filled
// buffer at an odd (unaligned) offset, plus a check function that verifies
// the guard regions are still NaN.
func poisoned(n int) ([]float32, func(t *testing.T)) {
	const guard = 17
	buf := make([]float32, n+2*guard+1)
	for i := range buf {
		buf[i] = nan32
	}
	s := buf[guard+1 : guard+1+n : guard+1+n]
	return s, func(t *testing.T) {
		t.Helper()
		for i := 0; i < guard+1; i++ {
			require.True(t, isNaN(buf[i]), "write before start at %d", i-guard-1)
		}
		for i := guard + 1 + n; i < len(buf); i++ {
			require.True(t, isNaN(buf[i]), "write past end at +%d", i-guard-1-n)
		}
	}
}

func isNaN(f float32) bool { return f != f }

func randSlice(r *rand.Rand, n int, lo, hi float32) []float32 {
	s, _ := poisoned(n)
	for i := range s {
		s[i] = lo + (hi-lo)*r.Float32()
	}
	return s
}

// ulpDiff returns the distance in units in the last place between float32
// values a and the float64 reference ref (rounded to float32).
func ulpDiff(a float32, ref float64) float64 {
	r := float32(ref)
	if a == r {
		return 0
	}
	if isNaN(a) || isNaN(r) {
		return math.Inf(1)
	}
	u := math.Abs(float64(math.Nextafter32(r, float32(math.Inf(1)))) - float64(r))
	if r == 0 || math.IsInf(float64(r), 0) {
		u = math.Abs(float64(math.Nextafter32(float32(math.Abs(float64(r))), 0)) - math.Abs(float64(r)))
		if u == 0 {
			u = 1.4e-45
		}
	}
	return math.Abs(float64(a)-ref) / u
}

func requireClose(t *testing.T, want, got []float32, rtol, atol float64, msg string) {
	t.Helper()
	require.Equal(t, len(want), len(got))
	for i := range want {
		w, g := float64(want[i]), float64(got[i])
		if math.IsNaN(w) && math.IsNaN(g) {
			continue
		}
		if math.IsInf(w, 0) && w == g {
			continue
		}
		if !(math.Abs(w-g) <= atol+rtol*math.Abs(w)) {
			require.Failf(t, "mismatch", "%s: index %d: want %v got %v", msg, i, w, g)
		}
	}
}
