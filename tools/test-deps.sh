#!/usr/bin/env bash
# Installs the Debian packages `make test` needs when they are missing: the ONNX conformance
# suite (libonnx-testdata), protoc (checks the generated protobuf bindings), qemu-user (arm64
# kernels) and graphviz (llmc dot --svg). Runs apt-get directly as root, through sudo otherwise;
# elsewhere it says what to install and fails.
set -euo pipefail
need=()
[ -d /usr/share/libonnx-testdata/data ] || need+=(libonnx-testdata)
command -v protoc >/dev/null || need+=(protobuf-compiler)
command -v qemu-aarch64 >/dev/null || need+=(qemu-user)
command -v dot >/dev/null || need+=(graphviz)
[ ${#need[@]} -eq 0 ] && exit 0
echo "test-deps: installing ${need[*]}" >&2
sudo=()
if [ "$(id -u)" -ne 0 ]; then
	if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
		sudo=(sudo)
	else
		echo "test-deps: missing ${need[*]}; install them (apt-get install ${need[*]}) or run as root" >&2
		exit 1
	fi
fi
if ! command -v apt-get >/dev/null; then
	echo "test-deps: no apt-get here: install the equivalents of ${need[*]} (Debian package names)" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq "${need[@]}"
