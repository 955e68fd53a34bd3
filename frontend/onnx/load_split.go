package onnx

import (
	"fmt"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/llmc/llmc/frontend/onnx/onnxpb"
)

// Decoding a large model with one proto.Unmarshal holds the file and a copy of every weight at
// once (twice the model's size). decodeSplit instead decodes the main graph's initializers one
// at a time straight from the (mapped) file bytes and calls release on each initializer's byte
// range once it is copied, so peak memory stays near one copy of the weights.

// Field numbers used to split the model.
const (
	fieldModelGraph       = 7
	fieldGraphInitializer = 5
)

// decodeSplit decodes data as a ModelProto; release (may be nil) is told which byte ranges of
// data are no longer needed.
func decodeSplit(data []byte, release func(off, n int)) (*onnxpb.ModelProto, error) {
	var rest []byte // the model without its graph field
	var graphBytes []byte
	graphOff := 0
	for b, off := data, 0; len(b) > 0; {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return nil, fmt.Errorf("%w: %v", ErrNotONNX, protowire.ParseError(n))
		}
		m := protowire.ConsumeFieldValue(num, typ, b[n:])
		if m < 0 {
			return nil, fmt.Errorf("%w: %v", ErrNotONNX, protowire.ParseError(m))
		}
		if num == fieldModelGraph && typ == protowire.BytesType {
			v, k := protowire.ConsumeBytes(b[n:])
			if k < 0 {
				return nil, fmt.Errorf("%w: %v", ErrNotONNX, protowire.ParseError(k))
			}
			if graphBytes != nil {
				// a repeated message field merges; fall back to the plain decoder
				return nil, errSplitUnsupported
			}
			graphBytes = v
			graphOff = off + n + (k - len(v))
		} else {
			rest = append(rest, b[:n+m]...)
		}
		b = b[n+m:]
		off += n + m
	}
	var mp onnxpb.ModelProto
	if err := unmarshal(rest, &mp); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNotONNX, err)
	}
	if graphBytes == nil {
		return &mp, nil
	}
	var graphRest []byte
	var inits []*onnxpb.TensorProto
	for b, off := graphBytes, graphOff; len(b) > 0; {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return nil, fmt.Errorf("%w: graph: %v", ErrNotONNX, protowire.ParseError(n))
		}
		m := protowire.ConsumeFieldValue(num, typ, b[n:])
		if m < 0 {
			return nil, fmt.Errorf("%w: graph: %v", ErrNotONNX, protowire.ParseError(m))
		}
		if num == fieldGraphInitializer && typ == protowire.BytesType {
			v, _ := protowire.ConsumeBytes(b[n:])
			tp := &onnxpb.TensorProto{}
			if err := unmarshal(v, tp); err != nil {
				return nil, fmt.Errorf("%w: initializer #%d: %v", ErrNotONNX, len(inits), err)
			}
			inits = append(inits, tp)
			if release != nil {
				release(off, n+m)
			}
		} else {
			graphRest = append(graphRest, b[:n+m]...)
		}
		b = b[n+m:]
		off += n + m
	}
	gp := &onnxpb.GraphProto{}
	if err := unmarshal(graphRest, gp); err != nil {
		return nil, fmt.Errorf("%w: graph: %v", ErrNotONNX, err)
	}
	gp.Initializer = append(inits, gp.Initializer...)
	mp.Graph = gp
	return &mp, nil
}

var errSplitUnsupported = fmt.Errorf("model layout needs the plain decoder")
