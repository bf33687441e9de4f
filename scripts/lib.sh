# Shared helpers for scripts/*. Sourced, not executed.

# Installs Debian packages that are missing (apt-get update only when something is missing).
ensure_packages() {
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "installing: ${missing[*]}" >&2
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
  fi
}

# Java 17+ and Maven, which the build needs.
ensure_build_tools() {
  command -v java >/dev/null 2>&1 || ensure_packages openjdk-17-jdk-headless
  command -v mvn >/dev/null 2>&1 || ensure_packages maven
}

# What the tests and the demo need at run time: FUSE 2 (jnr-fuse binds libfuse.so.2), loop mounts,
# ext4 tools, and numpy (the tensor test reads a mounted .npy with it).
ensure_runtime_packages() {
  ensure_packages fuse libfuse2 e2fsprogs util-linux python3-numpy
}
