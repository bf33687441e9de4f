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
# shellcheck source=SCRIPTDIR/../lib.sh
. "$root/scripts/lib.sh"
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/lib.sh"

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

cmdline="scripts/bench/$(basename "$0")"
for a in "$@"; do cmdline+=" $(printf %q "$a")"; done

json_only=0 quick=0 size_mb="" runtime="" region_mb="" change_mb=100 repeat=1 codec=zstd
buffered=0 keep=0 check=1 image=""
while [ $# -gt 0 ]; do
  case "$1" in
    -h | --help) usage; exit 0 ;;
    --json) json_only=1 ;;
    --quick) quick=1 ;;
    --size | --runtime | --region | --change-mb | --repeat | --codec)
      need_arg "$@"
      case "$1" in
        --size) size_mb="$2" ;; --runtime) runtime="$2" ;; --region) region_mb="$2" ;;
        --change-mb) change_mb="$2" ;; --repeat) repeat="$2" ;; --codec) codec="$2" ;;
      esac
      shift ;;
    --size=* | --runtime=* | --region=* | --change-mb=* | --repeat=* | --codec=*)
      set -- "${1%%=*}" "${1#*=}" "${@:2}"; continue ;;
    --buffered) buffered=1 ;;
    --keep) keep=1 ;;
    --no-check) check=0 ;;
    -*) echo "$(basename "$0"): unknown option $1" >&2; usage >&2; exit 2 ;;
    *) [ -z "$image" ] || { usage >&2; exit 2; }; image="$1" ;;
  esac
  shift
done
[ -n "$size_mb" ] || { [ "$quick" = 1 ] && size_mb=256 || size_mb=1024; }
[ -n "$runtime" ] || { [ "$quick" = 1 ] && runtime=5 || runtime=20; }
[ -n "$region_mb" ] || { [ "$quick" = 1 ] && region_mb=64 || region_mb=256; }
if ! [[ "$size_mb" =~ ^[0-9]+$ ]] || [ "$size_mb" -lt 64 ]; then bad "--size needs an integer >= 64"; fi
[[ "$runtime" =~ ^[1-9][0-9]*$ ]] || bad "--runtime needs a positive integer"
[[ "$region_mb" =~ ^[1-9][0-9]*$ ]] || bad "--region needs a positive integer"
[[ "$change_mb" =~ ^[1-9][0-9]*$ ]] || bad "--change-mb needs a positive integer"
[[ "$repeat" =~ ^[1-9][0-9]*$ ]] || bad "--repeat needs a positive integer"
case "$codec" in zstd | lz4) ;; *) bad "--codec must be zstd or lz4" ;; esac

[ "$(id -u)" = 0 ] || die "run as root (mounting and dropping the page cache need it)"

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
  python3 - "$jf" <<'PY'
import json, sys
text = open(sys.argv[1]).read()
job = json.loads(text[text.index("{"):])["jobs"][0]
if job.get("error"):
    sys.exit(1)
print("%.0f" % job["write"]["iops"])
PY
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
if ws=$(python3 - "$rand" "$image_bytes" $((change * 1048576)) 262144 20260405 "$(file_of cairn)" "$exp_arg" \
  2>>"$logs/change.log" <<'PY'
import os, random, sys, time
rand, size, total, piece, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
targets = [t for t in sys.argv[6:] if t]
n = total // piece
slot = (size // n) // 4096 * 4096           # one piece per slot: scattered, never overlapping
assert slot >= piece, "image too small for the change set"
rng = random.Random(seed)
offs = [i * slot + rng.randrange(0, (slot - piece) // 4096 + 1) * 4096 for i in range(n)]
rng.shuffle(offs)                            # written in random order
data = open(rand, "rb").read(n * piece)
times = []
for t in targets:
    fd = os.open(t, os.O_WRONLY)
    t0 = time.monotonic()
    for i, off in enumerate(offs):
        os.pwrite(fd, data[i * piece:(i + 1) * piece], off)
    os.fsync(fd)
    times.append(time.monotonic() - t0)
    os.close(fd)
print("%.2f" % times[0])
PY
); then
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
set +e
python3 - "$logs" "$image" "$image_bytes" "$runtime" "$region" "$change" "$repeat" "$caches" "$fio_mode" \
  "$cmdline" "$codec" "$any_fail" <<'PY' >"$logs/report.out"
import json, os, statistics, sys

logs, image, image_bytes, runtime, region, change, repeat, caches, fio_mode, cmdline, codec, any_fail = sys.argv[1:]
image_bytes, region, change = int(image_bytes), int(region), int(change)
raw = {}
for line in open(os.path.join(logs, "results.tsv")):
    s, t, r, v = line.rstrip("\n").split("\t")
    raw.setdefault(s, {}).setdefault(t, []).append(v)

def med(s, t):
    vals = raw.get(s, {}).get(t)
    if not vals or "FAIL" in vals:
        return None
    return statistics.median(float(v) for v in vals)

rows = [("fio", "fio 4K randwrite, IOPS" + ("" if fio_mode == "direct" else " (buffered)"), "{:.0f}"),
        ("dd0", "dd 1M zeros, MiB/s", "{:.1f}"), ("ddr", "dd 1M random, MiB/s", "{:.1f}")]
res = {t: {"cairn": med("cairn", t), "qsd": med("qsd", t)} for t, _, _ in rows}
for t in res:
    c, q = res[t]["cairn"], res[t]["qsd"]
    res[t]["ratio"] = None if c is None or not q else c / q

def mib(b):
    return "-" if b is None else "%.1f MiB" % (b / 1048576)

targets = []
for t, label, _ in rows:
    v = res[t]["ratio"]
    targets.append({"target": "%s cairn/qsd >= 1.0" % label.split(",")[0], "value": v, "limit": 1.0,
                    "pass": v is not None and v >= 1.0})
cc = med("cairn", "change_commit_s")
targets.append({"target": "commit of a %d MiB change set < 10 s" % change, "value": cc, "limit": 10.0,
                "pass": cc is not None and cc < 10.0})

errors = [l.rstrip("\n") for l in open(os.path.join(logs, "errors.txt")) if l.strip()]
lines = [open(os.path.join(logs, "header.txt")).read().rstrip("\n")]
lines.append("page cache: %s (dropped before every test and commit); fio: %s; base: cairn %s, qcow2 zstd; "
             "medians over %s round(s)" % (caches, "O_DIRECT" if fio_mode == "direct" else
                                           "buffered, O_DIRECT refused or --buffered", codec, repeat))
lines.append("")
lines.append("%-28s %10s %10s %11s" % ("test (regions of %d MiB)" % region, "cairn", "qsd", "cairn/qsd"))
for t, label, f in rows:
    c, q, r = res[t]["cairn"], res[t]["qsd"], res[t]["ratio"]
    lines.append("%-28s %10s %10s %11s" % (label, "-" if c is None else f.format(c),
                                           "-" if q is None else f.format(q), "-" if r is None else "%.2f" % r))
lines.append("")
bc, bq = med("cairn", "base_bytes"), med("qsd", "base_bytes")
oc, oq = med("cairn", "overlay_bytes"), med("qsd", "overlay_bytes")
lines.append("bases: base.cairn %s, base.qcow2 %s (image %s)" % (mib(bc), mib(bq), mib(image_bytes)))
lines.append("overlays after the tests: cairn DIR %s, top.qcow2 %s" % (mib(oc), mib(oq)))
ct, cb = med("cairn", "commit_s"), med("cairn", "child_bytes")
lines.append("cairn commit of that overlay: %s s, child %s" % ("-" if ct is None else "%.2f" % ct, mib(cb)))
cw, cob, ccb = med("cairn", "change_write_mib_s"), med("cairn", "change_overlay_bytes"), med("cairn", "change_child_bytes")
lines.append("change set of %d MiB (256 KiB pieces, scattered): written at %s MiB/s, overlay %s; "
             "commit %s s, child %s" % (change, "-" if cw is None else "%.1f" % cw, mib(cob),
                                       "-" if cc is None else "%.2f" % cc, mib(ccb)))
lines.append("")
lines.append("targets (issue 5)")
for tg in targets:
    v = "-" if tg["value"] is None else "%.2f" % tg["value"]
    lines.append("  %-48s %8s  %s" % (tg["target"], v, "pass" if tg["pass"] else "MISSED"))
if errors:
    lines.append("")
    lines.append("problems:")
    lines.extend("  " + e for e in errors)

failed = any_fail == "1"
obj = {
    "bench": "write", "command": cmdline,
    "header": open(os.path.join(logs, "header.txt")).read().splitlines(),
    "image": image, "image_bytes": image_bytes, "region_mib": region, "fio_runtime_s": int(runtime),
    "fio_mode": fio_mode, "rounds": int(repeat), "caches": caches, "cairn_codec": codec,
    "results": {t: {k: (None if v is None else round(v, 3)) for k, v in d.items()} for t, d in res.items()},
    "raw": raw,
    "base_bytes": {"cairn": bc, "qcow2": bq}, "overlay_bytes": {"cairn": oc, "qcow2": oq},
    "commit": {"seconds": ct, "child_bytes": cb},
    "change_set": {"mib": change, "write_mib_s": cw, "overlay_bytes": cob, "commit_seconds": cc, "child_bytes": ccb},
    "targets": targets, "errors": errors,
    "pass": all(t["pass"] for t in targets) and not failed,
}
print("\n".join(lines))
print("@@JSON@@")
print(json.dumps(obj))
sys.exit(1 if failed else (0 if all(t["pass"] for t in targets) else 3))
PY
status=$?
set -e
split_report write
if [ "$json_only" = 1 ]; then cat "$table" >&2; cat "$json"; else cat "$table"; cat "$json"; fi
log "results: $table, $json; logs: $logs"
exit "$status"
