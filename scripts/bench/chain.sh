#!/usr/bin/env bash
# Chain benchmark: cold sequential reads through a mount of the top of a chain of thin snapshots
# against a mount of the same bytes packed standalone ("flat"), measured in one run.
#
# Build: v0.cairn = cairn pack v0.img (a copy of IMAGE); for n = 1..DEPTH (10): the working copy is
# renamed vn.img, a few MiB (--change-mb, default 4) of random bytes are written at random 4 KiB-
# aligned offsets in pieces of 4-256 KiB, and `cairn pack vn.img -o vn.cairn --parent v(n-1).cairn`
# writes a thin snapshot. flat.cairn = cairn pack vDEPTH.img (standalone). Both mounts show the
# same file name (vDEPTH.img). Same codec for every pack (--codec, default cairn's own).
# Measure: --repeat (3) rounds; in each, flat and chain in turn (the order flips every round), each
# on a fresh mount (`cairn mount SNAP MNT`) with the page cache dropped before the mount and again
# before `dd if=MNT/vDEPTH.img of=/dev/null bs=1M`; MiB/s, medians, ratio chain ÷ flat.
# Checks (unless --no-check): the sha256 of the file in both mounts equals vDEPTH.img's; with
# --check-all also `cairn cat vK.cairn` for every K < DEPTH against vK.img as it was packed.
#
# Target (issue 5): chain/flat >= 0.8.
# Exit: 0 target met, 3 target missed, 1 a tool, mount or check failed, 2 usage.
set -euo pipefail

here="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)"
root="$(cd "$here/../.." && pwd)"
out="$here/out"
# shellcheck source=scripts/lib.sh
. "$root/scripts/lib.sh"
LIMIT=0.8

usage() {
  cat <<EOF
usage: $(basename "$0") [-h] [--quick] [--json] [--size MB] [--depth N] [--change-mb MB]
                [--repeat N] [--codec lz4|zstd] [--cache-size SIZE] [--keep] [--reuse]
                [--no-check] [--check-all] [IMAGE]
  Build a chain of DEPTH thin snapshots of IMAGE (each version a copy with a few MiB changed at
  random offsets, packed with 'cairn pack vN.img -o vN.cairn --parent v(N-1).cairn'), then
  compare cold sequential reads (dd bs=1M) through a mount of the chain's top and through a
  mount of the same image packed standalone, alternating, in one run.
  IMAGE defaults to testimages/build/rootfs.img (built by testimages/make-rootfs.sh when absent;
  with --size other than 1024, scripts/bench/out/rootfs-<MB>M.img). Outputs: scripts/bench/out/.
  --quick          smoke test: 256 MiB image, 2 MiB changed per version, 1 round
  --json           print one JSON object on stdout (the table goes to stderr)
  --size MB        size of the generated rootfs image (default 1024; --quick: 256)
  --depth N        number of thin snapshots on top of v0 (default 10)
  --change-mb MB   MiB of random bytes written into each new version (default 4; --quick: 2)
  --repeat N       rounds of (flat, chain) reads, order flipped each round (default 3; --quick: 1)
  --codec C        codec for every pack (default: cairn pack's own)
  --cache-size S   passed to cairn mount --cache-size (default: cairn's own)
  --keep           keep the chain in scripts/bench/out/chain-work/ (default: delete at the end)
  --reuse          reuse a chain kept by an earlier --keep run with the same parameters, image
                   and jar
  --no-check       skip the sha256 checks
  --check-all      also check every intermediate version with cairn cat
  CAIRN_NO_BUILD=1 in the environment runs the jar already built instead of rebuilding it.
Exit: 0 target met, 3 target missed, 1 a tool, mount or check failed, 2 usage. Needs root.
EOF
}

command_line "$@"
json_only=0 quick=0 size_mb="" depth=10 change_mb="" repeat="" codec="" cache_size=""
keep=0 reuse=0 check=1 check_all=0 image=""
value_opts=(--size=size_mb --depth=depth --change-mb=change_mb --repeat=repeat --codec=codec --cache-size=cache_size)
flag_opts=("--json json_only=1" "--quick quick=1" "--keep keep=1" "--reuse reuse=1 keep=1" "--no-check check=0"
  "--check-all check_all=1")
parse_args "$@"
quick_default size_mb 256 1024
quick_default change_mb 2 4
quick_default repeat 1 3
need_size
need_positive --depth "$depth"
need_positive --change-mb "$change_mb"
need_positive --repeat "$repeat"
case "$codec" in "" | lz4 | zstd | none) ;; *) bad "--codec must be lz4, zstd or none" ;; esac
[ -z "$cache_size" ] || [[ "$cache_size" =~ ^[0-9]+[KMGkmg]?$ ]] || bad "--cache-size: e.g. 256M"
[ "$check_all" = 0 ] || [ "$check" = 1 ] || bad "--check-all and --no-check contradict each other"

need_root "mounting and dropping the page cache need it"
ensure_packages fuse libfuse2 python3

# --- the image -------------------------------------------------------------------------------------
mkdir -p "$out"
pick_image
[ "$image_bytes" -gt $((change_mb * 1048576 * 4)) ] || bad "$image is too small for --change-mb $change_mb"

# --- bookkeeping, clean-up -------------------------------------------------------------------------
work="$out/chain-work"
logs="$out/chain-logs"
mnt_root="$out/chain-mnt"
top="v$depth.img"
active="" active_pid=""

unmount_stale "$mnt_root/flat" "$mnt_root/chain"
rm -rf "$logs"
mkdir -p "$work" "$logs" "$mnt_root/flat" "$mnt_root/chain"
: >"$logs/results.tsv"
: >"$logs/errors.txt"

# A private copy of the jar (see private_jar in lib.sh), kept with the logs.
private_jar "$logs"
jar_sum=$(sha256sum "$jar" | cut -d' ' -f1)

umount_active() {
  local rc=0
  [ -n "$active" ] || return 0
  cairn_unmount "$mnt_root/$active" "$active_pid" "$active:" || rc=1
  active="" active_pid=""
  return $rc
}
# shellcheck disable=SC2317  # invoked by the trap
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  umount_active || true
  if [ "$keep" = 0 ]; then rm -rf "$work"; fi
  rm -f "$logs/cairn.jar" "$logs/cairn-client.jar"
  exit "$rc"
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT TERM

warm_note="reads are warm"

{
  echo "command: $cmdline"
  commit_line
  echo "image: $image ($image_bytes bytes); depth $depth; ${change_mb} MiB changed per version; rounds $repeat; $(nproc) cores; kernel $(uname -r)"
  echo "$(cairn --version 2>/dev/null | head -1); codec ${codec:-cairn default}; cache ${cache_size:-cairn default}"
} >"$logs/header.txt"
cat "$logs/header.txt" >&2

# --- the chain -------------------------------------------------------------------------------------
codec_args=()
[ -z "$codec" ] || codec_args=(--codec "$codec")
stamp="$image $(stat -c '%s %Y' "$image") depth=$depth change=$change_mb codec=$codec jar=$jar_sum"
built=0
if [ "$reuse" = 1 ] && [ "$(cat "$work/stamp" 2>/dev/null)" = "$stamp" ] && [ -f "$work/$top" ] && [ -f "$work/flat.cairn" ]; then
  log "reusing the chain in $work"
  built=1
fi
if [ "$built" = 0 ]; then
  rm -rf "$work"
  mkdir -p "$work"
  log "copying $image to $work/v0.img"
  cp --reflink=auto "$image" "$work/v0.img"
  t0=$(now)
  log "cairn pack $work/v0.img -o $work/v0.cairn${codec:+ --codec $codec}"
  run pack cairn pack "$work/v0.img" -o "$work/v0.cairn" "${codec_args[@]}" || { tail -3 "$logs/pack.log" >&2; die "cairn pack v0 failed"; }
  [ "$check_all" = 0 ] || sha256sum "$work/v0.img" | cut -d' ' -f1 >"$work/v0.sha256"
  for ((n = 1; n <= depth; n++)); do
    p=$((n - 1))
    mv "$work/v$p.img" "$work/v$n.img"
    # A few MiB of random bytes in pieces of 4-256 KiB at random 4 KiB-aligned offsets (seed n).
    python3 "$here/report.py" scatter "$work/v$n.img" $((change_mb * 1048576)) "$n" || die "changing v$n.img failed"
    log "cairn pack $work/v$n.img -o $work/v$n.cairn --parent $work/v$p.cairn${codec:+ --codec $codec}"
    t1=$(now)
    run pack cairn pack "$work/v$n.img" -o "$work/v$n.cairn" --parent "$work/v$p.cairn" "${codec_args[@]}" ||
      { tail -3 "$logs/pack.log" >&2; die "cairn pack v$n --parent v$p failed"; }
    log "  $(secs "$t1" "$(now)") s, $(stat -c %s "$work/v$n.cairn") bytes"
    [ "$check_all" = 0 ] || sha256sum "$work/v$n.img" | cut -d' ' -f1 >"$work/v$n.sha256"
  done
  log "cairn pack $work/$top -o $work/flat.cairn${codec:+ --codec $codec}"
  run pack cairn pack "$work/$top" -o "$work/flat.cairn" "${codec_args[@]}" || { tail -3 "$logs/pack.log" >&2; die "cairn pack flat failed"; }
  log "  chain and flat built in $(secs "$t0" "$(now)") s"
  echo "$stamp" >"$work/stamp"
fi
run info cairn info "$work/v$depth.cairn" || problem "cairn info v$depth.cairn failed (see $logs/info.log)"
for ((n = 0; n <= depth; n++)); do record "v$n" bytes 0 "$(stat -c %s "$work/v$n.cairn")"; done
record flat bytes 0 "$(stat -c %s "$work/flat.cairn")"

# --- reads -----------------------------------------------------------------------------------------
snap_of() { case "$1" in flat) echo "$work/flat.cairn" ;; chain) echo "$work/v$depth.cairn" ;; esac; }
mount_one() { # flat|chain
  active="$1" active_pid=""
  run mount timeout --foreground 180 "${cairn_cmd[@]}" mount "$(snap_of "$1")" "$mnt_root/$1" ${cache_size:+--cache-size "$cache_size"} || return 1
  active_pid=$(cairn_stats_pid "$mnt_root/$1") || active_pid=""
  [ -n "$active_pid" ] || problem "$1: serving pid not found in .cairn/stats.json"
}
any_fail=0
for ((r = 1; r <= repeat; r++)); do
  order=(flat chain)
  if (((r - 1) % 2)); then order=(chain flat); fi
  for s in "${order[@]}"; do
    drop_caches
    if ! mount_one "$s"; then
      problem "$s: cairn mount $(snap_of "$s") failed: $(tail -2 "$logs/mount.log" | tr '\n' ' ')"
      umount_active || true
      record "$s" seq_mib_s "$r" FAIL; any_fail=1; continue
    fi
    drop_caches
    echo "+ dd if=$mnt_root/$s/$top of=/dev/null bs=1M" >>"$logs/dd.log"
    t0=$(now)
    if timeout --foreground 1800 dd if="$mnt_root/$s/$top" of=/dev/null bs=1M status=none 2>>"$logs/dd.log"; then
      t1=$(now)
      v=$(awk -v a="$t0" -v b="$t1" -v n="$image_bytes" 'BEGIN { printf "%.1f", n / 1048576 / (b - a) }')
      record "$s" seq_mib_s "$r" "$v"
      log "round $r/$repeat $s: $v MiB/s"
    else
      record "$s" seq_mib_s "$r" FAIL; any_fail=1
      problem "$s: dd of $mnt_root/$s/$top failed or timed out: $(tail -2 "$logs/dd.log" | tr '\n' ' ')"
    fi
    umount_active || { problem "$s: unmount was not clean"; any_fail=1; }
  done
done

# --- checks ----------------------------------------------------------------------------------------
if [ "$check" = 1 ]; then
  want=$(sha256sum "$work/$top" | cut -d' ' -f1)
  for s in chain flat; do
    if mount_one "$s"; then
      got=$(timeout --foreground 1800 sha256sum "$mnt_root/$s/$top" 2>>"$logs/check.log" | cut -d' ' -f1) || got="(read failed)"
      if [ "$got" = "$want" ]; then record "$s" sha256_ok 0 yes
      else record "$s" sha256_ok 0 NO; any_fail=1; problem "$s: sha256 of the mounted $top is $got, $top's is $want"; fi
    else
      record "$s" sha256_ok 0 NO; any_fail=1; problem "$s: could not mount for the check"
    fi
    umount_active || true
  done
  if [ "$check_all" = 1 ]; then
    for ((n = 0; n < depth; n++)); do
      if [ ! -f "$work/v$n.sha256" ]; then problem "v$n: no recorded sha256 (a reused chain built without --check-all)"; any_fail=1; continue; fi
      got=$(cairn cat "$work/v$n.cairn" 2>>"$logs/check.log" | sha256sum | cut -d' ' -f1)
      if [ "$got" = "$(cat "$work/v$n.sha256")" ]; then record "v$n" sha256_ok 0 yes
      else record "v$n" sha256_ok 0 NO; any_fail=1; problem "v$n: cairn cat v$n.cairn gives sha256 $got, v$n.img had $(cat "$work/v$n.sha256")"; fi
    done
  fi
fi

# --- report ----------------------------------------------------------------------------------------
report chain "$image" "$image_bytes" "$depth" "$change_mb" "$repeat" "$caches" \
  "$cmdline" "$LIMIT" "$any_fail"
if [ "$json_only" = 1 ]; then cat "$table" >&2; cat "$json"; else cat "$table"; cat "$json"; fi
log "results: $table, $json; logs: $logs"
exit "$status"
