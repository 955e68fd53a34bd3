#!/bin/sh
# Regenerates the avo-generated AVX2 kernels (avx2_amd64.s, avx2_stubs_amd64.go).
# The generator is its own module (internal/gen/go.mod), so the main module
# does not depend on avo. CI: sh backend/cpu/gen.sh && git diff --exit-code backend/cpu
set -eu
cd "$(dirname "$0")/internal/gen"
go run . -out ../../avx2_amd64.s -stubs ../../avx2_stubs_amd64.go -pkg cpu
gofmt -w ../../avx2_stubs_amd64.go
