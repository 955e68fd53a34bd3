// Package onnxpb holds llmc's own protobuf schema of the ONNX IR
// (onnx.proto) and the Go bindings generated from it (onnx.pb.go).
//
// The schema is wire-compatible with the public ONNX format: real .onnx
// model files and serialized TensorProto (.pb) files decode with
// proto.Unmarshal into ModelProto and TensorProto respectively. It covers
// the IR up to version 11, plus the ONNX-ML opaque type.
//
// Do not edit onnx.pb.go by hand; change onnx.proto and run go generate
// (see gen.go).
package onnxpb
