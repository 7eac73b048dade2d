#!/usr/bin/env bash
# Builds the Jaeger v2 binary that the end-to-end tests (test/e2e) run, once
# per machine, from the Go module proxy (no Docker needed, only Go).
#
#   scripts/jaeger.sh          build it unless it is already there; the last
#                              line printed is the binary's path
#   scripts/jaeger.sh --path   print where the binary lives; build nothing
#
# The binary is cached outside the checkout, keyed by the pinned version:
#   ${XDG_CACHE_HOME:-$HOME/.cache}/tracewire/jaeger/<version>/jaeger
# JAEGER_BIN, when set, names a binary to use instead (the tests honour it too).
set -euo pipefail

# Jaeger tags every release twice on the same commit: v1.x and v2.x. Its Go
# module path has no /v2 suffix, so only the v1.x tags are valid module
# versions, and the module proxy refuses raw commits. cmd/jaeger at v1.76.0 is
# the Jaeger v2.13.0 backend ("Jaeger backend v2"), released 2025-12-03.
JAEGER_MODULE=github.com/jaegertracing/jaeger
JAEGER_VERSION=v1.76.0
JAEGER_V2_VERSION=v2.13.0

# shellcheck source=go-binary.sh
source "$(dirname "$0")/go-binary.sh"
go_binary_cache jaeger "$JAEGER_VERSION" "$JAEGER_MODULE" JAEGER_BIN "$@"

started=$(date +%s)
echo "building jaeger $JAEGER_V2_VERSION ($JAEGER_MODULE@$JAEGER_VERSION) into $dir; the first build takes minutes" >&2

# `go install module/cmd/jaeger@version` refuses modules whose go.mod has
# replace directives, and Jaeger's has one. So build from a throwaway main
# module that takes Jaeger's own go.mod (same requirements, same replace) and
# go.sum (the checksum database does not answer for every module it lists, so
# the checksums must come from Jaeger's go.sum), and requires Jaeger itself.
work="$dir/build"
rm -rf "$work"
mkdir -p "$work"
go_module_download "$JAEGER_MODULE" "$JAEGER_VERSION"
src=$(go_module_field Dir)
sum=$(go_module_field Sum)
modsum=$(go_module_field GoModSum)
[ -n "$src" ] && [ -f "$src/go.mod" ] && [ -n "$sum" ] && [ -n "$modsum" ] || go_module_unusable
sed "s#^module .*#module tracewire.local/jaeger-build#" "$src/go.mod" >"$work/go.mod"
printf '\nrequire %s %s\n' "$JAEGER_MODULE" "$JAEGER_VERSION" >>"$work/go.mod"
cp "$src/go.sum" "$work/go.sum"
chmod u+w "$work/go.mod" "$work/go.sum"
printf '%s %s %s\n%s %s/go.mod %s\n' \
  "$JAEGER_MODULE" "$JAEGER_VERSION" "$sum" "$JAEGER_MODULE" "$JAEGER_VERSION" "$modsum" >>"$work/go.sum"

(
  cd "$work"
  GOFLAGS=-buildvcs=false go build -mod=mod -trimpath \
    -ldflags "-X $JAEGER_MODULE/internal/version.latestVersion=$JAEGER_V2_VERSION" \
    -o "$dir/jaeger.partial" "$JAEGER_MODULE/cmd/jaeger"
)
# Read the whole help first: with pipefail, `grep -q` leaving early makes the
# still-writing binary die of SIGPIPE, and the check fail at random.
help=$("$dir/jaeger.partial" --help 2>/dev/null || true)
grep -q 'Jaeger backend v2' <<<"$help" || {
  echo "jaeger.sh: the built binary does not say it is Jaeger backend v2" >&2
  exit 1
}
mv "$dir/jaeger.partial" "$bin"
rm -rf "$work"
echo "built jaeger $JAEGER_V2_VERSION in $(($(date +%s) - started))s" >&2
echo "$bin"
