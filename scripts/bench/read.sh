#!/usr/bin/env bash
# Read benchmark: Cairn's FUSE mount against the peers a user would otherwise pick to mount a
# compressed disk image — squashfuse and squashfuse_ll on a squashfs image, qemu-storage-daemon's
# FUSE export of a compressed qcow2 — on the same image with the same codec, measured in one run
# so that the ratios (Cairn ÷ peer) are comparable even on a noisy machine.
#
# Systems: cairn-lz4, squashfuse-lz4, squashfuse_ll-lz4 (mksquashfs -comp lz4);
#          cairn-zstd, squashfuse-zstd, squashfuse_ll-zstd (mksquashfs -comp zstd),
#          qsd-qcow2-zstd (qemu-img convert -c -O qcow2 -o compression_type=zstd);
#          cairn-lz4-enc, cairn-zstd-enc: the same Cairn snapshots packed with --encrypt under a
#          random key file (AES-256-GCM), against which the plain ones are compared (issue 12);
#          cairn-lz4-sig, cairn-zstd-sig: the same snapshots packed with --sign and mounted with
#          --trust, so every byte read is checked against its signature (issue 13).
# Every tool packs with its own defaults (block sizes: cairn 64 KiB, squashfs 128 KiB, qcow2
# 64 KiB clusters; zstd levels: cairn 3, mksquashfs 15, qcow2 3) unless --zstd-level is given.
#
# Tests, each on a fresh mount (so no daemon keeps a warm cache from an earlier test), with the
# page cache dropped (sync; echo 3 > /proc/sys/vm/drop_caches) before the mount and again before
# the test:
#   first byte  wall time from starting the mount command to the first successful 4 KiB read of
#               the image file (cairn: includes `cairn mount` returning); median over all mounts
#   seq         dd if=FILE of=/dev/null bs=1M, MiB/s
#   rand1/4     fio 4 KiB random reads, buffered (--direct=0, fio's default POSIX_FADV_RANDOM hint
#               so no readahead), psync, 1 job and 4 jobs (--group_reporting), IOPS; half the
#               image's pages in all (each job its share), or fewer if --runtime ends the run first.
#               Not time-based: fio's random map reads every page once per pass and a page read
#               once stays in the page cache, so a mount that finished a pass inside the runtime
#               then ran at page-cache speed and the ratio measured who finished first (Cairn at
#               271,000 mount reads in 10 s showed 105,735 IOPS, at 231,000 reads 43,548)
#   peak RSS    VmHWM of the serving process just before each unmount, maximum over its mounts
# Order alternates from test to test and codec to codec (cairn first for lz4/seq, peers first for
# zstd/seq, and the other way round for the next test), and from repeat to repeat.
# Afterwards (unless --no-check) each system is mounted once more and the whole file's sha256 is
# compared with the image's.
#
# Targets (issue 4): seq cairn/squashfuse >= 1.3 for lz4 and zstd; rand4 zstd cairn/squashfuse_ll
# >= 1.5; rand1 zstd cairn/squashfuse_ll >= 1.0; cairn's peak RSS <= cache size + 200 MiB.
# Targets (issue 12): encrypted/plain >= 0.85 for seq, rand1 and rand4, lz4 and zstd.
# Targets (issue 13): signed+--trust/plain >= 0.85 for seq, rand1 and rand4, lz4 and zstd.
# Exit: 0 all targets met, 3 some target missed, 1 a tool or a mount failed, 2 usage.
set -euo pipefail

here="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)"
root="$(cd "$here/../.." && pwd)"
out="$here/out"
CAIRN="$root/scripts/cairn"
# shellcheck source=scripts/lib.sh
. "$root/scripts/lib.sh"

ALL_SYSTEMS="cairn-lz4,cairn-lz4-enc,cairn-lz4-sig,squashfuse-lz4,squashfuse_ll-lz4,cairn-zstd,cairn-zstd-enc,cairn-zstd-sig,squashfuse-zstd,squashfuse_ll-zstd,qsd-qcow2-zstd"
ALL_TESTS="seq,rand1,rand4"

usage() {
  cat <<EOF
usage: $(basename "$0") [-h] [--quick] [--json] [--size MB] [--runtime S] [--repeat N]
                [--systems LIST] [--tests LIST] [--cache-size SIZE] [--zstd-level N]
                [--keep] [--reuse] [--no-check] [IMAGE]
  Mount IMAGE packed as Cairn snapshots, squashfs and qcow2 images, and measure first-byte
  latency, cold sequential reads and 4 KiB random reads through each mount, in one run.
  IMAGE defaults to testimages/build/rootfs.img (built by testimages/make-rootfs.sh when absent;
  with --size other than 1024, scripts/bench/out/rootfs-<MB>M.img). Outputs: scripts/bench/out/.
  --quick          smoke test: a 128 MiB image, 5 s fio runs and cairn --cache-size 32M (the
                   default run's cache : image proportion); about 2-3 minutes
  --json           print one JSON object on stdout (the table goes to stderr)
  --size MB        size of the generated rootfs image (default 1024; --quick: 128)
  --runtime S      seconds per fio run (default 15; --quick: 5)
  --repeat N       run every test N times, report the median (default 1)
  --systems LIST   comma-separated subset of
                   $ALL_SYSTEMS
  --tests LIST     comma-separated subset of $ALL_TESTS (default all)
  --cache-size S   passed to cairn mount --cache-size (default: cairn's own, 256M; --quick: 32M)
  --zstd-level N   zstd level for cairn pack and mksquashfs (qemu-img has no level option);
                   default: each tool's own default
  --keep           keep the packed images in scripts/bench/out/ (default: delete at the end)
  --reuse          reuse packed images kept by an earlier --keep run when made by the same
                   command from the same image (and, for cairn, the same jar)
  --no-check       skip the final sha256 comparison of every mounted file with the image
  CAIRN_NO_BUILD=1 in the environment runs the jar already built instead of rebuilding it.
Exit: 0 targets met, 3 a target missed, 1 a tool or mount failed, 2 usage. Needs root.
EOF
}

command_line "$@"
json_only=0 quick=0 size_mb="" runtime="" repeat=1 systems="$ALL_SYSTEMS" tests="$ALL_TESTS"
cache_size="" zstd_level="" keep=0 reuse=0 check=1 image=""
value_opts=(--size=size_mb --runtime=runtime --repeat=repeat --systems=systems --tests=tests
  --cache-size=cache_size --zstd-level=zstd_level)
flag_opts=("--json json_only=1" "--quick quick=1" "--keep keep=1" "--reuse reuse=1 keep=1" "--no-check check=0")
parse_args "$@"
quick_default size_mb 128 1024
[ -n "$cache_size" ] || [ "$quick" = 0 ] || cache_size=32M
quick_default runtime 5 15
need_size
need_positive --runtime "$runtime"
need_positive --repeat "$repeat"
[ -z "$zstd_level" ] || [[ "$zstd_level" =~ ^[0-9]+$ ]] || bad "--zstd-level needs an integer"
[ -z "$cache_size" ] || [[ "$cache_size" =~ ^[0-9]+[KMGkmg]?$ ]] || bad "--cache-size: e.g. 256M"
IFS=, read -r -a sys_list <<<"$systems"
IFS=, read -r -a test_list <<<"$tests"
for s in "${sys_list[@]}"; do [[ ",$ALL_SYSTEMS," == *",$s,"* ]] || bad "unknown system $s"; done
for t in "${test_list[@]}"; do [[ ",$ALL_TESTS," == *",$t,"* ]] || bad "unknown test $t"; done
if [ ${#sys_list[@]} -eq 0 ] || [ ${#test_list[@]} -eq 0 ]; then bad "nothing to run"; fi

# Progress and errors go to fd 3, the script's stderr, so that a trap running while a command's
# stderr is redirected to a log file still reports on the terminal.
exec 3>&2
log_fd=3
need_root "mounting and dropping the page cache need it"

ensure_packages squashfs-tools squashfuse qemu-utils qemu-system-common fio fuse libfuse2
command -v python3 >/dev/null 2>&1 || ensure_packages python3
command -v qemu-storage-daemon >/dev/null || die "qemu-storage-daemon not found (Debian: qemu-system-common)"

# --- the image -------------------------------------------------------------------------------------
mkdir -p "$out"
pick_image
name="$(basename "$image")"

# Build the jar now (the wrapper rebuilds when sources changed), then forbid rebuilds so no mount
# pays for Maven even if someone edits the sources meanwhile.
"$CAIRN" --version >/dev/null || die "scripts/cairn does not run"
export CAIRN_NO_BUILD=1
jar="$root/fuse-mount/target/cairn.jar"
cairn_cmd=("$CAIRN")

# --- bookkeeping, clean-up -------------------------------------------------------------------------
logs="$out/read-logs"
mnt_root="$out/read-mnt"
rm -rf "$logs"
mkdir -p "$logs" "$mnt_root"
: >"$logs/results.tsv"
: >"$logs/errors.txt"
packed=()          # packed images to delete at the end (unless --keep)
active_sys=""      # the system mounted right now ("" when none)
active_pid=""      # its serving process
child=""           # the command that run_bg is waiting for

mnt_of() { # system -> mount point directory (qsd: a regular file inside it)
  case "$1" in
    qsd-*) echo "$mnt_root/$1/$name" ;;
    *) echo "$mnt_root/$1" ;;
  esac
}
file_of() { # system -> the image file inside the mount
  case "$1" in
    qsd-*) mnt_of "$1" ;;
    *) echo "$(mnt_of "$1")/$name" ;;
  esac
}

# unmount SYSTEM: unmount and wait for the serving process to exit; kill it if it does not.
unmount_system() {
  local sys="$1" pid="${2:-}" mnt rc=0
  mnt="$(mnt_of "$sys")"
  case "$sys" in
    cairn-*)
      # cairn_unmount (lib.sh) also stops the per-user server left without mounts, so that every
      # mount starts a fresh serving process and its peak RSS is its own
      cairn_unmount "$mnt" "$pid" "$sys:" || rc=1
      pid="" ;;
    qsd-*) if alive "$pid"; then kill -TERM "$pid" 2>/dev/null || true; fi ;;
    *) if is_mounted "$mnt"; then umount "$mnt" 2>>"$logs/umount.log" || rc=1; fi ;;
  esac
  if [ -n "$pid" ] && ! wait_gone "$pid" 30; then
    echo "$sys: serving process $pid still alive 30 s after unmount, killing it" >>"$logs/errors.txt"
    kill -TERM "$pid" 2>/dev/null || true
    wait_gone "$pid" 5 || { kill -KILL "$pid" 2>/dev/null || true; wait_gone "$pid" 5 || true; }
    rc=1
  fi
  if is_mounted "$mnt"; then umount -l "$mnt" 2>/dev/null || true; rc=1; fi
  return $rc
}

# shellcheck disable=SC2317  # invoked by the trap
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [ -n "$child" ]; then kill -TERM "$child" 2>/dev/null || true; wait "$child" 2>/dev/null || true; fi
  if [ -n "$active_sys" ]; then
    log "cleaning up: unmounting $active_sys"
    unmount_system "$active_sys" "$active_pid" || true
    active_sys="" active_pid=""
  fi
  # Anything of ours still mounted (e.g. a daemon whose pid we never learned).
  local s
  for s in ${ALL_SYSTEMS//,/ }; do
    if is_mounted "$(mnt_of "$s")"; then umount -l "$(mnt_of "$s")" 2>/dev/null || true; fi
  done
  if [ "$keep" = 0 ] && [ ${#packed[@]} -gt 0 ]; then rm -f "${packed[@]}"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT TERM

# Left over from an interrupted run.
for s in ${ALL_SYSTEMS//,/ }; do unmount_stale "$(mnt_of "$s")"; done

warm_note="tests read warm"

# --- packing ---------------------------------------------------------------------------------------
lvl_suffix=""
[ -z "$zstd_level" ] || lvl_suffix="-L$zstd_level"
declare -A artifact
artifact[lz4.cairn]="$out/read-lz4.cairn"
artifact[zstd.cairn]="$out/read-zstd$lvl_suffix.cairn"
artifact[lz4-enc.cairn]="$out/read-lz4-enc.cairn"
artifact[zstd-enc.cairn]="$out/read-zstd-enc$lvl_suffix.cairn"
artifact[lz4-sig.cairn]="$out/read-lz4-sig.cairn"
artifact[zstd-sig.cairn]="$out/read-zstd-sig$lvl_suffix.cairn"
# The encrypted systems' key: random, made once, kept next to the outputs (never committed).
key_file="$out/read-bench.key"
# The signed systems' key pair (cairn keygen), made once, kept next to the outputs.
sign_key="$out/read-bench-sign"
artifact[lz4.sqfs]="$out/read-lz4.sqfs"
artifact[zstd.sqfs]="$out/read-zstd$lvl_suffix.sqfs"
artifact[zstd.qcow2]="$out/read-zstd.qcow2"

needed_artifacts() {
  local s
  for s in "${sys_list[@]}"; do
    case "$s" in
      cairn-lz4) echo lz4.cairn ;; cairn-zstd) echo zstd.cairn ;;
      cairn-lz4-enc) echo lz4-enc.cairn ;; cairn-zstd-enc) echo zstd-enc.cairn ;;
      cairn-lz4-sig) echo lz4-sig.cairn ;; cairn-zstd-sig) echo zstd-sig.cairn ;;
      squashfuse*-lz4) echo lz4.sqfs ;; squashfuse*-zstd) echo zstd.sqfs ;;
      qsd-*) echo zstd.qcow2 ;;
    esac
  done | sort -u
}
pack_cmd() { # artifact key -> the command that makes it (a string, shown and run with bash -c)
  local f qi
  f="$(printf %q "${artifact[$1]}")"
  qi="$(printf %q "$image")"
  case "$1" in
    lz4.cairn) echo "$(printf %q "$CAIRN") pack $qi -o $f --codec lz4" ;;
    zstd.cairn) echo "$(printf %q "$CAIRN") pack $qi -o $f --codec zstd${zstd_level:+ --level $zstd_level}" ;;
    lz4-enc.cairn) echo "$(printf %q "$CAIRN") pack $qi -o $f --codec lz4 --encrypt --key-file $(printf %q "$key_file")" ;;
    zstd-enc.cairn) echo "$(printf %q "$CAIRN") pack $qi -o $f --codec zstd${zstd_level:+ --level $zstd_level} --encrypt --key-file $(printf %q "$key_file")" ;;
    lz4-sig.cairn) echo "$(printf %q "$CAIRN") pack $qi -o $f --codec lz4 --sign $(printf %q "$sign_key.key")" ;;
    zstd-sig.cairn) echo "$(printf %q "$CAIRN") pack $qi -o $f --codec zstd${zstd_level:+ --level $zstd_level} --sign $(printf %q "$sign_key.key")" ;;
    lz4.sqfs) echo "mksquashfs $qi $f -comp lz4 -noappend -no-progress -quiet" ;;
    zstd.sqfs) echo "mksquashfs $qi $f -comp zstd${zstd_level:+ -Xcompression-level $zstd_level} -noappend -no-progress -quiet" ;;
    zstd.qcow2) echo "qemu-img convert -c -O qcow2 -o compression_type=zstd $qi $f" ;;
  esac
}
pack_all() {
  local k f cmd t0
  if [ ! -s "$key_file" ]; then (umask 077 && head -c 32 /dev/urandom >"$key_file"); fi
  if [ ! -s "$sign_key.key" ]; then
    rm -f "$sign_key.key" "$sign_key.pub"
    "$CAIRN" keygen -o "$sign_key" >/dev/null || die "cairn keygen failed"
  fi
  for k in $(needed_artifacts); do
    f="${artifact[$k]}"
    cmd="$(pack_cmd "$k")"
    if [ "$reuse" = 1 ] && [ -f "$f" ] && [ "$(cat "$f.cmd" 2>/dev/null)" = "$cmd" ] && [ "$f" -nt "$image" ] &&
      { [[ "$k" != *.cairn ]] || [ "$f" -nt "$jar" ]; }; then
      log "reusing $f"
    else
      log "packing: $cmd"
      rm -f "$f" "$f.cmd" "$f.sig"
      t0=$(now)
      bash -c "$cmd" >"$logs/pack-$k.log" 2>&1 || { cat "$logs/pack-$k.log" >&2; die "packing failed: $cmd"; }
      log "  $(secs "$t0" "$(now)" 1) s"
      echo "$cmd" >"$f.cmd"
    fi
    [ "$keep" = 1 ] || packed+=("$f" "$f.cmd")
    [[ "$k" != *-sig.cairn ]] || [ "$keep" = 1 ] || packed+=("$f.sig")
  done
}

# --- mounting --------------------------------------------------------------------------------------
# mount_system SYSTEM: mounts it; sets active_sys / active_pid. Returns non-zero on failure.
mount_system() {
  local sys="$1" mnt log="$logs/mount-$1.log" pid=""
  mnt="$(mnt_of "$sys")"
  case "$sys" in
    qsd-*) mkdir -p "$(dirname "$mnt")"; : >"$mnt" ;; # the export's mount point is a regular file
    *) mkdir -p "$mnt" ;;
  esac
  active_sys="$sys" active_pid=""
  case "$sys" in
    cairn-*)
      local snap="${artifact[${sys#cairn-}.cairn]}"
      local keys=()
      [[ "$sys" != *-enc ]] || keys=(--key-file "$key_file")
      [[ "$sys" != *-sig ]] || keys=(--trust "$sign_key.pub")
      run_bg timeout 180 "$CAIRN" mount "$snap" "$mnt" ${cache_size:+--cache-size "$cache_size"} "${keys[@]}" >>"$log" 2>&1 || return 1 ;;
    squashfuse-* | squashfuse_ll-*)
      local prog="${sys%-*}" sqfs="${artifact[${sys##*-}.sqfs]}"
      run_bg timeout 180 "$prog" "$sqfs" "$mnt" >>"$log" 2>&1 || return 1
      pid=$(pgrep -x -f "$prog $sqfs $mnt" | head -1) || true ;;
    qsd-*)
      rm -f "$logs/qsd.pid"
      run_bg timeout 180 qemu-storage-daemon \
        --blockdev "driver=file,node-name=file0,filename=${artifact[zstd.qcow2]},read-only=on" \
        --blockdev driver=qcow2,node-name=qcow0,file=file0,read-only=on \
        --export "type=fuse,id=exp0,node-name=qcow0,mountpoint=$mnt,writable=off" \
        --daemonize --pidfile "$logs/qsd.pid" >>"$log" 2>&1 || return 1
      pid=$(cat "$logs/qsd.pid" 2>/dev/null) || true ;;
  esac
  active_pid="$pid"
}
# The serving process of a cairn mount: from stats.json, or by its command line.
cairn_pid() {
  local mnt="$1" pid
  pid=$(cairn_stats_pid "$mnt") ||
    pid=$(pgrep -f -- "--mount-point=$mnt( |\$)" | head -1) || true
  echo "$pid"
}
fio_iops() { python3 "$here/report.py" fio-iops "$1" read; }
vm_hwm_kib() { awk '/^VmHWM:/ { print $2 }' "/proc/$1/status" 2>/dev/null || true; }

# run_one SYSTEM TEST REPEAT: fresh mount, first-byte latency, the test, peak RSS, unmount.
run_one() {
  local sys="$1" test="$2" r="$3" file t0 t1 v mlog
  file="$(file_of "$sys")"
  mlog="$logs/mount-$sys.log"
  drop_caches
  t0=$(now)
  if ! mount_system "$sys"; then
    fail "$sys" "$test" "$r" "mount failed: $(tail -3 "$mlog" | tr '\n' ' ')"
    unmount_system "$sys" "$active_pid" || true
    active_sys="" active_pid=""
    return 1
  fi
  if ! first_read "$file"; then
    fail "$sys" "$test" "$r" "no 4 KiB read from $file within 120 s of mounting"
    unmount_system "$sys" "$active_pid" || true
    active_sys="" active_pid=""
    return 1
  fi
  t1=$(now)
  record "$sys" first_byte_ms "$r" "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", (b - a) * 1000 }')"
  if [ -z "$active_pid" ] && [[ "$sys" == cairn-* ]]; then active_pid=$(cairn_pid "$(mnt_of "$sys")"); fi
  [ -n "$active_pid" ] || echo "$sys: serving process not found, no RSS" >>"$logs/errors.txt"

  drop_caches
  case "$test" in
    seq)
      t0=$(now)
      if run_bg timeout 1800 dd if="$file" of=/dev/null bs=1M status=none 2>>"$logs/dd-$sys.log"; then
        t1=$(now)
        v=$(awk -v a="$t0" -v b="$t1" -v n="$image_bytes" 'BEGIN { printf "%.1f", n / 1048576 / (b - a) }')
        record "$sys" seq_mib_s "$r" "$v"
        log "  $sys seq: $v MiB/s"
      else
        fail "$sys" seq "$r" "dd failed or timed out: $(tail -2 "$logs/dd-$sys.log" | tr '\n' ' ')"
      fi ;;
    rand1 | rand4)
      local jobs="${test#rand}" jf="$logs/fio-$sys-$test-$r.json"
      if run_bg timeout $((runtime * 3 + 120)) fio --name=randread --filename="$file" --readonly --rw=randread \
        --bs=4k --direct=0 --ioengine=psync --invalidate=1 --randseed=20260401 \
        --io_size=$((image_bytes / 2 / jobs / 4096 * 4096)) \
        --runtime="$runtime" --numjobs="$jobs" --group_reporting --output-format=json \
        --output="$jf" >>"$logs/fio-$sys.log" 2>&1 && v=$(fio_iops "$jf"); then
        record "$sys" "${test}_iops" "$r" "$v"
        log "  $sys $test: $v IOPS"
      else
        fail "$sys" "$test" "$r" "fio failed or timed out (see $jf, $logs/fio-$sys.log)"
      fi ;;
  esac
  if [ -n "$active_pid" ]; then
    v=$(vm_hwm_kib "$active_pid")
    [ -z "$v" ] || record "$sys" peak_rss_kib "$r" "$v"
  fi
  unmount_system "$sys" "$active_pid" || echo "$sys: unmount after $test was not clean" >>"$logs/errors.txt"
  active_sys="" active_pid=""
}

# --- run -------------------------------------------------------------------------------------------
{
  echo "command: $cmdline"
  commit_line
  echo "image: $image ($image_bytes bytes); fio runtime ${runtime}s; repeat $repeat; $(nproc) cores; kernel $(uname -r)"
  echo "$("$CAIRN" --version 2>/dev/null | head -1); $(squashfuse --version 2>&1 | head -1); $(qemu-storage-daemon --version | head -1); $(fio --version)"
} >"$logs/header.txt"
cat "$logs/header.txt" >&2

pack_all
image_sha=""
if [ "$check" = 1 ]; then image_sha=$(sha256sum "$image" | cut -d' ' -f1); fi

# Groups are run in turn inside each test; within a group the order flips from test to test,
# from group to group and from repeat to repeat.
lz4_group=() zstd_group=()
for s in cairn-lz4 cairn-lz4-enc cairn-lz4-sig squashfuse-lz4 squashfuse_ll-lz4; do [[ ",$systems," == *",$s,"* ]] && lz4_group+=("$s"); done
for s in cairn-zstd cairn-zstd-enc cairn-zstd-sig squashfuse-zstd squashfuse_ll-zstd qsd-qcow2-zstd; do [[ ",$systems," == *",$s,"* ]] && zstd_group+=("$s"); done
any_fail=0
for ((r = 1; r <= repeat; r++)); do
  ti=0
  for t in "${test_list[@]}"; do
    gi=0
    for g in lz4 zstd; do
      if [ "$g" = lz4 ]; then group=("${lz4_group[@]}"); else group=("${zstd_group[@]}"); fi
      if (((r - 1 + ti + gi) % 2)); then
        rev=()
        for ((k = ${#group[@]} - 1; k >= 0; k--)); do rev+=("${group[k]}"); done
        group=("${rev[@]}")
      fi
      for s in "${group[@]}"; do
        log "repeat $r/$repeat, $t: $s"
        run_one "$s" "$t" "$r" || any_fail=1
      done
      gi=$((gi + 1))
    done
    ti=$((ti + 1))
  done
done

if [ "$check" = 1 ]; then
  for s in "${sys_list[@]}"; do
    log "check: sha256 of $(file_of "$s") via $s"
    if mount_system "$s" && first_read "$(file_of "$s")"; then
      [ -n "$active_pid" ] || [[ "$s" != cairn-* ]] || active_pid=$(cairn_pid "$(mnt_of "$s")")
      got="(read failed)"
      if run_bg timeout 1800 sha256sum "$(file_of "$s")" >"$logs/check-$s.sha256" 2>>"$logs/check.log"; then
        got=$(cut -d' ' -f1 "$logs/check-$s.sha256")
      fi
      if [ "$got" = "$image_sha" ]; then record "$s" check 0 ok; else record "$s" check 0 FAIL
        echo "$s: sha256 of the mounted file is $got, the image's is $image_sha" >>"$logs/errors.txt"; any_fail=1; fi
    else
      record "$s" check 0 FAIL; echo "$s: could not mount for the check" >>"$logs/errors.txt"; any_fail=1
    fi
    unmount_system "$s" "$active_pid" || true
    active_sys="" active_pid=""
  done
fi

# --- report ----------------------------------------------------------------------------------------
sizes=""
for k in $(needed_artifacts); do
  if [ -f "${artifact[$k]}" ]; then sizes+="$k=$(stat -c %s "${artifact[$k]}") "; fi
done
report read "$image" "$image_bytes" "$runtime" "$repeat" "$caches" "${cache_size:-256M}" "$quick" \
  "$cmdline" "$sizes" "$zstd_level"
if [ "$json_only" = 1 ]; then cat "$table" >&2; cat "$json"; else cat "$table"; fi
log "results: $table, $json; logs: $logs"
[ "$any_fail" = 0 ] || status=1
exit "$status"
