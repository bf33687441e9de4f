#!/usr/bin/env bash
# Builds a small, byte-for-byte reproducible ext4 image from real text and binary content, plus a
# sha256 manifest of its files (OUT.sha256, paths relative to the filesystem root) so tests can
# loop-mount the image (directly or through a Cairn mount) and run `sha256sum -c` from the root.
#
# Reproducibility: every input we do not generate comes from Essential bookworm packages whose
# content has not changed across point releases (see scripts/lib.sh); everything mke2fs would otherwise
# take from the clock, the RNG, the locale or /etc/mke2fs.conf is pinned below.
# Verified on Debian bookworm (e2fsprogs 1.47.0-2+b2): two consecutive runs give the same
# sha256sum of the image and of the manifest.
set -euo pipefail

usage() {
  cat <<EOF
usage: $(basename "$0") [OUT] [SIZE_MB]
  Build a reproducible ext4 image (default OUT testimages/build/test-ext4.img, SIZE_MB 24)
  and its file manifest OUT.sha256. The source tree is left in testimages/build/tree.
EOF
}
case "${1:-}" in -h | --help) usage; exit 0 ;; esac
[ $# -le 2 ] || { usage >&2; exit 2; }

# shellcheck source=scripts/lib.sh
. "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../scripts/lib.sh"
image_env

OUT="${1:-$BUILD_DIR/test-ext4.img}"
SIZE_MB="${2:-24}"
if ! { [[ "$SIZE_MB" =~ ^[0-9]+$ ]] && [ "$SIZE_MB" -ge 20 ]; }; then die "SIZE_MB must be an integer >= 20 (the tree needs ~16 MiB)"; fi
# Fixed identities: the UUID also seeds metadata_csum, the hash seed orders htree directories.
FS_UUID=6361726e-0000-4000-8000-000000000001
HASH_SEED=6361726e-0000-4000-8000-000000000002

need_root "file owners in the image and loop mounts need it"
ensure_packages e2fsprogs perl-base

mkdir -p "$BUILD_DIR" "$(dirname "$OUT")"
OUT="$(readlink -f "$OUT")"
TREE="$BUILD_DIR/tree"

# One builder at a time: the tree path is shared.
exec 9>"$BUILD_DIR/.tree.lock"
flock 9

tmp="$(mktemp -d "$BUILD_DIR/.make-ext4.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT

umask 022
rm -rf "$TREE"
mkdir -p "$TREE"/{text/licenses,text/copyright,text/small,bin,data,links} "$TREE/lib/perl-base"

# --- text: license texts, copyright files of Essential packages, perl-base's modules --------
for f in "${LICENSE_FILES[@]}"; do
  cp "/usr/share/common-licenses/$f" "$TREE/text/licenses/$f"
done
ln -s GPL-3 "$TREE/text/licenses/GPL"          # a fast (inline) symlink
for p in "${ESSENTIAL_DOC_PKGS[@]}"; do
  [ -f "/usr/share/doc/$p/copyright" ] || die "/usr/share/doc/$p/copyright missing (Essential package $p)"
  cp "/usr/share/doc/$p/copyright" "$TREE/text/copyright/$p.txt"
done
# perl-base's modules: ~600 real .pm files (and a few .so) in nested directories.
cp -r "$(perl_base_dir)/." "$TREE/lib/perl-base/"
# One directory with 256 small files, large enough that ext4 indexes it (htree).
cat "$TREE"/text/licenses/* >"$tmp/all-licenses.txt"
split -d -a 3 -n l/256 "$tmp/all-licenses.txt" "$TREE/text/small/part-"
# Already-compressed real data: gzip -n leaves out name and time, so output depends only on input.
gzip -9 -n <"$tmp/all-licenses.txt" >"$TREE/text/all-licenses.txt.gz"

# --- binaries ---------------------------------------------------------------------------------
for b in "${STABLE_BINARIES[@]}"; do cp "$b" "$TREE/bin/"; done
ln "$TREE/bin/ls" "$TREE/links/hardlink-to-ls"   # the manifest lists both names
# A slow symlink: a target longer than 60 bytes is stored in a data block, not in the inode.
ln -s ../lib/perl-base/../../text/licenses/../copyright/../licenses/../../text/licenses/Apache-2.0 \
  "$TREE/links/long-symlink-to-apache"

# --- data: random, zeros, sparse, odd and tiny sizes --------------------------------------------
random_bytes 1 $((3 * 1024 * 1024)) >"$TREE/data/random-3MiB.bin"
random_bytes 2 1234567 >"$TREE/data/random-odd-size.bin"
head -c $((3 * 1024 * 1024)) /dev/zero >"$TREE/data/zeros-3MiB.bin"
# Sparse: 16 MiB apparent, three small islands of data, the last one ending exactly at EOF.
truncate -s 16M "$TREE/data/sparse-16MiB.img"
random_bytes 3 4096 | dd of="$TREE/data/sparse-16MiB.img" bs=1 seek=0 conv=notrunc status=none
random_bytes 4 5000 | dd of="$TREE/data/sparse-16MiB.img" bs=1 seek=$((5 * 1024 * 1024 + 123)) conv=notrunc status=none
random_bytes 5 777 | dd of="$TREE/data/sparse-16MiB.img" bs=1 seek=$((16 * 1024 * 1024 - 777)) conv=notrunc status=none
head -c 4097 "$tmp/all-licenses.txt" >"$TREE/data/odd-4097.txt"
printf x >"$TREE/data/one-byte"
: >"$TREE/data/empty"
printf 'owned by uid/gid 1000, mode 0600\n' >"$TREE/data/owned-by-1000.txt"

# --- nested directories -------------------------------------------------------------------------
deep="$TREE/deep/l1/l2/l3/l4/l5/l6/l7/l8"
mkdir -p "$deep"
cp /usr/share/common-licenses/BSD "$deep/leaf.txt"

# --- metadata: fixed modes, owners and times ----------------------------------------------------
# debugfs commands below are whitespace-separated; refuse names that would need quoting.
if find "$TREE" -name '*[[:space:]\"]*' -print -quit | grep -q .; then
  die "a tree path contains whitespace or a quote; debugfs fix-ups would break"
fi
chown -R 0:0 "$TREE"
find "$TREE" -type d -exec chmod 0755 {} +
find "$TREE" -type f -exec chmod 0644 {} +
find "$TREE/bin" "$TREE/lib" -type f \( -path "$TREE/bin/*" -o -name '*.so' \) -exec chmod 0755 {} +
chown 1000:1000 "$TREE/data/owned-by-1000.txt"
chmod 0600 "$TREE/data/owned-by-1000.txt"
find "$TREE" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +

# --- the image ----------------------------------------------------------------------------------
# E2FSPROGS_FAKE_TIME fixes the superblock and lost+found times; lazy init and discard are off so
# the inode tables and journal are written as zeros and flagged the same way on every device.
export MKE2FS_CONFIG="$TESTIMAGES_DIR/mke2fs.conf" E2FSPROGS_FAKE_TIME="$SOURCE_DATE_EPOCH"
img="$tmp/image.img"
mkfs.ext4 -q -F -t ext4 -T default -L cairn-test -U "$FS_UUID" \
  -E "hash_seed=$HASH_SEED,root_owner=0:0,lazy_itable_init=0,lazy_journal_init=0,nodiscard" \
  -d "$TREE" "$img" "${SIZE_MB}M" >/dev/null

# mke2fs -d (1.47.0) copies ctime from the source inode, which is always "now" (touch cannot set
# it), and atime may move while we read the tree. Pin all four times of every inode afterwards.
{
  for p in / /lost+found $(cd "$TREE" && find . -mindepth 1 | sort | sed 's|^\.||'); do
    for field in atime mtime ctime crtime; do echo "sif $p $field @$SOURCE_DATE_EPOCH"; done
  done
} >"$tmp/fixtimes.debugfs"
debugfs -w -f "$tmp/fixtimes.debugfs" "$img" >"$tmp/debugfs.log" 2>&1
if grep -iE 'error|not found|invalid|bad ' "$tmp/debugfs.log" | grep -v '^debugfs [0-9]' >&2; then
  die "debugfs time fix-ups failed (log above)"
fi
e2fsck -fn "$img" >"$tmp/fsck.log" 2>&1 || { cat "$tmp/fsck.log" >&2; die "e2fsck found problems in the new image"; }

# Regular files only; sha256sum -c run from the mount root checks every one (hard links twice).
(cd "$TREE" && find . -type f | sort | sed 's|^\./||' | xargs -d '\n' sha256sum) >"$tmp/manifest"

mv -f "$img" "$OUT"
mv -f "$tmp/manifest" "$OUT.sha256"
echo "$OUT: $(stat -c %s "$OUT") bytes, $(wc -l <"$OUT.sha256") files in manifest, sha256 $(sha256sum "$OUT" | cut -d' ' -f1)"
