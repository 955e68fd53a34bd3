package onnxpb

// Regenerating onnx.pb.go needs protoc (Debian's protobuf-compiler,
// libprotoc 3.21.12) and protoc-gen-go at the version pinned in go.mod
// (google.golang.org/protobuf v1.36.12) on PATH:
//
//	go install google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.12
//	go generate ./frontend/onnx/onnxpb/
//
// regen_check.sh verifies that the committed onnx.pb.go is up to date.

//go:generate protoc --go_out=. --go_opt=paths=source_relative onnx.proto
