#!/usr/bin/env bash
# Builds what the Python and Go operators need, only when missing or stale (a hash of their
# sources is kept beside each build):
#   .sdk/venv   Python venv from PyPI (sdk/python/requirements.txt), with the SDK (stubs generated
#               from proto/quarry.proto as it installs), the ocr and image-feature operators
#   .sdk/bin    the Go protoc plugins, then the Go SDK's stubs (sdk/go/internal/pb, by protoc) and
#               the Go operator binaries
# Called by scripts/test.sh; safe to run by hand. Prints where things are on success.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="$ROOT/.sdk"
mkdir -p "$OUT/bin"
say() { printf '[sdk-setup] %s\n' "$*" >&2; }
hash_of() {
  local paths=() p
  for p in "$@"; do [ -e "$ROOT/$p" ] && paths+=("$p"); done
  (cd "$ROOT" && find "${paths[@]}" -type f \( -name '*.py' -o -name '*.toml' -o -name '*.txt' -o -name '*.go' -o -name 'go.mod' -o -name 'go.sum' -o -name '*.proto' \) -not -path '*/build/*' -not -path '*/internal/pb/*' -not -name '*.egg-info' -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1)
}
apt_install() {
  local SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$@" >/dev/null
}

# --- Python ---------------------------------------------------------------------------------
PY_HASH="$(hash_of proto sdk/python)"
if [ ! -x "$OUT/venv/bin/python" ] || [ "$(cat "$OUT/venv/.quarry-hash" 2>/dev/null)" != "$PY_HASH" ]; then
  # OpenCV (a rapidocr dependency) loads libGL even headless.
  ldconfig -p | grep -q 'libGL.so.1' || { say "installing libgl1 (OpenCV needs it)"; apt_install libgl1; }
  [ -x "$OUT/venv/bin/python" ] || { say "creating the Python venv in .sdk/venv"; python3 -m venv "$OUT/venv"; }
  say "installing the Python SDK and operators (pip, PyPI)"
  "$OUT/venv/bin/pip" install -q --disable-pip-version-check -r "$ROOT/sdk/python/requirements.txt"
  "$OUT/venv/bin/pip" install -q --disable-pip-version-check --no-deps --no-build-isolation --force-reinstall "$ROOT/sdk/python" "$ROOT/sdk/python/operators"
  rm -rf "$ROOT"/sdk/python/build "$ROOT"/sdk/python/operators/build "$ROOT"/sdk/python/src/*.egg-info "$ROOT"/sdk/python/operators/src/*.egg-info
  echo "$PY_HASH" > "$OUT/venv/.quarry-hash"
fi

# --- Go -------------------------------------------------------------------------------------
GO_HASH="$(hash_of proto sdk/go examples/go)"
if [ ! -x "$OUT/bin/quarry-image-extract" ] || [ "$(cat "$OUT/bin/.quarry-hash" 2>/dev/null)" != "$GO_HASH" ] || [ ! -f "$ROOT/sdk/go/internal/pb/quarry.pb.go" ]; then
  command -v protoc >/dev/null || { say "installing protobuf-compiler (protoc)"; apt_install protobuf-compiler; }
  say "building the Go protoc plugins, stubs and operators (Go module proxy)"
  cd "$ROOT/sdk/go"
  go build -o "$OUT/bin/protoc-gen-go" google.golang.org/protobuf/cmd/protoc-gen-go
  go build -o "$OUT/bin/protoc-gen-go-grpc" google.golang.org/grpc/cmd/protoc-gen-go-grpc
  mkdir -p internal/pb
  M="Mquarry.proto=quarry.local/sdk/internal/pb"
  PATH="$OUT/bin:$PATH" protoc -I "$ROOT/proto" --go_out=internal/pb --go_opt=paths=source_relative --go_opt="$M" \
    --go-grpc_out=internal/pb --go-grpc_opt=paths=source_relative --go-grpc_opt="$M" quarry.proto
  go build -o "$OUT/bin/" ./cmd/...
  if [ -f "$ROOT/examples/go/go.mod" ]; then (cd "$ROOT/examples/go" && go build -o "$OUT/bin/" ./...); fi
  echo "$GO_HASH" > "$OUT/bin/.quarry-hash"
fi
say "ready: $OUT/venv/bin/python, $OUT/bin"
