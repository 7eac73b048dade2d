# Sourced by scripts/jaeger.sh and scripts/ferretdb.sh: the part every cached
# Go-built binary shares. After
#
#   go_binary_cache NAME VERSION MODULE OVERRIDE_VAR "$@"
#
# $dir is the cache folder ${XDG_CACHE_HOME:-$HOME/.cache}/tracewire/NAME/VERSION
# and $bin the binary (the OVERRIDE_VAR variable's value when set). With
# --path, or when the binary is there, it prints the path and exits; otherwise
# it returns holding the folder's lock (two runs at once build once), and the
# caller builds $bin.
go_binary_cache() {
  local name=$1 version=$2 module=$3 override_var=$4
  shift 4
  local override=${!override_var:-}
  dir="${XDG_CACHE_HOME:-$HOME/.cache}/tracewire/$name/$version"
  bin="${override:-$dir/$name}"
  if [ "${1:-}" = "--path" ]; then
    echo "$bin"
    exit 0
  fi
  if [ -x "$bin" ]; then
    echo "$name $version is already built" >&2
    echo "$bin"
    exit 0
  fi
  if [ -n "$override" ]; then
    echo "$override_var=$override is not an executable file" >&2
    exit 1
  fi
  command -v go >/dev/null || {
    echo "$name: Go is needed to build $name ($module@$version) and is not on PATH" >&2
    exit 1
  }
  mkdir -p "$dir"
  if command -v flock >/dev/null; then
    exec 9>"$dir/.lock"
    flock 9
  fi
  if [ -x "$bin" ]; then
    echo "$bin"
    exit 0
  fi
}

# go_module_download MODULE VERSION: downloads the module into Go's module
# cache and sets $info (go's JSON answer); go_module_field NAME then reads one
# of its string fields (Dir, Sum, GoModSum). Exits with go's answer on failure.
go_module_download() {
  info=$(go mod download -json "$1@$2") || {
    echo "the Go module proxy did not give $1@$2:" >&2
    printf '%s\n' "$info" >&2
    exit 1
  }
}
go_module_field() { printf '%s\n' "$info" | sed -n "s/^[[:space:]]*\"$1\": \"\(.*\)\",\{0,1\}$/\1/p"; }

# go_module_unusable: says the download gave no usable module, and exits.
go_module_unusable() {
  echo "go mod download gave no usable module:" >&2
  printf '%s\n' "$info" >&2
  exit 1
}
