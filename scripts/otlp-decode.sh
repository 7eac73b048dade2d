#!/usr/bin/env bash
# Builds tools/otlp-decode, the decoder that the OTLP protobuf tests check our
# bytes with: the official OTLP Go types turn them into protojson, and a field
# number the schema does not have is an error. Once per machine, from Go's
# module cache or proxy (go.sum pins every module).
#
#   scripts/otlp-decode.sh          build it unless it is already there; the last
#                                   line printed is the binary's path
#   scripts/otlp-decode.sh --path   print where the binary lives; build nothing
#
# The binary is cached outside the checkout, keyed by a hash of the tool's
# sources (so an edit to them builds anew):
#   ${XDG_CACHE_HOME:-$HOME/.cache}/tracewire/otlp-decode/<hash>/otlp-decode
# OTLP_DECODE_BIN, when set, names a binary to use instead (the tests honour it too).
set -euo pipefail

src="$(cd "$(dirname "$0")/../tools/otlp-decode" && pwd)"
# Only the build's inputs count: a binary someone built in place must not
# change the key.
hash=$(cd "$src" && sha256sum go.mod go.sum ./*.go | sha256sum | cut -c1-16)

# shellcheck source=go-binary.sh
source "$(dirname "$0")/go-binary.sh"
go_binary_cache otlp-decode "$hash" tools/otlp-decode OTLP_DECODE_BIN "$@"

started=$(date +%s)
echo "building otlp-decode ($hash) into $dir" >&2
(
  cd "$src"
  # No VCS stamp (the workspace copy of scripts/otel3.mjs has no .git of its
  # own) and no go.work from above: go.mod and go.sum alone decide.
  GOWORK=off GOFLAGS=-buildvcs=false go build -trimpath -o "$dir/otlp-decode.partial" .
)
# An empty request is valid and decodes to {}: proof the binary runs.
out=$("$dir/otlp-decode.partial" </dev/null)
[ "$out" = "{}" ] || {
  echo "otlp-decode.sh: the built binary decoded an empty request as '$out', not {}" >&2
  exit 1
}
mv "$dir/otlp-decode.partial" "$bin"
echo "built otlp-decode in $(($(date +%s) - started))s" >&2
echo "$bin"
