#!/usr/bin/env bash
# Builds the FerretDB binary that the MongoDB tests (packages/mongodb, the
# examples, test/e2e) run as a real MongoDB-wire server, once per machine,
# from the Go module proxy (no Docker and no MongoDB needed, only Go).
#
#   scripts/ferretdb.sh          build it unless it is already there; the last
#                                line printed is the binary's path
#   scripts/ferretdb.sh --path   print where the binary lives; build nothing
#
# The binary is cached outside the checkout, keyed by the pinned version:
#   ${XDG_CACHE_HOME:-$HOME/.cache}/tracewire/ferretdb/<version>/ferretdb
# FERRETDB_BIN, when set, names a binary to use instead (the tests honour it too).
#
# FerretDB 1.x is the last line with the embedded SQLite backend (2.x needs
# PostgreSQL with the DocumentDB extension), so a test starts it with nothing
# but a temporary directory: see scripts/ferretdb.cjs.
set -euo pipefail

FERRETDB_MODULE=github.com/FerretDB/FerretDB
FERRETDB_VERSION=v1.24.2

# shellcheck source=go-binary.sh
source "$(dirname "$0")/go-binary.sh"
go_binary_cache ferretdb "$FERRETDB_VERSION" "$FERRETDB_MODULE" FERRETDB_BIN "$@"

started=$(date +%s)
echo "building ferretdb $FERRETDB_VERSION ($FERRETDB_MODULE@$FERRETDB_VERSION) into $dir; the first build takes minutes" >&2

# Built in a writable copy of FerretDB's module, from its own go.mod and
# go.sum. FerretDB panics at start-up without build/version/version.txt, a
# file its release process generates and the module does not hold: the copy
# gets one that names the pinned version.
work="$dir/build"
rm -rf "$work"
go_module_download "$FERRETDB_MODULE" "$FERRETDB_VERSION"
src=$(go_module_field Dir)
[ -n "$src" ] && [ -f "$src/go.mod" ] && [ -d "$src/cmd/ferretdb" ] || go_module_unusable
cp -R "$src" "$work"
chmod -R u+w "$work"
echo "$FERRETDB_VERSION" >"$work/build/version/version.txt"

(
  cd "$work"
  # Only the SQLite backend: the tests need no PostgreSQL.
  GOFLAGS=-buildvcs=false go build -trimpath -tags ferretdb_no_postgresql \
    -o "$dir/ferretdb.partial" ./cmd/ferretdb
)
# Read the whole help first, as scripts/jaeger.sh does: with pipefail, `grep -q`
# leaving early makes the still-writing binary die of SIGPIPE, and the check
# fail at random.
help=$("$dir/ferretdb.partial" --help 2>/dev/null || true)
grep -q -- '--sqlite-url' <<<"$help" || {
  echo "ferretdb.sh: the built binary does not offer the SQLite backend (--sqlite-url)" >&2
  exit 1
}
mv "$dir/ferretdb.partial" "$bin"
rm -rf "$work"
echo "built ferretdb $FERRETDB_VERSION in $(($(date +%s) - started))s" >&2
echo "$bin"
