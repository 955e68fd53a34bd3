# llmc — ONNX model compiler for Go. `make test` is what CI runs.
GO       ?= go
PKGS     := ./...
DEMO_MODEL := testdata/models/bert-tiny-opset14

.PHONY: check-compiled all build test test-deps test-go test-race check-cross bench-openblas check-generated check-fmt vet fuzz test-arm64 conformance demo clean generate crosscheck bench bench-ort ort-deps

all: build

build:
	$(GO) build -o bin/llmc ./cmd/llmc

# The full test suite: formatting, vet, unit + conformance tests, the CPU backend under the race
# detector, generated code up to date, arm64 kernels under qemu, cross-builds for Windows, macOS
# and riscv64, and short fuzz runs. It first installs the Debian packages it needs (test-deps).
test: test-deps
	$(MAKE) check-fmt vet test-go test-race check-generated test-arm64 check-cross fuzz

# The Debian packages the tests use (libonnx-testdata, protobuf-compiler, qemu-user, graphviz).
test-deps:
	bash tools/test-deps.sh

# The module (cgo-free) builds, tests included, for the other supported systems.
check-cross:
	GOOS=windows GOARCH=amd64 $(GO) vet $(PKGS)
	GOOS=darwin GOARCH=arm64 $(GO) vet $(PKGS)
	GOOS=linux GOARCH=riscv64 $(GO) build $(PKGS)

# The lock-free kernel pool and the compiled package's concurrent Runs under the race detector.
test-race:
	$(GO) test -race -count=1 ./backend/cpu/... ./examples/...

test-go:
	$(GO) test -count=1 $(PKGS)

vet:
	$(GO) vet $(PKGS)

check-fmt:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi

# Generated code must regenerate byte-identically.
check-generated: check-compiled
	bash frontend/onnx/onnxpb/regen_check.sh
	sh backend/cpu/gen.sh
	git diff --exit-code -- backend/cpu/avx2_amd64.s backend/cpu/avx2_stubs_amd64.go || { echo "generated assembly is stale: run sh backend/cpu/gen.sh"; exit 1; }

test-arm64:
	@if command -v qemu-aarch64 >/dev/null; then \
		GOARCH=arm64 $(GO) test -count=1 -exec qemu-aarch64 ./backend/cpu/... ./ir/...; \
	else echo "qemu-aarch64 not installed: skipping arm64 tests (apt-get install qemu-user)"; fi

# Fuzz budgets are execution counts, not durations: with a wall-clock -fuzztime, Go 1.26's fuzz
# coordinator can report a spurious "context deadline exceeded" at the deadline (go.dev/issue/75804,
# fixed in Go 1.27) when a worker is mid-run on a loaded machine. Each is ~15 s here.
FUZZ_IMPORT ?= 250000x
FUZZ_PARSE ?= 300000x
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzImport$$' -fuzztime $(FUZZ_IMPORT) ./frontend/onnx
	$(GO) test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZ_PARSE) ./ir

conformance: build
	bin/llmc conformance

generate:
	$(GO) generate ./...

# The newcomer's main job on a committed model: compile bert-tiny into a Go package, check it
# against PyTorch's outputs, and run the example app that imports it.
COMPILED := examples/bert-classify/berttiny
demo: build
	bin/llmc inspect $(DEMO_MODEL)/model.onnx
	bin/llmc run $(DEMO_MODEL)/model.onnx --test-data $(DEMO_MODEL)/test_data_set_0 --atol 1e-4
	bin/llmc compile $(DEMO_MODEL)/model.onnx -o $(COMPILED)
	$(GO) test -count=1 ./$(COMPILED)
	$(GO) run ./examples/bert-classify

# Regenerate the committed compiled package and fail if it differs.
check-compiled: build
	@tmp=$$(mktemp -d); trap 'rm -rf $$tmp' EXIT; \
	mkdir -p $$tmp/berttiny && bin/llmc compile $(DEMO_MODEL)/model.onnx -o $$tmp/berttiny --package berttiny >/dev/null && \
	diff -r -q -x '*.test' $$tmp/berttiny $(COMPILED) || { echo "$(COMPILED) is stale: run make demo"; exit 1; }

# Cross-check llmc -O2 graphs in ONNX Runtime and time ORT as a yardstick (bench/README.md).
# Not part of `make test`: they need Node.js and npm (onnxruntime-node, installed without its
# download script).
# OpenBLAS yardstick for the SGEMM kernels (cgo, its own module; needs libopenblas-dev).
bench-openblas:
	cd bench/openblas && OPENBLAS_CORETYPE=$${OPENBLAS_CORETYPE:-SkylakeX} OPENBLAS_THREAD_TIMEOUT=4 $(GO) test -run '^$$' -bench . -benchtime 10x

ort-deps:
	@command -v node >/dev/null || { echo "node not found: Node.js >= 18 is needed for bench/ort"; exit 1; }
	@[ -d bench/ort/node_modules/onnxruntime-node ] || (cd bench/ort && npm ci --ignore-scripts)

crosscheck: build ort-deps
	bash bench/crosscheck.sh

BENCH_MODEL ?= testdata/models/bert-base/model.onnx
ITERS ?= 20
ROUNDS ?= 3
# llmc (plan and compiled package) vs ONNX Runtime on bert-base, interleaved (needs make models).
bench: build ort-deps
	bash bench/compare.sh $(ROUNDS) 10

bench-ort: ort-deps
	@[ -f $(BENCH_MODEL) ] || { echo "$(BENCH_MODEL) missing: run make models"; exit 1; }
	@for cfg in "1 128 1" "1 128 2" "8 128 1" "8 128 2" "1 16 1"; do set -- $$cfg; \
		node bench/ort/run.mjs bench $(BENCH_MODEL) --batch $$1 --seq $$2 --threads $$3 --iters $(ITERS) --json || exit 1; \
	done

clean:
	rm -rf bin

include testdata/models/Makefile.inc
