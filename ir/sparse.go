package ir

import "fmt"

// SparseToDense expands a COO sparse tensor, refusing dense sizes over maxBytes and indices out
// of range.
func SparseToDense(st *SparseTensor, maxBytes int64) (*Tensor, error) {
	t, err := NewTensor(st.Values.DType, st.Dims, maxBytes)
	if err != nil {
		return nil, err
	}
	nv := st.Values.Len()
	total := int64(t.Len())
	idx := st.Indices.AsInt64s()
	size := st.Values.DType.Size()
	if size == 0 {
		return nil, fmt.Errorf("sparse tensors of %s are not supported", st.Values.DType)
	}
	strides := make([]int64, len(st.Dims))
	acc := int64(1)
	for i := len(st.Dims) - 1; i >= 0; i-- {
		strides[i] = acc
		acc *= st.Dims[i]
	}
	linear := func(k int) (int64, error) {
		switch {
		case len(st.Indices.Shape) == 1:
			return idx[k], nil
		case len(st.Indices.Shape) == 2 && st.Indices.Shape[1] == int64(len(st.Dims)):
			var off int64
			for d := range st.Dims {
				v := idx[k*len(st.Dims)+d]
				if v < 0 || v >= st.Dims[d] {
					return 0, fmt.Errorf("sparse index %d out of range for dim %d of size %d", v, d, st.Dims[d])
				}
				off += v * strides[d]
			}
			return off, nil
		}
		return 0, fmt.Errorf("sparse indices have shape %v, want [%d] or [%d,%d]", st.Indices.Shape, nv, nv, len(st.Dims))
	}
	if len(st.Indices.Shape) == 0 || st.Indices.Shape[0] != int64(nv) {
		return nil, fmt.Errorf("sparse tensor has %d values but indices of shape %v", nv, st.Indices.Shape)
	}
	for k := 0; k < nv; k++ {
		off, err := linear(k)
		if err != nil {
			return nil, err
		}
		if off < 0 || off >= total {
			return nil, fmt.Errorf("sparse index %d out of range for %d elements", off, total)
		}
		copy(t.Raw[off*int64(size):(off+1)*int64(size)], st.Values.Raw[k*size:(k+1)*size])
	}
	return t, nil
}
