#!/bin/sh
# Regenerates onnx.pb.go from onnx.proto into a temporary directory and
# diffs it against the committed file. Exits 1 if they differ (or 2 if the
# tools are missing).
#
# protoc-gen-go is built from the google.golang.org/protobuf version pinned
# in go.mod, so only protoc has to be installed. The committed file was
# generated with Debian's protobuf-compiler (libprotoc 3.21.12), which is
# what CI installs. protoc-gen-go records the protoc version in the file
# header; if a different protoc is found, that header line is ignored in
# the comparison and a warning is printed.
set -eu

dir=$(cd "$(dirname "$0")" && pwd)
want_protoc=3.21.12

if ! command -v protoc >/dev/null 2>&1; then
	echo "regen_check: protoc not found (apt-get install protobuf-compiler)" >&2
	exit 2
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

(cd "$dir" && go build -o "$tmp/bin/protoc-gen-go" google.golang.org/protobuf/cmd/protoc-gen-go)

cp "$dir/onnx.proto" "$tmp/"
(cd "$tmp" && PATH="$tmp/bin:$PATH" protoc --go_out=. --go_opt=paths=source_relative onnx.proto)

got=$(protoc --version | awk '{print $2}')
old="$dir/onnx.pb.go"
new="$tmp/onnx.pb.go"
if [ "$got" != "$want_protoc" ]; then
	echo "regen_check: warning: protoc $got found, expected $want_protoc; ignoring the protoc version header line" >&2
	grep -v '^// 	protoc  ' "$old" >"$tmp/old.go"
	grep -v '^// 	protoc  ' "$new" >"$tmp/new.go"
	old="$tmp/old.go"
	new="$tmp/new.go"
fi

if ! diff -u "$old" "$new"; then
	echo "regen_check: onnx.pb.go is stale; run: go generate ./frontend/onnx/onnxpb/" >&2
	exit 1
fi
echo "regen_check: onnx.pb.go is up to date"
