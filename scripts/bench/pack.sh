#!/usr/bin/env bash
# Pack benchmark: `cairn pack` against `mksquashfs` on the same disk image, same codec and level,
# measured in one run so the ratios are comparable even on a noisy machine.
#
# Rows: lz4, zstd level 3, zstd level 15; each against squashfs at its default 128 KiB block and
# at Cairn's default 64 KiB block (-b 65536). Cairn packs once per codec; its size and time are
# compared with both squashfs rows. mksquashfs of a single file builds a directory image holding
# that file, which is what a user comparing the two would get.
#
# Fairness: both tools use every core (mksquashfs -processors $(nproc); cairn's writer uses one
# thread per core); page caches are dropped before every timed run so both read the image cold;
# the order of the tools alternates from codec to codec (and from repeat to repeat); each timed run
# includes a final `sync`, so both are charged for getting their output to disk. Cairn is timed
# through scripts/cairn as a user runs it (JVM start-up included), with the jar built beforehand.
#
# Settling: these machines are VMs whose balloon driver hands memory freed by dropping the page cache
# back to the host within about a second; whoever fills the page cache after that pays for faulting
# it back in (a cold `cat` of 1 GiB takes 0.5 s right after a drop, 2 s a second later). Run back to
# back, each tool would start in whatever state the previous one left, which decides more than the
# tools do (mksquashfs right after mksquashfs 1.1-1.4 s, right after cairn 2.5-3.1 s). So every run
# starts settled (--settle seconds after the drop), as on a machine that has been idle for a moment.
#
# Thin pack (unless --no-thin): a copy of the image with 4 MiB rewritten in 16 places (256 KiB of
# seeded random bytes each, at 4 KiB-aligned, non-overlapping offsets from a seeded generator) is
# packed against the image's own snapshot: `cairn pack new.img -o v2.cairn --parent base.cairn`
# (base.cairn packed beforehand, untimed), timed like the rows above; shown with the bytes written
# and the parent and stored block counts from `cairn info --json`. squashfs has no thin image; the
# peer is the binary delta a fleet would otherwise ship, `xdelta3 -e -s IMAGE new.img`, which reads
# both raw images in full and gives a patch rather than something to mount.
#
# Encrypted pack (issue 12): each codec is also packed with `--encrypt --key-file KEY` (AES-256-GCM,
# a random key made once in the output folder), timed in the same rotation; reported as encrypted
# time / plain time, with the throughput ratio plain/encrypted time (target >= 0.80).
#
# Pass criterion: cairn size / squashfs size <= 1.03 on every row; encrypted pack throughput >= 0.80
# of plain on every codec.
# Exit: 0 all rows pass, 3 some size ratio above the limit, 1 a tool failed, 2 usage.
set -euo pipefail

here="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)"
root="$(cd "$here/../.." && pwd)"
out="$here/out"
CAIRN="$root/scripts/cairn"
LIMIT=1.03
# shellcheck source=scripts/lib.sh
. "$root/scripts/lib.sh"

usage() {
  cat <<EOF
usage: $(basename "$0") [-h] [--json] [--size MB] [--repeat N] [--codecs LIST] [--settle S]
                [--no-thin | --thin-only] [--keep] [--no-check] [IMAGE]
  Pack IMAGE with cairn and mksquashfs and print sizes, times and ratios. IMAGE defaults to
  testimages/build/rootfs.img (built by testimages/make-rootfs.sh when absent; with --size other
  than 1024, scripts/bench/out/rootfs-<MB>M.img). Outputs go to scripts/bench/out/.
  --json        print only the JSON result on stdout (the table goes to stderr)
  --size MB     size of the generated rootfs image (default 1024)
  --repeat N    time every run N times and report the median (default 1)
  --codecs LIST comma-separated subset of lz4,zstd3,zstd15 (default all)
  --settle S    seconds to wait after dropping the page cache before each run (default 2; 0 runs
                back to back, see "Settling" above)
  --no-thin     skip the thin pack (a copy with 4 MiB rewritten in 16 places, packed with
                --parent against the image's snapshot, against xdelta3 -e -s)
  --thin-only   run only the thin pack
  --keep        keep the packed outputs (default: delete each after measuring it)
  --no-check    skip checking that cairn verify passes and cairn cat returns the image's bytes
                (and, for the thin pack, that cairn cat and xdelta3 -d give the copy's bytes)
  CAIRN_NO_BUILD=1 in the environment runs the jar already built instead of rebuilding it.
EOF
}

json_only=0 repeat=1 keep=0 check=1 codecs="lz4,zstd3,zstd15" image="" settle=2 thin=1 size_mb=1024
value_opts=(--repeat=repeat --settle=settle --codecs=codecs --size=size_mb)
flag_opts=("--json json_only=1" "--no-thin thin=0" "--thin-only thin=2" "--keep keep=1" "--no-check check=0")
parse_args "$@"
need_positive --repeat "$repeat"
[[ "$settle" =~ ^[0-9]+$ ]] || bad "--settle needs a whole number of seconds"
need_size

# The human-readable report goes to stdout, or to stderr when stdout is reserved for JSON.
say() { if [ "$json_only" = 1 ]; then echo "$@" >&2; else echo "$@"; fi; }

need_root "dropping the page cache needs it"
ensure_packages squashfs-tools python3
[ "$thin" = 0 ] || ensure_packages xdelta3
mkdir -p "$out"
pick_image

# Build the jar now (the wrapper builds when sources changed), then forbid rebuilds so that no
# timed run pays for Maven even if someone edits the sources meanwhile.
"$CAIRN" --version >/dev/null || die "scripts/cairn does not run"
export CAIRN_NO_BUILD=1
nproc=$(nproc)
sq_version=$(mksquashfs -version 2>/dev/null | head -1)
java_version=$(java -version 2>&1 | head -1)
# The JVM start-up every cairn run pays, for reading small-image results.
t0=$EPOCHREALTIME
"$CAIRN" --version >/dev/null
startup=$(secs "$t0" "$EPOCHREALTIME" 3)

work="$(mktemp -d "$out/.run.XXXXXX")"
trap 'rm -rf "$work"' EXIT

warm_note="runs read the image warm"

# timed NAME CMD...: runs CMD (+ sync) on a cold cache; appends the wall seconds to $work/NAME.times.
timed() {
  local name="$1"; shift
  drop_caches
  sleep "$settle"
  local t0=$EPOCHREALTIME
  if ! "$@" >"$work/$name.log" 2>&1; then
    cat "$work/$name.log" >&2
    die "$name failed: $*"
  fi
  sync
  local t1=$EPOCHREALTIME
  { secs "$t0" "$t1" 3; echo; } >>"$work/$name.times"
  say "    $name: $(tail -1 "$work/$name.times") s"
}
median() { sort -n "$1" | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

cairn_args() { # codec id -> cairn pack flags
  case "$1" in
    lz4) echo "--codec lz4" ;;
    zstd3) echo "--codec zstd --level 3" ;;
    zstd15) echo "--codec zstd --level 15" ;;
    *) return 1 ;;
  esac
}
squash_args() {
  case "$1" in
    lz4) echo "-comp lz4" ;;
    zstd3) echo "-comp zstd -Xcompression-level 3" ;;
    zstd15) echo "-comp zstd -Xcompression-level 15" ;;
    *) return 1 ;;
  esac
}
IFS=, read -r -a codec_list <<<"$codecs"
[ "$thin" != 2 ] || codec_list=()
for c in "${codec_list[@]}"; do cairn_args "$c" >/dev/null || { echo "unknown codec $c" >&2; exit 2; }; done

image_sha=""
if [ "$check" = 1 ]; then image_sha=$(sha256sum "$image" | cut -d' ' -f1); fi

say "image: $image ($image_bytes bytes); cores: $nproc (mksquashfs -processors $nproc, cairn: 1 thread per core)"
say "$sq_version; $java_version; cairn --version takes ${startup}s (JVM start-up, warm)"
say "page cache dropped before each run, then ${settle}s to settle; repeats: $repeat (median reported)"

declare -A size
key_file="$out/pack-bench.key"
if [ ! -s "$key_file" ]; then (umask 077 && head -c 32 /dev/urandom >"$key_file"); fi
printf -v qk '%q' "$key_file"
i=0
for c in "${codec_list[@]}"; do
  cfile="$out/$c.cairn"
  printf -v qi '%q' "$image"
  printf -v qo '%q' "$out"
  # Command lines as strings: they are shown to the user and run with bash -c.
  jobs=(
    "cairn-$c|rm -f $qo/$c.cairn && $(printf %q "$CAIRN") pack $qi -o $qo/$c.cairn $(cairn_args "$c")"
    "sq128-$c|mksquashfs $qi $qo/$c-128k.sqfs $(squash_args "$c") -noappend -no-progress -processors $nproc"
    "sq64-$c|mksquashfs $qi $qo/$c-64k.sqfs $(squash_args "$c") -b 65536 -noappend -no-progress -processors $nproc"
    "cairn-enc-$c|rm -f $qo/$c-enc.cairn && $(printf %q "$CAIRN") pack $qi -o $qo/$c-enc.cairn $(cairn_args "$c") --encrypt --key-file $qk"
  )
  for ((r = 0; r < repeat; r++)); do
    order=(0 3 1 2)
    if (((i + r) % 2)); then order=(2 1 3 0); fi
    for j in "${order[@]}"; do
      name="${jobs[j]%%|*}"
      say "  run $((r + 1))/$repeat: ${jobs[j]#*|}"
      timed "$name" bash -c "${jobs[j]#*|}"
    done
  done
  size[cairn-$c]=$(stat -c %s "$cfile")
  size[sq128-$c]=$(stat -c %s "$out/$c-128k.sqfs")
  size[sq64-$c]=$(stat -c %s "$out/$c-64k.sqfs")
  size[cairn-enc-$c]=$(stat -c %s "$out/$c-enc.cairn")
  if [ "$check" = 1 ]; then
    "$CAIRN" verify "$cfile" >"$work/verify-$c.log" 2>&1 || { cat "$work/verify-$c.log" >&2; die "cairn verify $cfile failed"; }
    got=$("$CAIRN" cat "$cfile" | sha256sum | cut -d' ' -f1)
    [ "$got" = "$image_sha" ] || die "cairn cat $cfile does not return the image's bytes"
    got=$("$CAIRN" cat "$out/$c-enc.cairn" --key-file "$key_file" | sha256sum | cut -d' ' -f1)
    [ "$got" = "$image_sha" ] || die "cairn cat $out/$c-enc.cairn does not return the image's bytes"
  fi
  [ "$keep" = 1 ] || rm -f "$cfile" "$out/$c-enc.cairn" "$out/$c-128k.sqfs" "$out/$c-64k.sqfs"
  i=$((i + 1))
done

# --- thin pack ------------------------------------------------------------------------------------
thin_json="null"
if [ "$thin" != 0 ]; then
  base_c="$work/base.cairn" new="$work/new.img" thin_c="$out/v2.cairn" delta="$out/v2.vcdiff"
  say "thin pack: $(basename "$new") = the image with 4 MiB rewritten in 16 places; base.cairn = cairn pack IMAGE (untimed)"
  "$CAIRN" pack "$image" -o "$base_c" >"$work/base.log" 2>&1 || { cat "$work/base.log" >&2; die "cairn pack $image -o $base_c failed"; }
  cp --reflink=auto "$image" "$new"
  # 16 pieces of 256 KiB of seeded random bytes at seeded, 4 KiB-aligned, non-overlapping offsets.
  python3 "$here/report.py" rewrite16 "$new" || die "rewriting $new failed"
  printf -v qn '%q' "$new"
  printf -v qb '%q' "$base_c"
  printf -v qi '%q' "$image"
  jobs=(
    "cairn-thin|rm -f $(printf %q "$thin_c") && $(printf %q "$CAIRN") pack $qn -o $(printf %q "$thin_c") --parent $qb"
    "xdelta3|xdelta3 -e -f -s $qi $qn $(printf %q "$delta")"
  )
  for ((r = 0; r < repeat; r++)); do
    order=(0 1)
    if ((r % 2)); then order=(1 0); fi
    for j in "${order[@]}"; do
      say "  run $((r + 1))/$repeat: ${jobs[j]#*|}"
      timed "${jobs[j]%%|*}" bash -c "${jobs[j]#*|}"
    done
  done
  if [ "$check" = 1 ]; then
    want=$(sha256sum "$new" | cut -d' ' -f1)
    [ "$("$CAIRN" cat "$thin_c" | sha256sum | cut -d' ' -f1)" = "$want" ] || die "cairn cat $thin_c does not return $new's bytes"
    [ "$(xdelta3 -d -c -s "$image" "$delta" | sha256sum | cut -d' ' -f1)" = "$want" ] || die "xdelta3 -d of $delta does not return $new's bytes"
  fi
  # bytes written, parent blocks, stored blocks (compressed + raw), all blocks of the primary stream
  read -r thin_bytes parent_blocks stored_blocks all_blocks < <("$CAIRN" info "$thin_c" --json |
    python3 "$here/report.py" thin-info) ||
    die "cairn info --json $thin_c failed"
  delta_bytes=$(stat -c %s "$delta")
  tt=$(median "$work/cairn-thin.times")
  tx=$(median "$work/xdelta3.times")
  [ "$keep" = 1 ] || rm -f "$thin_c" "$delta"
  read -r bratio tratio < <(awk -v a="$thin_bytes" -v b="$delta_bytes" -v x="$tt" -v y="$tx" 'BEGIN { printf "%.3f %.3f\n", a / b, x / y }')
  thin_json="{\"changed_bytes\":4194304,\"pieces\":16,\"cairn_bytes\":$thin_bytes,\"parent_blocks\":$parent_blocks,\"stored_blocks\":$stored_blocks,\"blocks\":$all_blocks,\"cairn_seconds\":$tt,\"xdelta3_bytes\":$delta_bytes,\"xdelta3_seconds\":$tx,\"bytes_ratio\":$bratio,\"seconds_ratio\":$tratio}"
fi

# --- report ---------------------------------------------------------------------------------------
table="$out/pack-results.txt"
json="$out/pack-results.json"
fail=0
rows_json=""
enc_json=""
{
  if [ ${#codec_list[@]} -gt 0 ]; then
    printf '%-25s %12s %12s %8s %4s %8s %8s %11s %10s %8s\n' \
      "row" "cairn bytes" "squashfs" "size c/s" "ok" "cairn s" "sqfs s" "cairn MiB/s" "sqfs MiB/s" "thr c/s"
  fi
  for c in "${codec_list[@]}"; do
    tc=$(median "$work/cairn-$c.times")
    for b in 128 64; do
      s="sq$b-$c"
      ts=$(median "$work/$s.times")
      read -r ratio ok mc ms thr < <(awk -v cb="${size[cairn-$c]}" -v sb="${size[$s]}" -v tc="$tc" -v ts="$ts" \
        -v n="$image_bytes" -v lim="$LIMIT" 'BEGIN {
          r = cb / sb; mc = n / 1048576 / tc; ms = n / 1048576 / ts
          printf "%.4f %s %.1f %.1f %.3f\n", r, (r <= lim ? "yes" : "NO"), mc, ms, mc / ms }')
      [ "$ok" = yes ] || fail=1
      label="$c vs squashfs -b ${b}K"
      printf '%-25s %12s %12s %8s %4s %8s %8s %11s %10s %8s\n' \
        "$label" "${size[cairn-$c]}" "${size[$s]}" "$ratio" "$ok" "$tc" "$ts" "$mc" "$ms" "$thr"
      rows_json+="${rows_json:+,}{\"codec\":\"$c\",\"squashfs_block\":$((b * 1024)),\"cairn_bytes\":${size[cairn-$c]},\"squashfs_bytes\":${size[$s]},\"size_ratio\":$ratio,\"size_ok\":$([ "$ok" = yes ] && echo true || echo false),\"cairn_seconds\":$tc,\"squashfs_seconds\":$ts,\"cairn_mib_s\":$mc,\"squashfs_mib_s\":$ms,\"throughput_ratio\":$thr}"
    done
  done
  if [ ${#codec_list[@]} -gt 0 ]; then
    echo
    echo "encrypted pack (--encrypt --key-file, AES-256-GCM) against plain, same codec"
    printf '%-25s %12s %12s %8s %8s %8s %4s\n' "" "plain bytes" "encrypted" "plain s" "enc s" "thr e/p" "ok"
    for c in "${codec_list[@]}"; do
      tc=$(median "$work/cairn-$c.times")
      te=$(median "$work/cairn-enc-$c.times")
      read -r er eok < <(awk -v p="$tc" -v e="$te" 'BEGIN { r = p / e; printf "%.3f %s\n", r, (r >= 0.80 ? "yes" : "NO") }')
      [ "$eok" = yes ] || fail=1
      printf '%-25s %12s %12s %8s %8s %8s %4s\n' "$c encrypted" "${size[cairn-$c]}" "${size[cairn-enc-$c]}" "$tc" "$te" "$er" "$eok"
      enc_json+="${enc_json:+,}{\"codec\":\"$c\",\"plain_bytes\":${size[cairn-$c]},\"encrypted_bytes\":${size[cairn-enc-$c]},\"plain_seconds\":$tc,\"encrypted_seconds\":$te,\"throughput_ratio\":$er,\"ok\":$([ "$eok" = yes ] && echo true || echo false)}"
    done
  fi
  if [ "$thin" != 0 ]; then
    [ ${#codec_list[@]} -eq 0 ] || echo
    echo "thin pack of the image with 4 MiB rewritten in 16 places (--parent base.cairn) against xdelta3 -e -s IMAGE"
    printf '%-25s %12s %12s %8s %8s %8s %8s\n' "" "cairn bytes" "xdelta3" "size c/x" "cairn s" "xdelta s" "time c/x"
    printf '%-25s %12s %12s %8s %8s %8s %8s\n' "thin pack" "$thin_bytes" "$delta_bytes" "$bratio" "$tt" "$tx" "$tratio"
    echo "cairn: $parent_blocks parent blocks referenced, $stored_blocks stored, of $all_blocks ($(awk -v b="$thin_bytes" 'BEGIN { printf "%.1f", b / 1048576 }') MiB written)"
  fi
} >"$table"
printf '{"bench":"pack","image":"%s","image_bytes":%s,"processors":%s,"caches":"%s","settle_seconds":%s,"cairn_startup_seconds":%s,"repeat":%s,"size_limit":%s,"pass":%s,"rows":[%s],"encrypted":[%s],"thin":%s}\n' \
  "$image" "$image_bytes" "$nproc" "$caches" "$settle" "$startup" "$repeat" "$LIMIT" "$([ "$fail" = 0 ] && echo true || echo false)" "$rows_json" "$enc_json" "$thin_json" >"$json"

say ""
if [ "$json_only" = 1 ]; then cat "$table" >&2; else cat "$table"; fi
[ ${#codec_list[@]} -eq 0 ] || say "(size c/s = cairn bytes / squashfs bytes, must be <= $LIMIT; thr c/s = cairn MiB/s / mksquashfs MiB/s, above 1 means cairn is faster)"
cat "$json"
[ "$fail" = 0 ] || { echo "$(basename "$0"): size ratio above $LIMIT, or encrypted throughput below 0.80 of plain, on some row" >&2; exit 3; }
