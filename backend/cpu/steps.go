package cpu

// Entry points for schedule steps that are a short sequence of kernels: the execution plan
// (backend/cpu/plan) and compiled packages (codegen) both make exactly these calls, so the two
// cannot drift apart.

// MaskIndex sets index[b] to the number of ones in row b of the [batch, seq] mask (zeros when
// mask is nil): com.microsoft EmbedLayerNormalization's mask_index output.
//
//	for b: index[b] = #{s : mask[b*seq+s] == 1}
func MaskIndex(index, mask []int32, batch, seq int) {
	clear(index[:batch])
	if mask == nil {
		return
	}
	for r, v := range mask[:batch*seq] {
		if v == 1 {
			index[r/seq]++
		}
	}
}

// BiasGelu sets y = GELU(x + bias) over the m x n matrix x, bias a length-n row broadcast over
// the rows (nil: none); tanh selects GELU's tanh approximation (GeluTanh) over the exact form.
//
//	y[i*n+j] = gelu(x[i*n+j] + bias[j])
func BiasGelu(y, x, bias []float32, m, n int, tanh bool) {
	src := x
	if bias != nil {
		RowBroadcast(OpAdd, y, x, m, n, bias)
		src = y
	}
	if tanh {
		GeluTanh(y[:m*n], src)
	} else {
		Gelu(y[:m*n], src)
	}
}
