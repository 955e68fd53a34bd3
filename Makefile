# llmc — ONNX model compiler for Go. `make test` is what CI runs.
GO       ?= go
PKGS     := ./...
DEMO_MODEL := testdata/models/bert-tiny-opset14

.PHONY: all build test test-go check-generated check-fmt vet fuzz test-arm64 conformance demo clean generate

all: build

build:
	$(GO) build -o bin/llmc ./cmd/llmc

# The full test suite: formatting, vet, unit + conformance tests, generated code up to date,
# arm64 kernels under qemu (when qemu-aarch64 is installed), and short fuzz runs.
test: check-fmt vet test-go check-generated test-arm64 fuzz

test-go:
	$(GO) test -count=1 $(PKGS)

vet:
	$(GO) vet $(PKGS)

check-fmt:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi

# Generated code must regenerate byte-identically.
check-generated:
	bash frontend/onnx/onnxpb/regen_check.sh
	@if [ -f backend/cpu/gen.sh ]; then bash backend/cpu/gen.sh --check; fi

test-arm64:
	@if command -v qemu-aarch64 >/dev/null; then \
		GOARCH=arm64 $(GO) test -count=1 -exec qemu-aarch64 ./backend/cpu/... ./ir/...; \
	else echo "qemu-aarch64 not installed: skipping arm64 tests (apt-get install qemu-user)"; fi

FUZZTIME ?= 15s
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzImport$$' -fuzztime $(FUZZTIME) ./frontend/onnx
	$(GO) test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME) ./ir

conformance: build
	bin/llmc conformance

generate:
	$(GO) generate ./...

# The newcomer's main job on a committed model: inspect it, draw it, run it against PyTorch's outputs.
demo: build
	bin/llmc inspect $(DEMO_MODEL)/model.onnx
	bin/llmc dot $(DEMO_MODEL)/model.onnx -o bin/bert-tiny.dot
	bin/llmc run $(DEMO_MODEL)/model.onnx --test-data $(DEMO_MODEL)/test_data_set_0 --atol 1e-4

clean:
	rm -rf bin

include testdata/models/Makefile.inc
