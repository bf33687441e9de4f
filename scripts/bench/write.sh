#!/usr/bin/env bash
# Write benchmark: writing through a Cairn overlay mount (`cairn mount base.cairn MNT --overlay DIR`)
# against qemu-storage-daemon's writable FUSE export of a qcow2 overlay on a zstd-compressed qcow2
# base of the same image, measured in one run so that the ratios (Cairn ÷ qsd) are comparable even
# on a noisy machine. Then: how long `cairn commit` takes for what was written, and for a 100 MiB
# change set written at scattered offsets.
#
# Setup (once): base.cairn = cairn pack IMAGE --codec zstd (default; --codec lz4 possible);
#   base.qcow2 = qemu-img convert -c -O qcow2 -o compression_type=zstd IMAGE.
# Every round starts from a fresh overlay on each side (a new DIR; a new
#   qemu-img create -f qcow2 -b base.qcow2 -F qcow2 top.qcow2), both mounted at once:
#   cairn mount base.cairn MNT --overlay DIR
#   qemu-storage-daemon --blockdev driver=file,…,filename=/abs/top.qcow2 --blockdev driver=qcow2,…
#     --export type=fuse,…,mountpoint=/abs/export.img,writable=on --daemonize --pidfile …
# Tests on the exported raw file (no filesystem inside), in disjoint regions of R MiB (R = --region,
# 256 by default, at most a third of the image), page cache dropped (sync; echo 3 >
# /proc/sys/vm/drop_caches) before each, the order of the two systems flipping from test to test
# and round to round:
#   fio     4 KiB random writes in [0, R): --direct=1 (O_DIRECT; if a mount refuses O_DIRECT both
#           run buffered, said in the output) --ioengine=psync --end_fsync=1 --numjobs=1
#           --time_based --runtime=S --refill_buffers (fresh, incompressible data in every write);
#           IOPS as fio reports them (its runtime includes the final fsync)
#   dd0     dd if=/dev/zero of=FILE bs=1M count=R seek=R conv=notrunc,fdatasync, MiB/s (wall)
#   ddr     the same from a file of random bytes in /dev/shm, seek=2R (zeros may be special-cased)
# Afterwards each side is unmounted, and `cairn commit DIR -o child.cairn` is timed (cold page
# cache, JVM start-up included, as a user runs it); sizes of DIR, top.qcow2 and the child.
# Change set: a fresh overlay, 100 MiB (--change-mb) of random bytes written in 256 KiB pieces at
# scattered, non-overlapping 4 KiB-aligned offsets through the mount, fsync, unmount, timed commit.
# Checks (unless --no-check): the random dd region reads back equal through both mounts; the
# child's bytes (`cairn cat`) equal what the mount showed before unmounting; the change-set child
# equals the image with the same writes applied to a plain copy.
#
# Targets (issue 5): fio IOPS and dd MiB/s Cairn/qsd >= 1.0; commit of the change set < 10 s.
# Exit: 0 all targets met, 3 a target missed, 1 a tool, mount or check failed, 2 usage.
set -euo pipefail

here="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)"
root="$(cd "$here/../.." && pwd)"
out="$here/out"
# shellcheck source=scripts/lib.sh
. "$root/scripts/lib.sh"

usage() {
  cat <<EOF
usage: $(basename "$0") [-h] [--quick] [--json] [--size MB] [--runtime S] [--region MB]
                [--change-mb MB] [--repeat N] [--codec zstd|lz4] [--buffered] [--keep]
                [--no-check] [IMAGE]
  Write to IMAGE through a Cairn overlay mount and through qemu-storage-daemon's writable FUSE
  export of a qcow2 overlay on a zstd qcow2 base, in one run: fio 4 KiB random writes (O_DIRECT,
  fsync at the end) and 1 MiB sequential dd (zeros and random bytes, conv=fdatasync); then time
  'cairn commit' of the overlay and of a 100 MiB change set written at scattered offsets.
  IMAGE defaults to testimages/build/rootfs.img (built by testimages/make-rootfs.sh when absent;
  with --size other than 1024, scripts/bench/out/rootfs-<MB>M.img). Outputs: scripts/bench/out/.
  --quick          smoke test: 256 MiB image, 5 s fio, 64 MiB regions
  --json           print one JSON object on stdout (the table goes to stderr)
  --size MB        size of the generated rootfs image (default 1024; --quick: 256)
  --runtime S      seconds of fio random writes (default 20; --quick: 5)
  --region MB      size of each test's region and of each dd (default 256, at most image/3)
  --change-mb MB   size of the change set whose commit is timed (default 100, at most image/2)
  --repeat N       N rounds, each on fresh overlays; medians reported (default 1)
  --codec C        codec of base.cairn: zstd (default, like the qcow2 base) or lz4
  --buffered       fio without O_DIRECT (buffered writes, --end_fsync=1) on both systems
  --keep           keep the work directory (snapshots, overlays, qcow2 files)
  --no-check       skip the read-back and sha256 checks
  CAIRN_NO_BUILD=1 in the environment runs the jar already built instead of rebuilding it.
Exit: 0 targets met, 3 a target missed, 1 a tool, mount or check failed, 2 usage. Needs root.
EOF
}

command_line "$@"
json_only=0 quick=0 size_mb="" runtime="" region_mb="" change_mb=100 repeat=1 codec=zstd
buffered=0 keep=0 check=1 image=""
value_opts=(--size=size_mb --runtime=runtime --region=region_mb --change-mb=change_mb --repeat=repeat --codec=codec)
flag_opts=("--json json_only=1" "--quick quick=1" "--buffered buffered=1" "--keep keep=1" "--no-check check=0")
parse_args "$@"
quick_default size_mb 256 1024
quick_default runtime 5 20
quick_default region_mb 64 256
need_size
need_positive --runtime "$runtime"
need_positive --region "$region_mb"
need_positive --change-mb "$change_mb"
need_positive --repeat "$repeat"
case "$codec" in zstd | lz4) ;; *) bad "--codec must be zstd or lz4" ;; esac

need_root "mounting and dropping the page cache need it"

ensure_packages qemu-utils qemu-system-common fio fuse libfuse2 python3
command -v qemu-storage-daemon >/dev/null || die "qemu-storage-daemon not found (Debian: qemu-system-common)"

# --- the image -------------------------------------------------------------------------------------
mkdir -p "$out"
pick_image
image_mib=$((image_bytes / 1048576))
name="$(basename "$image")"
region=$region_mb
[ "$region" -le $((image_mib / 3)) ] || region=$((image_mib / 3))
[ "$region" -ge 8 ] || bad "$image is too small: needs 3 regions of at least 8 MiB"
change=$change_mb
[ "$change" -le $((image_mib / 2)) ] || change=$((image_mib / 2))

# --- bookkeeping, clean-up -------------------------------------------------------------------------
work="$out/write-work"
logs="$out/write-logs"
mnt_c="$out/write-mnt/cairn"             # a directory; the image file appears inside it
mnt_q="$out/write-mnt/qsd/export.img"    # the qsd export's mount point is a regular file
rand="/dev/shm/cairn-write-bench.$$.rand"
cairn_pid="" qsd_pid=""

# Leftovers of an interrupted run (this script's own mount points only).
unmount_stale "$mnt_c" "$mnt_q"
rm -rf "$work" "$logs"
mkdir -p "$work" "$logs" "$mnt_c" "$(dirname "$mnt_q")"
: >"$logs/results.tsv"
: >"$logs/errors.txt"

# A private copy of the jar (see private_jar in lib.sh), in the work directory.
private_jar "$work"

umount_cairn() { # unmount the cairn mount and wait for its serving process
  local rc=0
  cairn_unmount "$mnt_c" "$cairn_pid" cairn || rc=1
  cairn_pid=""
  return $rc
}
stop_qsd() {
  local rc=0
  if [ -n "$qsd_pid" ] && alive "$qsd_pid"; then
    kill -TERM "$qsd_pid" 2>/dev/null || true
    if ! wait_gone "$qsd_pid" 60; then
      echo "qemu-storage-daemon $qsd_pid still alive 60 s after SIGTERM; killed" >>"$logs/errors.txt"
      kill -KILL "$qsd_pid" 2>/dev/null || true
      rc=1
    fi
  fi
  if is_mounted "$mnt_q"; then umount -l "$mnt_q" 2>/dev/null || true; fi
  qsd_pid=""
  return $rc
}
# shellcheck disable=SC2317  # invoked by the trap
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  umount_cairn || true
  stop_qsd || true
  rm -f "$rand"
  if [ "$keep" = 0 ]; then rm -rf "$work"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT TERM

warm_note="runs start warm"

# --- header ----------------------------------------------------------------------------------------
fio_mode=direct
[ "$buffered" = 0 ] || fio_mode=buffered
{
  echo "command: $cmdline"
  commit_line
  echo "image: $image ($image_bytes bytes); regions ${region} MiB; fio ${runtime}s; change set ${change} MiB; rounds $repeat; $(nproc) cores; kernel $(uname -r)"
  echo "$(cairn --version 2>/dev/null | head -1); $(qemu-storage-daemon --version | head -1); $(fio --version)"
} >"$logs/header.txt"
cat "$logs/header.txt" >&2

# --- bases -----------------------------------------------------------------------------------------
base_c="$work/base.cairn"
base_q="$work/base.qcow2"
log "packing: cairn pack $image -o $base_c --codec $codec"
t0=$(now)
run pack cairn pack "$image" -o "$base_c" --codec "$codec" || { cat "$logs/pack.log" >&2; die "cairn pack failed"; }
log "  $(secs "$t0" "$(now)") s"
log "packing: qemu-img convert -c -O qcow2 -o compression_type=zstd $image $base_q"
t0=$(now)
run pack qemu-img convert -c -O qcow2 -o compression_type=zstd "$image" "$base_q" || { cat "$logs/pack.log" >&2; die "qemu-img convert failed"; }
log "  $(secs "$t0" "$(now)") s"
rand_mib=$region
[ "$rand_mib" -ge "$change" ] || rand_mib=$change
head -c $((rand_mib * 1048576)) /dev/urandom >"$rand"

# --- mounting --------------------------------------------------------------------------------------
mount_cairn() { # OVERLAY_DIR
  run mount timeout --foreground 180 "${cairn_cmd[@]}" mount "$base_c" "$mnt_c" --overlay "$1" || return 1
  cairn_pid=$(cairn_stats_pid "$mnt_c") || cairn_pid=""
  [ -n "$cairn_pid" ] || problem "serving pid not found in $mnt_c/.cairn/stats.json"
}
start_qsd() { # TOP_QCOW2
  : >"$mnt_q"
  rm -f "$work/qsd.pid"
  run qsd timeout --foreground 180 qemu-storage-daemon \
    --blockdev "driver=file,node-name=file0,filename=$1" \
    --blockdev driver=qcow2,node-name=qcow0,file=file0 \
    --export "type=fuse,id=exp0,node-name=qcow0,mountpoint=$mnt_q,writable=on" \
    --daemonize --pidfile "$work/qsd.pid" || return 1
  qsd_pid=$(cat "$work/qsd.pid" 2>/dev/null) || qsd_pid=""
  is_mounted "$mnt_q" || return 1
}
file_of() { case "$1" in cairn) echo "$mnt_c/$name" ;; qsd) echo "$mnt_q" ;; esac; }

# One fio run; prints IOPS, or fails.
fio_run() { # SYSTEM ROUND
  local f jf="$logs/fio-$1-$2.json" direct=1
  f="$(file_of "$1")"
  [ "$fio_mode" = direct ] || direct=0
  echo "+ fio … --filename=$f --direct=$direct" >>"$logs/fio.log"
  timeout --foreground $((runtime * 4 + 300)) fio --name=randwrite --filename="$f" --rw=randwrite --bs=4k \
    --direct="$direct" --ioengine=psync --end_fsync=1 --offset=0 --size="${region}M" \
    --time_based --runtime="$runtime" --numjobs=1 --refill_buffers --randseed=20260405 \
    --output-format=json --output="$jf" >>"$logs/fio.log" 2>&1 || return 1
  python3 "$here/report.py" fio-iops "$jf" write
}
# One dd run; prints MiB/s (wall time of dd, which includes its fdatasync).
dd_run() { # SYSTEM SOURCE SEEK_MIB
  local f t0 t1
  f="$(file_of "$1")"
  echo "+ dd if=$2 of=$f bs=1M count=$region seek=$3 conv=notrunc,fdatasync" >>"$logs/dd.log"
  t0=$(now)
  timeout --foreground 1800 dd if="$2" of="$f" bs=1M count="$region" seek="$3" conv=notrunc,fdatasync status=none \
    2>>"$logs/dd.log" || return 1
  t1=$(now)
  awk -v a="$t0" -v b="$t1" -v n="$region" 'BEGIN { printf "%.1f", n / (b - a) }'
}
# Does the file accept O_DIRECT? (a 4 KiB read with iflag=direct; the open is what FUSE may refuse)
direct_ok() { dd if="$1" of=/dev/null bs=4096 count=1 iflag=direct status=none 2>>"$logs/direct-probe.log"; }
# Do bytes [OFF_MIB, OFF_MIB + region) of FILE equal the random file's first region MiB?
region_equal() { # FILE OFF_MIB
  cmp -s -n $((region * 1048576)) <(dd if="$1" bs=1M skip="$2" count="$region" status=none) "$rand"
}

# --- rounds ----------------------------------------------------------------------------------------
any_fail=0
declare -a tests=(fio dd0 ddr)
for ((r = 1; r <= repeat; r++)); do
  ov="$work/overlay-$r"
  top="$work/top-$r.qcow2"
  log "round $r/$repeat: fresh overlays $ov, $top"
  run qsd qemu-img create -f qcow2 -b "$base_q" -F qcow2 "$top" || die "qemu-img create failed (see $logs/qsd.log)"
  drop_caches
  mount_cairn "$ov" || { tail -5 "$logs/mount.log" >&2; die "cairn mount --overlay failed (see $logs/mount.log)"; }
  start_qsd "$top" || { tail -5 "$logs/qsd.log" >&2; die "qemu-storage-daemon export failed (see $logs/qsd.log)"; }
  if [ "$r" = 1 ] && [ "$fio_mode" = direct ]; then
    for s in cairn qsd; do
      if ! direct_ok "$(file_of "$s")"; then
        problem "$s: the FUSE file refuses O_DIRECT ($(tail -1 "$logs/direct-probe.log")); fio runs buffered with --end_fsync=1 on both systems"
        fio_mode=buffered
      fi
    done
  fi
  ti=0
  for t in "${tests[@]}"; do
    order=(cairn qsd)
    if (((r - 1 + ti) % 2)); then order=(qsd cairn); fi
    for s in "${order[@]}"; do
      drop_caches
      case "$t" in
        fio) v=$(fio_run "$s" "$r") || { v=FAIL; problem "$s: fio failed in round $r (see $logs/fio.log, $logs/fio-$s-$r.json)"; } ;;
        dd0) v=$(dd_run "$s" /dev/zero "$region") || { v=FAIL; problem "$s: dd from /dev/zero failed in round $r (see $logs/dd.log)"; } ;;
        ddr) v=$(dd_run "$s" "$rand" $((2 * region))) || { v=FAIL; problem "$s: dd of random bytes failed in round $r (see $logs/dd.log)"; } ;;
      esac
      [ "$v" != FAIL ] || any_fail=1
      record "$s" "$t" "$r" "$v"
      log "  round $r $t $s: $v"
    done
    ti=$((ti + 1))
  done
  if [ "$check" = 1 ]; then
    for s in cairn qsd; do
      region_equal "$(file_of "$s")" $((2 * region)) || { problem "$s: the random dd region does not read back equal (round $r)"; any_fail=1; }
    done
    sha_mounted=$(sha256sum "$(file_of cairn)" | cut -d' ' -f1) || sha_mounted="(read failed)"
  fi
  umount_cairn || { problem "cairn: unmount after round $r was not clean"; any_fail=1; }
  stop_qsd || { problem "qsd: stop after round $r was not clean"; any_fail=1; }
  record cairn overlay_bytes "$r" "$(du -sb "$ov" | cut -f1)"
  record qsd overlay_bytes "$r" "$(stat -c %s "$top")"

  child="$work/child-$r.cairn"
  drop_caches
  log "  cairn commit $ov -o $child"
  t0=$(now)
  if run commit cairn commit "$ov" -o "$child"; then
    t1=$(now)
    record cairn commit_s "$r" "$(secs "$t0" "$t1")"
    record cairn child_bytes "$r" "$(stat -c %s "$child")"
    log "  commit: $(secs "$t0" "$t1") s, $(stat -c %s "$child") bytes"
    if [ "$check" = 1 ]; then
      got=$(cairn cat "$child" 2>>"$logs/check.log" | sha256sum | cut -d' ' -f1)
      [ "$got" = "$sha_mounted" ] || { problem "cairn: child-$r.cairn's bytes (sha256 $got) differ from what the mount showed before unmounting ($sha_mounted)"; any_fail=1; }
    fi
  else
    record cairn commit_s "$r" FAIL
    problem "cairn commit $ov failed: $(tail -2 "$logs/commit.log" | tr '\n' ' ')"
    any_fail=1
  fi
  [ "$keep" = 1 ] || rm -rf "$ov" "$top" "$child"
done

# --- commit of a change set ------------------------------------------------------------------------
ov="$work/overlay-change"
child="$work/child-change.cairn"
expected="$work/expected.img"
log "change set: ${change} MiB in 256 KiB pieces at scattered offsets through a fresh overlay"
if [ "$check" = 1 ]; then cp --reflink=auto "$image" "$expected"; fi
drop_caches
mount_cairn "$ov" || { tail -5 "$logs/mount.log" >&2; die "cairn mount --overlay failed (see $logs/mount.log)"; }
# Writes the pieces into each file given (the mount first, timed; then the plain copy), fsyncs.
exp_arg=""
[ "$check" = 0 ] || exp_arg="$expected"
if ws=$(python3 "$here/report.py" change-set "$rand" "$image_bytes" $((change * 1048576)) 262144 20260405 \
  "$(file_of cairn)" "$exp_arg" 2>>"$logs/change.log"); then
  record cairn change_write_mib_s 0 "$(awk -v s="$ws" -v n="$change" 'BEGIN { printf "%.1f", n / s }')"
else
  problem "cairn: writing the change set through the overlay failed (see $logs/change.log)"
  any_fail=1
fi
umount_cairn || { problem "cairn: unmount after the change set was not clean"; any_fail=1; }
record cairn change_overlay_bytes 0 "$(du -sb "$ov" | cut -f1)"
drop_caches
log "  cairn commit $ov -o $child"
t0=$(now)
if run commit cairn commit "$ov" -o "$child"; then
  t1=$(now)
  record cairn change_commit_s 0 "$(secs "$t0" "$t1")"
  record cairn change_child_bytes 0 "$(stat -c %s "$child")"
  log "  commit: $(secs "$t0" "$t1") s, $(stat -c %s "$child") bytes"
  if [ "$check" = 1 ]; then
    want=$(sha256sum "$expected" | cut -d' ' -f1)
    got=$(cairn cat "$child" 2>>"$logs/check.log" | sha256sum | cut -d' ' -f1)
    [ "$got" = "$want" ] || { problem "cairn: child-change.cairn's bytes (sha256 $got) differ from the image with the same writes applied ($want)"; any_fail=1; }
  fi
else
  record cairn change_commit_s 0 FAIL
  problem "cairn commit $ov failed: $(tail -2 "$logs/commit.log" | tr '\n' ' ')"
  any_fail=1
fi
record cairn base_bytes 0 "$(stat -c %s "$base_c")"
record qsd base_bytes 0 "$(stat -c %s "$base_q")"
[ "$keep" = 1 ] || rm -f "$expected"

# --- report ----------------------------------------------------------------------------------------
report write "$image" "$image_bytes" "$runtime" "$region" "$change" "$repeat" "$caches" "$fio_mode" \
  "$cmdline" "$codec" "$any_fail"
if [ "$json_only" = 1 ]; then cat "$table" >&2; cat "$json"; else cat "$table"; cat "$json"; fi
log "results: $table, $json; logs: $logs"
exit "$status"
