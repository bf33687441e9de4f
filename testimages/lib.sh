# Shared helpers for the test-image generators; sourced, not executed.
# shellcheck shell=bash
# shellcheck disable=SC2034  # the variables are for the scripts that source this file

# Sorting, scandir order in mke2fs -d and perl's output must not depend on the caller's locale.
export LC_ALL=C
# One fixed instant for every timestamp we control. Overridable, but then images differ.
: "${SOURCE_DATE_EPOCH:=1700000000}"
export SOURCE_DATE_EPOCH

TESTIMAGES_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
BUILD_DIR="$TESTIMAGES_DIR/build"

die() { echo "$(basename "$0"): $*" >&2; exit 1; }

need_root() {
  [ "$(id -u)" = 0 ] || die "must run as root (file owners in the image and loop mounts need it)"
}

# ensure_cmd CMD PACKAGE: install the Debian package providing CMD if CMD is missing.
ensure_cmd() {
  local cmd="$1" pkg="$2"
  if ! command -v "$cmd" >/dev/null 2>&1 && [ ! -x "/usr/sbin/$cmd" ] && [ ! -x "/sbin/$cmd" ]; then
    echo "$(basename "$0"): $cmd missing, installing $pkg" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$pkg" >&2 ||
      { apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$pkg" >&2; } ||
      die "could not install $pkg"
  fi
}

# random_bytes SEED N: N pseudo-random bytes on stdout, identical on every machine.
# Perl >= 5.20 uses its own drand48 regardless of platform, so srand(SEED) fixes the stream;
# this avoids depending on python (not Essential on Debian) or openssl's enc output format.
random_bytes() {
  perl -e '
    my ($seed, $n) = @ARGV; srand($seed); binmode STDOUT;
    while ($n > 0) {
      my $k = $n > 65536 ? 65536 : $n;
      print substr(pack("L<*", map { int(rand(4294967296)) } 1 .. (($k + 3) >> 2)), 0, $k);
      $n -= $k;
    }' "$1" "$2"
}

# The Essential packages whose copyright files we use as real prose. Essential packages are on
# every Debian system, and minimal images keep /usr/share/doc/*/copyright even when they drop docs.
ESSENTIAL_DOC_PKGS=(base-files bash coreutils dash debianutils diffutils findutils grep gzip
  hostname libc-bin login ncurses-bin perl-base sed tar util-linux)

# License texts shipped by base-files (real, stable prose). GPL/LGPL/GFDL are symlinks there.
LICENSE_FILES=(Apache-2.0 Artistic BSD CC0-1.0 GFDL-1.3 GPL-2 GPL-3 LGPL-2.1 LGPL-3 MPL-1.1 MPL-2.0)

# Binaries from coreutils, gzip and dash: Essential, and their bookworm versions have not changed
# since release (bash and libc get point updates, so they are left out of reproducible images).
STABLE_BINARIES=(/usr/bin/ls /usr/bin/cat /usr/bin/sort /usr/bin/sha256sum /usr/bin/gzip /usr/bin/dash)

# The directory holding perl-base's modules (.pm text plus a few .so), e.g. /usr/lib/x86_64-linux-gnu/perl-base.
perl_base_dir() {
  local d
  for d in /usr/lib/*/perl-base; do [ -d "$d" ] && { echo "$d"; return 0; }; done
  die "perl-base module directory not found under /usr/lib/*/perl-base"
}
