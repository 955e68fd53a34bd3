package cpu

import (
	"fmt"
	"unsafe"
)

// Element types of the byte-moving kernels: byte arrays, so a slice of them
// can view any []byte whatever its alignment, and a move of one is a single
// load and store of that width.
type (
	e1  = [1]byte
	e2  = [2]byte
	e4  = [4]byte
	e8  = [8]byte
	e16 = [16]byte
)

// tpPlan is a transpose reduced to its simplest form: output dims (size-1
// dims dropped, dims that stay adjacent merged) with the input stride of
// each, in elements.
type tpPlan struct {
	rank int
	dims [maxRank]int
	istr [maxRank]int
}

// Transpose permutes the axes of src (row-major, shape, elements of elemSize
// bytes, 1, 2, 4 or 8) into dst as ONNX Transpose: dst has shape
// out[i] = shape[perm[i]], and for every output index j (row-major),
//
//	dst[j] = src[i] where i[perm[k]] = j[k] for each k
//
// Dims that stay adjacent are merged; when the innermost dim stays innermost
// whole rows are copied, otherwise the innermost swap runs in cache-sized 2-D
// tiles with typed loads and stores. dst must not overlap src.
func Transpose(dst, src []byte, elemSize int, shape []int, perm []int) {
	r := len(shape)
	if r > maxRank || len(perm) != r {
		panic(fmt.Sprintf("cpu.Transpose: shape %s and perm %s (rank <= %d)", dimsStr(shape), dimsStr(perm), maxRank))
	}
	switch elemSize {
	case 1, 2, 4, 8:
	default:
		panic(fmt.Sprintf("cpu.Transpose: element size %d, want 1, 2, 4 or 8", elemSize))
	}
	var seen [maxRank]bool
	var stride [maxRank]int
	total := 1
	for i := r - 1; i >= 0; i-- {
		if shape[i] < 0 {
			panic(fmt.Sprintf("cpu.Transpose: negative dim in shape %s", dimsStr(shape)))
		}
		stride[i] = total
		total *= shape[i]
	}
	for _, p := range perm {
		if p < 0 || p >= r || seen[p] {
			panic(fmt.Sprintf("cpu.Transpose: perm %s is not a permutation of [0, %d)", dimsStr(perm), r))
		}
		seen[p] = true
	}
	checkLenB("Transpose", total*elemSize, dst, src)
	if total == 0 {
		return
	}
	var pl tpPlan
	n := 0
	for _, p := range perm {
		d := shape[p]
		if d == 1 {
			continue
		}
		if n > 0 && pl.istr[n-1] == stride[p]*d {
			pl.dims[n-1] *= d
			pl.istr[n-1] = stride[p]
			continue
		}
		pl.dims[n], pl.istr[n] = d, stride[p]
		n++
	}
	pl.rank = n
	if n <= 1 {
		copy(dst[:total*elemSize], src)
		return
	}
	es := elemSize
	if pl.istr[n-1] == 1 {
		// The innermost dim stays innermost: rows of b elements move whole.
		b := pl.dims[n-1]
		switch bytes := b * es; bytes {
		case 2, 4, 8, 16:
			// One wider element per row; the row is gone as a dim.
			pl.rank--
			for i := 0; i < pl.rank; i++ {
				pl.istr[i] /= b
			}
			es = bytes
		default:
			transposeRows(dst, src, es, 0, &pl)
			return
		}
	}
	switch es {
	case 1:
		transposeTiles(asElems[e1](dst), asElems[e1](src), &pl, 32)
	case 2:
		transposeTiles(asElems[e2](dst), asElems[e2](src), &pl, 32)
	case 4:
		transposeTiles(asElems[e4](dst), asElems[e4](src), &pl, 16)
	case 8:
		transposeTiles(asElems[e8](dst), asElems[e8](src), &pl, 8)
	case 16:
		transposeTiles(asElems[e16](dst), asElems[e16](src), &pl, 8)
	}
}

// transposeRows handles plans whose innermost dim is contiguous in the input:
// each output row of dims[last] elements is one contiguous input run.
func transposeRows(dst, src []byte, es, so int, pl *tpPlan) {
	last := pl.rank - 1
	rb := pl.dims[last] * es
	var idx [maxRank]int
	do := 0
	for {
		copy(dst[do:do+rb], src[so*es:so*es+rb])
		do += rb
		d := last - 1
		for ; d >= 0; d-- {
			idx[d]++
			so += pl.istr[d]
			if idx[d] < pl.dims[d] {
				break
			}
			so -= pl.dims[d] * pl.istr[d]
			idx[d] = 0
		}
		if d < 0 {
			return
		}
	}
}

// transposeTiles handles plans whose innermost output dim is strided in the
// input: the output dim q read contiguously from the input and the innermost
// output dim form a 2-D transpose, done in t x t tiles for every index of the
// other dims.
func transposeTiles[E any](dst, src []E, pl *tpPlan, t int) {
	r := pl.rank
	last := r - 1
	if r == 1 { // a single dim left after widening: contiguous
		copy(dst[:pl.dims[0]], src)
		return
	}
	q := -1
	for i := 0; i < last; i++ {
		if pl.istr[i] == 1 {
			q = i
		}
	}
	if q < 0 {
		panic("cpu.Transpose: internal error: no contiguous input dim")
	}
	// Output strides.
	var ostr [maxRank]int
	s := 1
	for i := last; i >= 0; i-- {
		ostr[i] = s
		s *= pl.dims[i]
	}
	A, B := pl.dims[q], pl.dims[last]
	ldd, lds := ostr[q], pl.istr[last]
	// The other dims, outermost first.
	var odims, oi, oo [maxRank]int
	m := 0
	for i := 0; i < last; i++ {
		if i != q {
			odims[m], oi[m], oo[m] = pl.dims[i], pl.istr[i], ostr[i]
			m++
		}
	}
	var idx [maxRank]int
	so, do := 0, 0
	for {
		tile2D(dst[do:], ldd, src[so:], lds, A, B, t)
		d := m - 1
		for ; d >= 0; d-- {
			idx[d]++
			so += oi[d]
			do += oo[d]
			if idx[d] < odims[d] {
				break
			}
			so -= odims[d] * oi[d]
			do -= odims[d] * oo[d]
			idx[d] = 0
		}
		if d < 0 {
			return
		}
	}
}

// tile2D sets dst[a*ldd+b] = src[a+b*lds] for a < na, b < nb, in t x t tiles.
// The bounds of both corners are checked up front; the tiles then move
// elements through unchecked pointers.
func tile2D[E any](dst []E, ldd int, src []E, lds int, na, nb, t int) {
	_ = dst[(na-1)*ldd+nb-1]
	_ = src[(na-1)+(nb-1)*lds]
	var z E
	sz := unsafe.Sizeof(z)
	dp, sp := unsafe.Pointer(unsafe.SliceData(dst)), unsafe.Pointer(unsafe.SliceData(src))
	sstep := uintptr(lds) * sz
	for a0 := 0; a0 < na; a0 += t {
		a1 := min(a0+t, na)
		for b0 := 0; b0 < nb; b0 += t {
			w := min(b0+t, nb) - b0
			for a := a0; a < a1; a++ {
				// Addresses are formed from the row starts (never one
				// step past the last element: checkptr rejects that).
				d := unsafe.Add(dp, uintptr(a*ldd+b0)*sz)
				p := unsafe.Add(sp, uintptr(a+b0*lds)*sz)
				k := uintptr(0)
				for ; int(k)+4 <= w; k += 4 {
					*(*E)(unsafe.Add(d, k*sz)) = *(*E)(unsafe.Add(p, k*sstep))
					*(*E)(unsafe.Add(d, (k+1)*sz)) = *(*E)(unsafe.Add(p, (k+1)*sstep))
					*(*E)(unsafe.Add(d, (k+2)*sz)) = *(*E)(unsafe.Add(p, (k+2)*sstep))
					*(*E)(unsafe.Add(d, (k+3)*sz)) = *(*E)(unsafe.Add(p, (k+3)*sstep))
				}
				for ; int(k) < w; k++ {
					*(*E)(unsafe.Add(d, k*sz)) = *(*E)(unsafe.Add(p, k*sstep))
				}
			}
		}
	}
}

// Gather copies rows of src along an axis with run-time indices (ONNX Gather
// with the data viewed as [outer, rows, inner bytes] and the indices
// flattened): for o < outer, i < len(idx), with j = idx[i] (+rows if
// negative),
//
//	dst[(o*len(idx)+i)*inner : +inner] = src[(o*rows+j)*inner : +inner]
//
// An index outside [-rows, rows) returns an error naming it (nothing is
// written then).
func Gather(dst, src []byte, outer, rows, inner int, idx []int64) error {
	return gather("Gather", dst, src, outer, rows, inner, idx)
}

// GatherI32 is Gather with int32 indices.
func GatherI32(dst, src []byte, outer, rows, inner int, idx []int32) error {
	return gather("GatherI32", dst, src, outer, rows, inner, idx)
}

func gather[I int32 | int64](fn string, dst, src []byte, outer, rows, inner int, idx []I) error {
	if outer < 0 || rows < 0 || inner < 0 {
		panic(fmt.Sprintf("cpu.%s: negative size (outer %d, rows %d, inner %d)", fn, outer, rows, inner))
	}
	k := len(idx)
	if len(dst) < outer*k*inner || len(src) < outer*rows*inner {
		panic(fmt.Sprintf("cpu.%s: dst of length %d (need %d), src of length %d (need %d)", fn, len(dst), outer*k*inner, len(src), outer*rows*inner))
	}
	for i, j := range idx {
		if v := int64(j); v < -int64(rows) || v >= int64(rows) {
			return fmt.Errorf("%s: index %d (at %d) out of range [%d, %d)", fn, j, i, -rows, rows)
		}
	}
	if outer == 0 || k == 0 || inner == 0 {
		return nil
	}
	switch inner {
	case 1:
		gatherT(asElems[e1](dst), asElems[e1](src), outer, rows, idx)
	case 2:
		gatherT(asElems[e2](dst), asElems[e2](src), outer, rows, idx)
	case 4:
		gatherT(asElems[e4](dst), asElems[e4](src), outer, rows, idx)
	case 8:
		gatherT(asElems[e8](dst), asElems[e8](src), outer, rows, idx)
	case 16:
		gatherT(asElems[e16](dst), asElems[e16](src), outer, rows, idx)
	default:
		do := 0
		for o := 0; o < outer; o++ {
			base := o * rows
			for _, j := range idx {
				r := int(j)
				if r < 0 {
					r += rows
				}
				so := (base + r) * inner
				copy(dst[do:do+inner], src[so:so+inner])
				do += inner
			}
		}
	}
	return nil
}

func gatherT[E any, I int32 | int64](dst, src []E, outer, rows int, idx []I) {
	k := len(idx)
	for o := 0; o < outer; o++ {
		d := dst[o*k : o*k+k]
		s := src[o*rows : o*rows+rows]
		for i, j := range idx {
			r := int(j)
			if r < 0 {
				r += rows
			}
			d[i] = s[r]
		}
	}
}

// Concat joins parts along an axis (ONNX Concat with every part viewed as
// [outer, partInner[i] bytes]): for o < outer, parts in order,
//
//	dst[o*sum + off_i : +partInner[i]] = parts[i][o*partInner[i] : +partInner[i]]
//
// where sum = sum_i partInner[i] and off_i = sum_{k<i} partInner[k].
func Concat(dst []byte, outer int, parts [][]byte, partInner []int) {
	if len(parts) != len(partInner) {
		panic(fmt.Sprintf("cpu.Concat: %d parts and %d sizes", len(parts), len(partInner)))
	}
	sum := 0
	for i, w := range partInner {
		if w < 0 {
			panic(fmt.Sprintf("cpu.Concat: negative part size %d", w))
		}
		checkLenB("Concat part", outer*w, parts[i])
		sum += w
	}
	checkLenB("Concat dst", outer*sum, dst)
	if outer == 1 {
		off := 0
		for i, w := range partInner {
			copy(dst[off:off+w], parts[i][:w])
			off += w
		}
		return
	}
	for o := 0; o < outer; o++ {
		off := o * sum
		for i, w := range partInner {
			copy(dst[off:off+w], parts[i][o*w:o*w+w])
			off += w
		}
	}
}

// SliceCopy copies a strided box of src (row-major, shape, elements of
// elemSize bytes) to dst (row-major, outShape), as ONNX Slice once starts are
// clamped and outShape computed: for every output index j,
//
//	dst[j] = src[i] with i[d] = starts[d] + j[d]*steps[d]
//
// Steps may be negative (not 0). A box reaching outside src panics.
func SliceCopy(dst, src []byte, elemSize int, shape []int, starts, steps []int, outShape []int) {
	r := len(shape)
	if r > maxRank || len(starts) != r || len(steps) != r || len(outShape) != r {
		panic(fmt.Sprintf("cpu.SliceCopy: shape %s, starts %s, steps %s, outShape %s (rank <= %d)", dimsStr(shape), dimsStr(starts), dimsStr(steps), dimsStr(outShape), maxRank))
	}
	if elemSize <= 0 {
		panic(fmt.Sprintf("cpu.SliceCopy: element size %d", elemSize))
	}
	total := 1
	for _, d := range outShape {
		if d < 0 {
			panic(fmt.Sprintf("cpu.SliceCopy: negative dim in outShape %s", dimsStr(outShape)))
		}
		total *= d
	}
	checkLenB("SliceCopy dst", total*elemSize, dst)
	if total == 0 {
		return
	}
	// Element strides, the start offset, and bounds.
	var dims, str [maxRank]int
	off, s := 0, 1
	for d := r - 1; d >= 0; d-- {
		if steps[d] == 0 {
			panic("cpu.SliceCopy: step 0")
		}
		if shape[d] < 0 {
			panic(fmt.Sprintf("cpu.SliceCopy: negative dim in shape %s", dimsStr(shape)))
		}
		first, lastIdx := starts[d], starts[d]+(outShape[d]-1)*steps[d]
		if first < 0 || first >= shape[d] || lastIdx < 0 || lastIdx >= shape[d] {
			panic(fmt.Sprintf("cpu.SliceCopy: dim %d: start %d, step %d, %d elements outside [0, %d)", d, starts[d], steps[d], outShape[d], shape[d]))
		}
		off += starts[d] * s
		str[d] = steps[d] * s
		dims[d] = outShape[d]
		s *= shape[d]
	}
	checkLenB("SliceCopy src", s*elemSize, src)
	// Merge dims the box reads with one stride.
	var pl tpPlan
	n := 0
	for d := 0; d < r; d++ {
		if dims[d] == 1 {
			continue
		}
		if n > 0 && pl.istr[n-1] == str[d]*dims[d] {
			pl.dims[n-1] *= dims[d]
			pl.istr[n-1] = str[d]
			continue
		}
		pl.dims[n], pl.istr[n] = dims[d], str[d]
		n++
	}
	if n == 0 {
		pl.dims[0], pl.istr[0], n = 1, 1, 1
	}
	pl.rank = n
	if pl.istr[n-1] == 1 && (pl.dims[n-1]*elemSize >= 64 || elemSize > 8) {
		transposeRows(dst, src, elemSize, off, &pl)
		return
	}
	switch elemSize {
	case 1:
		sliceT(asElems[e1](dst), asElems[e1](src), off, &pl)
	case 2:
		sliceT(asElems[e2](dst), asElems[e2](src), off, &pl)
	case 4:
		sliceT(asElems[e4](dst), asElems[e4](src), off, &pl)
	case 8:
		sliceT(asElems[e8](dst), asElems[e8](src), off, &pl)
	default:
		sliceBytes(dst, src, elemSize, off, &pl)
	}
}

// sliceT copies a box whose innermost dim is strided, element by element
// along it; so may go down as well as up (negative steps).
func sliceT[E any](dst, src []E, so int, pl *tpPlan) {
	last := pl.rank - 1
	n, st := pl.dims[last], pl.istr[last]
	var idx [maxRank]int
	do := 0
	for {
		row := dst[do : do+n]
		j := so
		for k := range row {
			row[k] = src[j]
			j += st
		}
		do += n
		d := last - 1
		for ; d >= 0; d-- {
			idx[d]++
			so += pl.istr[d]
			if idx[d] < pl.dims[d] {
				break
			}
			so -= pl.dims[d] * pl.istr[d]
			idx[d] = 0
		}
		if d < 0 {
			return
		}
	}
}

func sliceBytes(dst, src []byte, es, so int, pl *tpPlan) {
	last := pl.rank - 1
	n, st := pl.dims[last], pl.istr[last]
	var idx [maxRank]int
	do := 0
	for {
		j := so
		for k := 0; k < n; k++ {
			copy(dst[do:do+es], src[j*es:j*es+es])
			do += es
			j += st
		}
		d := last - 1
		for ; d >= 0; d-- {
			idx[d]++
			so += pl.istr[d]
			if idx[d] < pl.dims[d] {
				break
			}
			so -= pl.dims[d] * pl.istr[d]
			idx[d] = 0
		}
		if d < 0 {
			return
		}
	}
}
