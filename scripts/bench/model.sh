#!/usr/bin/env bash
# Model-load benchmark (issue 15): numpy memory-maps a large .npy (np.load(mmap_mode="r")) and sums
# it, the way a serving process touches its weights on start-up, with the file read through each
# system, all in one run so that the ratios hold on a noisy machine.
#
# The .npy (scripts/bench/out/model-<MB>M.npy, made once and kept): float16 weights in 2-D "layers"
# of 32 MiB, each N(0, sigma) with sigma drawn per layer from [0.005, 0.05], from numpy's PCG64
# seeded with a fixed number: the same bytes on every run with the same numpy. Like trained
# weights, it is neither zeros nor noise: the exponent bits repeat, the mantissas do not, and
# zstd -3 keeps about 92 % of it (the packed sizes are in the table's header).
#
# Systems (served by one nginx on 127.0.0.1; with --delay MS through scripts/bench/delayproxy.py,
# which adds MS to every request):
#   local           the .npy, a local file (the baseline every ratio is against)
#   qsd-qcow2-zstd  qemu-storage-daemon, curl block driver under qcow2, FUSE export (as remote.sh):
#                   model.qcow2 is qemu-img convert -c -O qcow2 -o compression_type=zstd of the .npy
#                   taken as a raw disk, so the export is the .npy's bytes (padded to 512). Cold:
#                   it keeps nothing between mounts.
#   squashfuse-http squashfuse on sqfs/model.sqfs (mksquashfs -comp zstd) inside an httpdirfs mount
#                   (its defaults: no disk cache, one request per FUSE read; --no-range-check as in
#                   remote.sh). Always cold: both mounts keep nothing on disk. It reads at about
#                   1.3 MiB/s (some 13 minutes for 1 GiB), so it runs only when --systems names it.
#   squashfuse-http-cache  the same with httpdirfs --cache (8 MiB segments kept on disk, the
#                   counterpart of Cairn's chunk cache) in a fresh, empty --cache-location: cold.
#                   No warm row and no profile (squashfs has none).
#   cairn-cold      cairn mount URL with a fresh cache and --profile none
#   cairn-profile   the same with a fresh cache and the profile an earlier (untimed) load recorded
#                   (--record-profile), published next to the snapshot as model.cairn.profile
#   cairn-warm      a second load on the cache cairn-profile left: should fetch nothing
# URL is http://…/model.cairn (cairn pack --codec zstd), or with --via s3
# s3://cairn-bench/model.cairn on an S3Proxy started by this script behind the same nginx and delay
# proxy (fleet_server_start in scripts/lib.sh; only the cairn systems change).
# Every run: the page cache dropped, a fresh mount. Reported per system (medians of --repeat):
#   load s     from starting the mount (local: the python process) to the sum printed
#   sum s      numpy's own np.load + sum, inside that
#   fetched    bytes nginx sent of model.{cairn,qcow2,sqfs} during the mount's whole life (headers
#              included; HEADs, one-byte probes and the profile file not counted), and their ratio
#              to the .npy's size
# Check: every sum equals the local file's (a different sum is a failure).
# Target: cairn-warm fetches 0 bytes.
# Exit: 0 every load worked and the target was met, 3 the target missed, 1 a load or tool failed,
# 2 usage. Needs root.
set -euo pipefail

here="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)"
root="$(cd "$here/../.." && pwd)"
out="$here/out"
# shellcheck source=scripts/lib.sh
. "$root/scripts/lib.sh"

ALL_SYSTEMS="local,qsd-qcow2-zstd,squashfuse-http,squashfuse-http-cache,cairn-cold,cairn-profile,cairn-warm"
DEFAULT_SYSTEMS="local,qsd-qcow2-zstd,squashfuse-http-cache,cairn-cold,cairn-profile,cairn-warm"
SEED=20261207

usage() {
  cat <<EOF
usage: $(basename "$0") [-h] [--quick] [--json] [--size MB] [--delay MS] [--via http|s3]
       [--repeat N] [--systems LIST] [--timeout S]
  Sum a large .npy with numpy (mmap_mode="r") read through each system and time it, cold.
  --quick          smoke test: a 128 MiB .npy (unless --size), one repeat
  --size MB        size of the .npy's data (default 1024; at least 64, a multiple of 32)
  --delay MS       put the remote systems behind a proxy adding MS ms per request (default 0)
  --via http|s3    where the cairn systems read the snapshot: nginx over HTTP (default), or
                   s3://cairn-bench/model.cairn from an S3Proxy this script starts
  --repeat N       load through each system N times, report the median (default 1)
  --systems LIST   comma-separated subset of
                   $ALL_SYSTEMS
                   (default: all but squashfuse-http, which reads at about 1.3 MiB/s)
  --timeout S      give up on a load after S seconds (default 900)
  --json           print one JSON object on stdout (the table goes to stderr)
Outputs: scripts/bench/out/model-results.{txt,json}, logs in scripts/bench/out/model-logs/.
Exit: 0 target met, 3 target missed, 1 a load or tool failed, 2 usage. Needs root.
EOF
}

command_line "$@"
json_only=0 quick=0 size_mb="" delay=0 repeat=1 systems="$DEFAULT_SYSTEMS" timeout_s=900 image="" via=http
value_opts=(--size=size_mb --delay=delay --via=via --repeat=repeat --systems=systems --timeout=timeout_s)
flag_opts=("--json json_only=1" "--quick quick=1")
parse_args "$@"
[ -z "$image" ] || bad "no positional argument: the .npy is generated (--size)"
quick_default size_mb 128 1024
need_size
[ $((size_mb % 32)) = 0 ] || bad "--size needs a multiple of 32 (the .npy is made of 32 MiB layers)"
[[ "$delay" =~ ^[0-9]+$ ]] || bad "--delay needs milliseconds"
[ "$via" = http ] || [ "$via" = s3 ] || bad "--via needs http or s3"
need_positive --repeat "$repeat"
need_positive --timeout "$timeout_s"
IFS=, read -r -a sys_list <<<"$systems"
[ ${#sys_list[@]} -gt 0 ] || bad "nothing to run"
for s in "${sys_list[@]}"; do [[ ",$ALL_SYSTEMS," == *",$s,"* ]] || bad "unknown system $s"; done
exec 3>&2
log_fd=3
need_root "mounting, dropping the page cache and nginx need it"
ensure_packages nginx qemu-utils qemu-system-common qemu-block-extra squashfs-tools squashfuse \
  httpdirfs curl fuse libfuse2 python3-numpy
command -v python3 >/dev/null 2>&1 || ensure_packages python3
command -v qemu-storage-daemon >/dev/null || die "qemu-storage-daemon not found (Debian: qemu-system-common)"
python3 -c 'import numpy' 2>/dev/null || die "$(command -v python3) cannot import numpy (Debian's python3-numpy is for /usr/bin/python3; pip install numpy for another python3)"

logs="$out/model-logs"
srv="$out/model-srv"
web="$out/model-nginx"
mnt_root="$out/model-mnt"
rm -rf "$logs" "$web"
mkdir -p "$logs" "$srv/sqfs" "$web" "$mnt_root"
: >"$logs/results.tsv"
: >"$logs/errors.txt"
: >"$logs/stalls.txt"
private_jar "$logs"
export CAIRN_SERVER=0 # one process per mount: each load starts from nothing

mounted="" fuse_mounts=() qsd_pid="" child=""
# unmount_all: whatever the current run mounted (cairn, squashfuse over httpdirfs, qsd's export).
unmount_all() {
  local m
  if [ -n "$mounted" ] && is_mounted "$mounted"; then
    timeout 120 "${cairn_cmd[@]}" umount "$mounted" >>"$logs/umount.log" 2>&1 || umount -l "$mounted" 2>/dev/null || true
  fi
  mounted=""
  for m in "${fuse_mounts[@]}"; do
    if is_mounted "$m"; then umount "$m" 2>>"$logs/umount.log" || umount -l "$m" 2>/dev/null || true; fi
  done
  fuse_mounts=()
  if [ -n "$qsd_pid" ]; then
    kill -TERM "$qsd_pid" 2>/dev/null || true
    wait_gone "$qsd_pid" 10 || kill -KILL "$qsd_pid" 2>/dev/null || true
    qsd_pid=""
  fi
  # a killed qemu-storage-daemon leaves its export mounted, and dead
  unmount_stale "$mnt_root/qsd-qcow2-zstd/model.npy"
}
# shellcheck disable=SC2317  # invoked by the trap
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [ -n "$child" ]; then kill -TERM "$child" 2>/dev/null || true; fi
  unmount_all
  fleet_server_stop
  rm -f "$logs/cairn.jar"
  exit "$rc"
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT TERM
for s in ${ALL_SYSTEMS//,/ } cairn-record; do unmount_stale "$mnt_root/$s" "$mnt_root/$s-http" "$mnt_root/$s/model.npy"; done

# --- the .npy and its packed forms -------------------------------------------------------------------
npy="$out/model-${size_mb}M.npy"
if [ ! -f "$npy" ]; then
  log "generating $npy ($size_mb MiB of float16)"
  python3 - "$npy" "$size_mb" "$SEED" <<'PY' || die "generating the .npy failed"
import sys
import numpy as np
path, size_mb, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
cols = 4096
rows_per_layer = 32 * 1048576 // 2 // cols  # 32 MiB of float16 per layer
layers = size_mb // 32
rng = np.random.Generator(np.random.PCG64(seed))
a = np.lib.format.open_memmap(path + ".part", mode="w+", dtype=np.float16, shape=(layers * rows_per_layer, cols))
for i in range(layers):
    sigma = rng.uniform(0.005, 0.05)
    w = rng.standard_normal((rows_per_layer, cols), dtype=np.float32) * np.float32(sigma)
    a[i * rows_per_layer:(i + 1) * rows_per_layer] = w.astype(np.float16)
a.flush()
del a
import os
os.replace(path + ".part", path)
PY
fi
npy_bytes=$(stat -c %s "$npy")
if [ ! -f "$srv/model.cairn" ] || [ "$srv/model.cairn" -ot "$npy" ] || [ "$(cat "$srv/source" 2>/dev/null)" != "$npy" ]; then
  log "packing: cairn pack (zstd), qemu-img convert (qcow2, zstd), mksquashfs (zstd)"
  rm -f "$srv/model.cairn" "$srv/model.cairn.profile" "$srv/model.qcow2" "$srv/sqfs/model.sqfs"
  # the snapshot's stream keeps the name model.npy in the mount
  cairn pack "$npy" -o "$srv/model.cairn" --codec zstd --name model.npy >"$logs/pack.log" 2>&1 || die "cairn pack failed (see $logs/pack.log)"
  qemu-img convert -c -f raw -O qcow2 -o compression_type=zstd "$npy" "$srv/model.qcow2" >>"$logs/pack.log" 2>&1 ||
    die "qemu-img convert failed (see $logs/pack.log)"
  mkdir -p "$out/model-sqfs-src"
  ln -f "$npy" "$out/model-sqfs-src/model.npy"
  mksquashfs "$out/model-sqfs-src/model.npy" "$srv/sqfs/model.sqfs" -comp zstd -noappend -no-progress -quiet >>"$logs/pack.log" 2>&1 ||
    die "mksquashfs failed (see $logs/pack.log)"
  rm -rf "$out/model-sqfs-src"
  echo "$npy" >"$srv/source"
fi
sizes="cairn $(stat -c %s "$srv/model.cairn"), qcow2 $(stat -c %s "$srv/model.qcow2"), squashfs $(stat -c %s "$srv/sqfs/model.sqfs") bytes"

# --- the server --------------------------------------------------------------------------------------
start_server() { fleet_serve_snapshot model.cairn; }

# --- one load ----------------------------------------------------------------------------------------
# sum_npy NAME FILE: numpy's sum of FILE, memory-mapped; writes "SUM SECONDS" to $logs/NAME.sum.
# A watchdog stops it (return 124) when for STALL_S seconds neither nginx's log nor the process's
# CPU time or major faults move: qemu 7.2's curl driver now and then stops answering a read for
# good (as in remote.sh), and one stuck peer must not stop the run.
STALL_S=30
sum_npy() {
  local rc=0 wd
  rm -f "$logs/stalled"
  timeout -k 15 "$timeout_s" python3 -c '
import sys, time
import numpy as np
t = time.monotonic()
a = np.load(sys.argv[1], mmap_mode="r")
s = float(a.sum(dtype=np.float64))
print(repr(s), "%.3f" % (time.monotonic() - t))
' "$2" >"$logs/$1.sum" 2>"$logs/$1.err" 3>&- &
  child=$!
  (
    last="" still=0
    while [ -r "/proc/$child/stat" ]; do
      sleep 1
      # majflt, utime, stime of timeout and its python (fields 12, 14, 15 of /proc/PID/stat)
      cur="$(for p in $child $(pgrep -P "$child"); do sed 's/^.*) //' "/proc/$p/stat" 2>/dev/null | cut -d' ' -f10,12,13; done) $(fleet_sent_mark)"
      if [ "$cur" = "$last" ]; then still=$((still + 1)); else still=0 last="$cur"; fi
      if [ $still -ge $STALL_S ]; then : >"$logs/stalled"; kill -TERM "$child" 2>/dev/null; exit 0; fi
    done
  ) 3>&- &
  wd=$!
  wait "$child" || rc=$?
  child=""
  kill "$wd" 2>/dev/null || true
  wait "$wd" 2>/dev/null || true
  if [ -f "$logs/stalled" ]; then rc=124; fi
  return $rc
}

# mount_system SYSTEM NAME CACHE EXTRA...: mounts; sets file (the .npy to read) and what to unmount.
mount_system() {
  local sys="$1" name="$2" cache="$3" mnt="$mnt_root/$1"
  shift 3
  case "$sys" in
    local) file="$npy" ;;
    qsd-*)
      mkdir -p "$mnt"
      file="$mnt/model.npy"
      : >"$file" # the export's mount point is a regular file
      rm -f "$logs/qsd.pid"
      run_bg timeout 180 qemu-storage-daemon \
        --blockdev "driver=http,url=$base/model.qcow2,node-name=h,read-only=on" \
        --blockdev driver=qcow2,file=h,node-name=q,read-only=on \
        --export "type=fuse,id=e,node-name=q,mountpoint=$file,writable=off" \
        --daemonize --pidfile "$logs/qsd.pid" >"$logs/$name-mount.log" 2>&1 || return 1
      qsd_pid=$(cat "$logs/qsd.pid") ;;
    squashfuse-http*)
      local hmnt="$mnt_root/$sys-http" hcache=()
      mkdir -p "$hmnt" "$mnt"
      if [ "$sys" = squashfuse-http-cache ]; then
        rm -rf "$cache"; mkdir -p "$cache"
        hcache=(--cache --cache-location "$cache")
      fi
      run_bg timeout 180 httpdirfs --no-range-check "${hcache[@]}" "$base/sqfs/" "$hmnt" >"$logs/$name-mount.log" 2>&1 || return 1
      fuse_mounts=("$mnt" "$hmnt")
      run_bg timeout 180 squashfuse "$hmnt/model.sqfs" "$mnt" >>"$logs/$name-mount.log" 2>&1 || return 1
      file="$mnt/model.npy" ;;
    cairn-*)
      mkdir -p "$mnt"
      run_bg env CAIRN_CACHE_DIR="$cache" timeout 180 "${cairn_cmd[@]}" mount "$cairn_url" "$mnt" "$@" >"$logs/$name-mount.log" 2>&1 || return 1
      mounted="$mnt"
      file="$mnt/model.npy" ;;
  esac
}

# load_once SYSTEM REPEAT: one load on a fresh mount; records it, or the failure. Returns 2 when
# the load stalled (nothing recorded), else 0.
load_once() {
  local sys="$1" r="$2" name="$1-$2" t0 t1 mark cache="$out/model-cache-$1" sum py_s sent extra=() rc=0
  case "$sys" in
    cairn-cold | cairn-profile) rm -rf "$cache"; mkdir -p "$cache" ;;
  esac
  [ "$sys" != cairn-cold ] || extra=(--profile none)
  drop_caches
  log "load $r/$repeat: $sys"
  mark=$(fleet_sent_mark)
  t0=$(now)
  if ! mount_system "$sys" "$name" "$cache" "${extra[@]}"; then
    fail "$sys" load "$r" "mount failed: $(tail -1 "$logs/$name-mount.log")"
    unmount_all
    return 0
  fi
  sum_npy "$name" "$file" || rc=$?
  if [ $rc = 124 ] && [ -f "$logs/stalled" ]; then
    echo "$sys (repeat $r): the load stalled (no progress for $STALL_S s)" >>"$logs/stalls.txt"
    log "  $sys: the load stalled (no progress for $STALL_S s)"
    unmount_all
    return 2
  elif [ $rc != 0 ]; then
    fail "$sys" load "$r" "numpy failed or timed out (exit $rc): $(tail -1 "$logs/$name.err")"
    unmount_all
    return 0
  fi
  t1=$(now)
  unmount_all
  read -r sum py_s <"$logs/$name.sum"
  sent=$(fleet_sent_since "$mark" model.cairn model.qcow2 model.sqfs)
  if [ "$sum" != "$local_sum" ]; then
    fail "$sys" load "$r" "the sum is $sum, the local file's is $local_sum"
    return 0
  fi
  record "$sys" load "$r" "$(secs "$t0" "$t1" 3)"
  record "$sys" sum "$r" "$py_s"
  record "$sys" fetched "$r" "$sent"
  log "  $sys: load $(secs "$t0" "$t1") s (numpy $py_s s), fetched $sent bytes"
}
# run_system SYSTEM REPEAT: a load that stalled runs once more on a fresh mount; twice is a failure.
run_system() {
  local rc=0
  load_once "$1" "$2" || rc=$?
  [ $rc = 2 ] || return 0
  log "  $1 again, on a fresh mount"
  rc=0
  load_once "$1" "$2" || rc=$?
  [ $rc != 2 ] || fail "$1" load "$2" "the load stalled twice (no progress for $STALL_S s)"
}

# the local sum first: it is what every other load must give
drop_caches
sum_npy reference "$npy" || die "numpy cannot sum $npy: $(tail -1 "$logs/reference.err")"
read -r local_sum _ <"$logs/reference.sum"

start_server
# the serving process's class-data archive for remote mounts, before any timed one (lib.sh)
if [[ ",$systems," == *",cairn-"* ]]; then serve_archive "$logs" "$cairn_url"; fi
# The profile: one untimed load through a recording mount, published next to the snapshot.
if [[ ",$systems," == *",cairn-profile,"* || ",$systems," == *",cairn-warm,"* ]] && [ ! -s "$srv/model.cairn.profile" ]; then
  log "recording the profile (one untimed load)"
  rm -rf "$out/model-cache-record"
  mount_system cairn-record record "$out/model-cache-record" --profile none --record-profile "$srv/model.cairn.profile" ||
    die "the recording mount failed (see $logs/record-mount.log)"
  sum_npy record "$file" || die "the recording load failed: $(tail -1 "$logs/record.err")"
  unmount_all
  rm -rf "$out/model-cache-record"
  [ -s "$srv/model.cairn.profile" ] || die "no profile recorded"
fi
if [ "$via" = s3 ] && [ -s "$srv/model.cairn.profile" ]; then s3_put "$srv/model.cairn.profile" model.cairn.profile; fi

profile_run="" # the repeat whose cairn-profile load left its cache, from this run (not an older one)
for r in $(seq "$repeat"); do
  for s in "${sys_list[@]}"; do
    # cairn-warm loads on the cache cairn-profile left
    if [ "$s" = cairn-warm ] && [ "$profile_run" != "$r" ]; then run_system cairn-profile "$r"; profile_run="$r"; fi
    if [ "$s" = cairn-warm ]; then rm -rf "$out/model-cache-cairn-warm"; cp -a "$out/model-cache-cairn-profile" "$out/model-cache-cairn-warm"; fi
    run_system "$s" "$r"
    [ "$s" != cairn-profile ] || profile_run="$r"
  done
done
fleet_server_stop

# --- report ------------------------------------------------------------------------------------------
status=0
python3 - "$logs/results.tsv" "$npy_bytes" "$delay" "$via" "$cmdline" "$(commit_line)" "$sizes" "$out" <<'PY' || status=$?
import json, statistics, sys
tsv, npy_bytes, delay, via, cmdline, commit, sizes, out_dir = sys.argv[1:9]
npy_bytes, delay = int(npy_bytes), int(delay)
vals, failed, systems = {}, set(), []
for line in open(tsv):
    s, t, r, v = line.rstrip("\n").split("\t")
    if s not in systems:
        systems.append(s)
    if v == "FAIL":
        failed.add(s)
    else:
        vals.setdefault((s, t), []).append(float(v))
med = {k: statistics.median(v) for k, v in vals.items()}
lines = [f"command: {cmdline}", commit,
         f".npy: {npy_bytes} bytes (float16); packed: {sizes}; delay per request: {delay} ms; cairn reads via {via}",
         f"{'system':22}{'load s':>9}{'sum s':>9}{'load/local':>12}{'fetched MiB':>13}{'fetched/.npy':>14}"]
local = med.get(("local", "load"))
result = {"delay_ms": delay, "via": via, "npy_bytes": npy_bytes, "systems": {}}
for s in systems:
    if s in failed and (s, "load") not in med:
        lines.append(f"{s:22} FAILED (see model-logs/errors.txt)")
        continue
    load, sm, f = med[(s, "load")], med[(s, "sum")], med[(s, "fetched")]
    ratio = load / local if local else None
    lines.append(f"{s:22}{load:9.2f}{sm:9.2f}{(f'{ratio:.2f}' if ratio is not None else '-'):>12}"
                 f"{f / 1048576:13.1f}{f / npy_bytes:14.3f}")
    result["systems"][s] = {"load_s": load, "sum_s": sm, "load_over_local": ratio, "fetched_bytes": f,
                            "fetched_over_npy": f / npy_bytes}
targets = []
if ("cairn-warm", "fetched") in med:
    targets.append(("cairn-warm fetched 0 bytes", med[("cairn-warm", "fetched")] == 0))
for name, ok in targets:
    lines.append(f"  {name:50} {'pass' if ok else 'MISSED'}")
stalls = [l.strip() for l in open(tsv.replace("results.tsv", "stalls.txt")) if l.strip()]
if stalls:
    lines.append("stalled loads (each run once more on a fresh mount): " + "; ".join(stalls))
result["stalls"] = stalls
result["targets"] = {n: ok for n, ok in targets}
result["failed"] = sorted(failed)
with open(f"{out_dir}/model-results.txt", "w") as fh:
    fh.write("\n".join(lines) + "\n")
with open(f"{out_dir}/model-results.json", "w") as fh:
    json.dump(result, fh)
    fh.write("\n")
sys.exit(1 if failed else (3 if any(not ok for _n, ok in targets) else 0))
PY
[ -s "$out/model-results.txt" ] || die "the report failed (see $logs)"
if [ "$json_only" = 1 ]; then cat "$out/model-results.txt" >&2; cat "$out/model-results.json"; else cat "$out/model-results.txt"; fi
log "results: $out/model-results.txt, $out/model-results.json; logs: $logs"
exit "$status"
