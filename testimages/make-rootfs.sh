#!/usr/bin/env bash
# Builds a larger ext4 disk image filled (~85 %) with a real Linux root filesystem's content,
# for benchmarks: executables, shared libraries, scripts, docs, locale data, configuration.
#
# The source trees are fixed (ROOTFS_TREES below). They hold several GiB on a typical machine,
# more than fits, so files are taken in the order of a hash of their path until the data budget
# is used: a deterministic sample spread evenly over all trees, rather than the alphabetically
# first directories only. The same machine gives the same selection; other machines give an image
# of the same kind but not the same bytes (this image is not meant to be reproducible).
# Symlinks are copied as symlinks; nothing is dereferenced.
set -euo pipefail

usage() {
  cat <<EOF
usage: $(basename "$0") [OUT] [SIZE_MB]
  Build an ext4 image of SIZE_MB MiB (default 1024) about 85 % full of this machine's
  /etc and /usr content (default OUT testimages/build/rootfs.img).
  Environment: ROOTFS_FILL_PCT (default 85) sets the target fill.
EOF
}
case "${1:-}" in -h | --help) usage; exit 0 ;; esac
[ $# -le 2 ] || { usage >&2; exit 2; }

# shellcheck source=scripts/lib.sh
. "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../scripts/lib.sh"
image_env

OUT="${1:-$BUILD_DIR/rootfs.img}"
SIZE_MB="${2:-1024}"
FILL_PCT="${ROOTFS_FILL_PCT:-85}"
if ! { [[ "$SIZE_MB" =~ ^[0-9]+$ ]] && [ "$SIZE_MB" -ge 64 ]; }; then die "SIZE_MB must be an integer >= 64"; fi
if ! { [[ "$FILL_PCT" =~ ^[0-9]+$ ]] && [ "$FILL_PCT" -ge 10 ] && [ "$FILL_PCT" -le 95 ]; }; then die "ROOTFS_FILL_PCT must be 10..95"; fi

# What a root filesystem is made of. /usr/local and /opt are left out: they hold whatever a
# machine's owner added, not the distribution.
ROOTFS_TREES=(/etc /usr/bin /usr/sbin /usr/lib /usr/libexec /usr/include /usr/share)
# Secrets have no place in a benchmark image, even a local one.
EXCLUDE_RE='^(etc/(shadow|gshadow|sudoers)|etc/ssh/ssh_host_|etc/ssl/private/)'

need_root "file owners in the image and loop mounts need it"
ensure_packages e2fsprogs perl-base

mkdir -p "$BUILD_DIR" "$(dirname "$OUT")"
OUT="$(readlink -f "$OUT")"
tmp="$(mktemp -d "$BUILD_DIR/.make-rootfs.XXXXXX")"
stage="$tmp/stage"
img="$OUT.tmp"
mkdir -p "$stage"
cleanup() {
  if mountpoint -q "$stage"; then umount "$stage"; fi
  rm -rf "$tmp" "$img"
}
trap cleanup EXIT

export MKE2FS_CONFIG="$TESTIMAGES_DIR/mke2fs.conf"
# shellcheck disable=SC2054  # the commas belong to -E
MKFS_OPTS=(-q -F -t ext4 -T default -L cairn-rootfs -E nodiscard,lazy_itable_init=0,lazy_journal_init=0)

# What an empty filesystem of this size already uses (journal, inode tables, bitmaps, ...);
# the rest of the fill target is the budget for file data and directories.
mkfs.ext4 "${MKFS_OPTS[@]}" "$img" "${SIZE_MB}M" >/dev/null
blocks=$(dumpe2fs -h "$img" 2>/dev/null | awk -F: '/^Block count/ {print $2+0}')
free=$(dumpe2fs -h "$img" 2>/dev/null | awk -F: '/^Free blocks/ {print $2+0}')
bsize=$(dumpe2fs -h "$img" 2>/dev/null | awk -F: '/^Block size/ {print $2+0}')
budget=$(((blocks * FILL_PCT / 100 - (blocks - free)) * bsize))
[ "$budget" -gt 0 ] || die "a ${SIZE_MB} MiB filesystem has no room for content at ${FILL_PCT}%"

# Candidates: "type size path" records, NUL-separated, relative to /.
trees=()
for t in "${ROOTFS_TREES[@]}"; do [ -d "$t" ] && trees+=("${t#/}"); done
(cd / && find "${trees[@]}" -xdev \( -type f -o -type l -o -type d \) -printf '%y %s %p\0') >"$tmp/candidates"

# Selection: all symlinks, plus regular files in FNV-1a(path) order while the budget lasts; each
# file costs its size rounded up to whole blocks, each directory it needs one block.
perl -0 - "$tmp/candidates" "$budget" "$bsize" "$EXCLUDE_RE" >"$tmp/list" 2>"$tmp/select.log" <<'PERL'
use strict; use warnings;
my ($cand, $budget, $bs, $exclude) = @ARGV;
my $ex = qr/$exclude/;
sub fnv1a { my $h = 0x811c9dc5; for my $c (unpack("C*", $_[0])) { $h = (($h ^ $c) * 0x01000193) & 0xffffffff } $h }
open(my $fh, '<:raw', $cand) or die;
my (@files, @links, %dirs_all);
while (my $rec = <$fh>) {
  chomp $rec;
  my ($type, $size, $path) = split / /, $rec, 3;
  next if $path =~ $ex;
  if ($type eq 'f') { push @files, [fnv1a($path), $size, $path] }
  elsif ($type eq 'l') { push @links, $path }
}
my %dirs;
my $used = 0;
my $need_dirs = sub {   # cost of the ancestors not yet taken
  my @parts = split m{/}, $_[0]; pop @parts;
  my ($cost, $p) = (0, '');
  for my $d (@parts) { $p = $p eq '' ? $d : "$p/$d"; $cost += $bs unless $dirs{$p} }
  $cost;
};
my $add_dirs = sub {
  my @parts = split m{/}, $_[0]; pop @parts; my $p = '';
  for my $d (@parts) { $p = $p eq '' ? $d : "$p/$d"; $dirs{$p} = 1 }
};
my @take;
for my $l (sort @links) { $used += $need_dirs->($l); $add_dirs->($l); push @take, $l }
my ($nfiles, $bytes) = (0, 0);
for my $f (sort { $a->[0] <=> $b->[0] || $a->[2] cmp $b->[2] } @files) {
  my $cost = int(($f->[1] + $bs - 1) / $bs) * $bs + $need_dirs->($f->[2]);
  next if $used + $cost > $budget;   # skip what does not fit, keep trying smaller files
  $used += $cost; $add_dirs->($f->[2]); push @take, $f->[2]; $nfiles++; $bytes += $f->[1];
  last if $budget - $used < $bs;
}
print "$_\0" for sort(keys %dirs), sort(@take);
printf STDERR "selected %d of %d files (%.1f MiB), %d symlinks, %d directories\n",
  $nfiles, scalar @files, $bytes / 1048576, scalar @links, scalar keys %dirs;
PERL

# Stage in RAM when there is plenty, so the copy does not cost a disk round trip.
avail_kb=$(awk '/^MemAvailable/ {print $2}' /proc/meminfo)
if [ "$avail_kb" -gt $(((SIZE_MB * 2 + 1024) * 1024)) ]; then
  mount -t tmpfs -o "size=$((SIZE_MB + 256))m,mode=0755" tmpfs "$stage"
fi
(cd / && tar --null --no-recursion -T "$tmp/list" -cf -) | tar -C "$stage" --numeric-owner -xpf -

rm -f "$img"
mkfs.ext4 "${MKFS_OPTS[@]}" -d "$stage" "$img" "${SIZE_MB}M" >/dev/null
e2fsck -fn "$img" >"$tmp/fsck.log" 2>&1 || { cat "$tmp/fsck.log" >&2; die "e2fsck found problems in the new image"; }
free=$(dumpe2fs -h "$img" 2>/dev/null | awk -F: '/^Free blocks/ {print $2+0}')
fill=$(((blocks - free) * 100 / blocks))
[ "$fill" -ge 80 ] || [ "$FILL_PCT" -lt 80 ] || die "image only ${fill}% full (wanted ${FILL_PCT}%)"
mv -f "$img" "$OUT"
echo "$OUT: ${SIZE_MB} MiB, ${fill}% of blocks used; $(cat "$tmp/select.log")"
