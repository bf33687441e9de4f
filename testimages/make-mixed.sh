#!/usr/bin/env bash
# Builds a reproducible "mixed" input file for pack/cat/mount tests: runs of real text, real
# binaries, pseudo-random bytes and zeros, laid out so that
#   - segment lengths are odd, so most blocks (any power-of-two size) mix two kinds of content;
#   - some zero runs start on a 1 MiB boundary and span 2 MiB, so at every block size from 4 KiB
#     to 1 MiB there are whole all-zero blocks (stored as index entries only), while other zero
#     runs are short and unaligned (not whole blocks);
#   - the file ends with a 3001-byte text tail, so its size is not a multiple of 4096 and the
#     last block is partial.
# Size: SIZE_MB MiB + 3001 bytes. Same sources as make-ext4.sh (Essential bookworm packages), so
# two runs give byte-identical files (verified with sha256sum on bookworm).
set -euo pipefail

usage() {
  cat <<EOF
usage: $(basename "$0") OUT [SIZE_MB]
  Write a reproducible mixed text/binary/random/zero file of SIZE_MB MiB (default 40) plus an
  odd 3001-byte tail to OUT.
EOF
}
case "${1:-}" in -h | --help) usage; exit 0 ;; esac
if ! { [ $# -ge 1 ] && [ $# -le 2 ]; }; then usage >&2; exit 2; fi

# shellcheck source=scripts/lib.sh
. "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../scripts/lib.sh"
image_env

OUT="$1"
SIZE_MB="${2:-40}"
if ! { [[ "$SIZE_MB" =~ ^[0-9]+$ ]] && [ "$SIZE_MB" -ge 1 ]; }; then die "SIZE_MB must be a positive integer"; fi
ensure_packages perl-base

mkdir -p "$(dirname "$OUT")"
tmp="$(mktemp -d "$(dirname "$OUT")/.make-mixed.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT

# Pools of real content, concatenated in a fixed (C-locale sorted) order.
pbd="$(perl_base_dir)"
{
  for f in "${LICENSE_FILES[@]}"; do cat "/usr/share/common-licenses/$f"; done
  for p in "${ESSENTIAL_DOC_PKGS[@]}"; do cat "/usr/share/doc/$p/copyright"; done
  find "$pbd" -type f -name '*.pm' | sort | xargs -d '\n' cat
} >"$tmp/text.pool"
{
  for b in "${STABLE_BINARIES[@]}"; do cat "$b"; done
  find "$pbd" -type f -name '*.so' | sort | xargs -d '\n' cat
} >"$tmp/bin.pool"

perl - "$tmp/out" $((SIZE_MB * 1024 * 1024)) "$tmp/text.pool" "$tmp/bin.pool" <<'PERL'
use strict; use warnings;
my ($out, $body, $textf, $binf) = @ARGV;
sub slurp { local $/; open(my $fh, '<:raw', $_[0]) or die "$_[0]: $!"; my $s = <$fh>; $s }
my %pool = (text => slurp($textf), bin => slurp($binf));
my %cursor = (text => 0, bin => 0);
open(my $fh, '>:raw', $out) or die "$out: $!";
my $pos = 0;

sub emit { print $fh $_[0]; $pos += length $_[0]; }
# Next N bytes of a pool, continuing where the previous segment of that kind stopped.
sub from_pool {
  my ($kind, $n) = @_;
  my $p = $pool{$kind};
  while ($n > 0) {
    my $k = length($p) - $cursor{$kind};
    $k = $n if $n < $k;
    emit(substr($p, $cursor{$kind}, $k));
    $cursor{$kind} = ($cursor{$kind} + $k) % length($p);
    $n -= $k;
  }
}
# Same generator as scripts/lib.sh random_bytes: perl's own drand48, fixed seed.
sub random {
  my ($seed, $n) = @_;
  srand($seed);
  while ($n > 0) {
    my $k = $n > 65536 ? 65536 : $n;
    emit(substr(pack("L<*", map { int(rand(4294967296)) } 1 .. (($k + 3) >> 2)), 0, $k));
    $n -= $k;
  }
}
sub zeros { my $n = shift; while ($n > 0) { my $k = $n > 1048576 ? 1048576 : $n; emit("\0" x $k); $n -= $k; } }

# One round of the layout; repeated (with new random seeds) until the body is full.
my @plan = (
  [text => 5_000_001], [bin => 777_777], [random => 3_145_733],
  [zero_align => 1 << 20], [zero => 2 << 20],
  [text => 2_345_678], [zero => 100_003], [random => 1_000_003], [bin => 1_500_001],
  [text => 999_999], [random => 65_537], [zero => 4_095], [text => 3_000_017],
);
my $round = 0;
while ($pos < $body) {
  for my $step (@plan) {
    my ($kind, $n) = @$step;
    last if $pos >= $body;
    $n = (1048576 - ($pos % 1048576)) % 1048576 if $kind eq 'zero_align';
    $n = $body - $pos if $n > $body - $pos;
    if ($kind eq 'text' || $kind eq 'bin') { from_pool($kind, $n) }
    elsif ($kind eq 'random') { random(1000 + $round, $n) }
    else { zeros($n) }
  }
  $round++;
}
from_pool(text => 3001);   # the odd tail
close($fh) or die "$out: $!";
PERL

mv -f "$tmp/out" "$OUT"
echo "$OUT: $(stat -c %s "$OUT") bytes, sha256 $(sha256sum "$OUT" | cut -d' ' -f1)"
