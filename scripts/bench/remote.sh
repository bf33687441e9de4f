#!/usr/bin/env bash
# Remote read benchmark: mounting a disk image that lives on an HTTP server, Cairn against the peers
# a fleet would otherwise use, all served by one nginx on 127.0.0.1 and measured in one run so that
# the ratios (Cairn ÷ peer) are comparable even on a noisy machine.
#
# Systems (each tool packs with its own defaults unless --zstd-level is given):
#   cairn-lz4, cairn-zstd          cairn mount http://127.0.0.1:PORT/NAME-CODEC.cairn MNT
#   cairn-lz4-nora, cairn-zstd-nora  the same with the remote read-ahead off (-Dcairn.remote.readAhead=0)
#   qsd-qcow2-zstd                 qemu-storage-daemon, curl block driver (driver=http) under qcow2,
#                                  FUSE export; the image is qemu-img convert -c -O qcow2
#                                  -o compression_type=zstd
#   squashfuse-lz4, squashfuse-zstd  squashfuse on NAME-CODEC.sqfs (mksquashfs -comp CODEC) inside an
#                                  httpdirfs mount of http://127.0.0.1:PORT/sqfs/ (httpdirfs defaults:
#                                  no cache, one request per FUSE read)
#   squashfuse-lz4-cache, squashfuse-zstd-cache  the same with httpdirfs --cache (8 MiB segments kept
#                                  on disk), the counterpart of Cairn's disk chunk cache
#
# Every test runs on a fresh mount, cold: the page cache dropped before the mount and again before
# the test, Cairn's disk chunk cache (CAIRN_CACHE_DIR) and httpdirfs's --cache-location a fresh
# empty directory. nginx logs $bytes_sent (headers included) and $body_bytes_sent of every request,
# so what each system fetched is counted the same way for all:
#   first byte  wall time from starting the mount command(s) to the first 4 KiB read of the image
#               file, and the bytes fetched until then; medians over all mounts
#   seq         dd if=FILE of=/dev/null bs=1M: MiB/s, and MiB fetched
#   rand 4 MiB  dd of 4 MiB (bs=1M, buffered, so the kernel's read-ahead on each mount counts) at a
#               4 KiB-aligned offset drawn from a seeded generator where the image holds data (the
#               same offset for every system, a new one per repeat): bytes and requests fetched,
#               counted until the log has been quiet for 0.5 s (so read-ahead that the read set off
#               counts too), and the read's time
# --delay MS puts every system behind scripts/bench/delayproxy.py, a loopback proxy that adds MS
# milliseconds to every request (keep-alive connections included): the link of a fleet to a bucket
# in another region, without tc netem. nginx still logs what it sent.
# Checks (unless --no-check): the 4 MiB read equals the image's bytes at that offset, and dd read
# the whole image size. Order alternates from test to test and from repeat to repeat. A read during
# which for 30 s neither the reader nor the server moves is stopped and run once more on a fresh
# mount (listed under "stalled reads"; qemu 7.2's curl driver does this now and then).
# Exit: 0 every run worked, 1 a tool, mount or check failed, 2 usage. No targets.
set -euo pipefail

here="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)"
root="$(cd "$here/../.." && pwd)"
out="$here/out"
# shellcheck source=scripts/lib.sh
. "$root/scripts/lib.sh"

ALL_SYSTEMS="cairn-lz4,cairn-lz4-nora,squashfuse-lz4,squashfuse-lz4-cache,cairn-zstd,cairn-zstd-nora,squashfuse-zstd,squashfuse-zstd-cache,qsd-qcow2-zstd"
ALL_TESTS="seq,rand4m"
SEED=20260401

usage() {
  cat <<EOF
usage: $(basename "$0") [-h] [--quick] [--json] [--size MB] [--repeat N] [--systems LIST]
                [--tests LIST] [--zstd-level N] [--delay MS] [--keep] [--no-check] [IMAGE]
  Serve IMAGE packed as Cairn snapshots (lz4, zstd), a zstd qcow2 and squashfs images (lz4,
  zstd) from one nginx on 127.0.0.1, mount each over HTTP (cairn mount URL; qemu-storage-daemon
  with its curl driver; squashfuse inside httpdirfs) and measure, cold: time to first byte, cold
  sequential dd MiB/s, and the bytes fetched for a 4 MiB read at a random offset.
  IMAGE defaults to testimages/build/rootfs.img (built by testimages/make-rootfs.sh when absent;
  with --size other than 1024, scripts/bench/out/rootfs-<MB>M.img). Outputs: scripts/bench/out/.
  --quick          smoke test: a 128 MiB image, one repeat
  --json           print one JSON object on stdout (the table goes to stderr)
  --size MB        size of the generated rootfs image (default 1024; --quick: 128)
  --repeat N       run every test N times, report the median (default 1)
  --systems LIST   comma-separated subset of
                   $ALL_SYSTEMS
  --tests LIST     comma-separated subset of $ALL_TESTS (default all)
  --zstd-level N   zstd level for cairn pack and mksquashfs (qemu-img has no level option);
                   default: each tool's own default
  --delay MS       every system reads through a proxy adding MS milliseconds to each request
                   (scripts/bench/delayproxy.py; default 0: straight to nginx)
  --keep           keep the packed images in scripts/bench/out/remote-srv/
  --no-check       skip comparing the 4 MiB read with the image
  CAIRN_NO_BUILD=1 in the environment runs the jar already built instead of rebuilding it.
Exit: 0 every run worked, 1 a tool, mount or check failed, 2 usage. Needs root.
EOF
}

command_line "$@"
json_only=0 quick=0 size_mb="" repeat=1 systems="$ALL_SYSTEMS" tests="$ALL_TESTS" zstd_level=""
keep=0 check=1 image="" delay=0
value_opts=(--size=size_mb --repeat=repeat --systems=systems --tests=tests --zstd-level=zstd_level --delay=delay)
flag_opts=("--json json_only=1" "--quick quick=1" "--keep keep=1" "--no-check check=0")
parse_args "$@"
quick_default size_mb 128 1024
need_size
need_positive --repeat "$repeat"
[ -z "$zstd_level" ] || [[ "$zstd_level" =~ ^[0-9]+$ ]] || bad "--zstd-level needs an integer"
[[ "$delay" =~ ^[0-9]+$ ]] || bad "--delay needs a whole number of milliseconds"
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

# qemu-block-extra holds qemu's curl block driver (driver=http); httpdirfs mounts an HTTP directory.
ensure_packages nginx squashfs-tools squashfuse qemu-utils qemu-system-common qemu-block-extra \
  httpdirfs curl fuse libfuse2
command -v python3 >/dev/null 2>&1 || ensure_packages python3
command -v qemu-storage-daemon >/dev/null || die "qemu-storage-daemon not found (Debian: qemu-system-common)"
nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)
[ -x "$nginx_bin" ] || die "nginx not found (Debian: nginx)"

# --- the image -------------------------------------------------------------------------------------
mkdir -p "$out"
pick_image
name="$(basename "$image")"
[ "$image_bytes" -ge $((16 * 1048576)) ] || bad "$image is too small (at least 16 MiB)"

# --- bookkeeping, clean-up -------------------------------------------------------------------------
logs="$out/remote-logs"
srv="$out/remote-srv"   # nginx's root: what the server serves
web="$out/remote-nginx" # nginx's own files (config, logs, pid, temporaries)
work="$out/remote-work" # the mounts' fresh cache directories
mnt_root="$out/remote-mnt"
access="$web/access.log"
rm -rf "$logs" "$web" "$work" "$srv" # everything is packed afresh: a stale file would be listed too
mkdir -p "$logs" "$srv/sqfs" "$web/tmp" "$work" "$mnt_root"
: >"$logs/results.tsv"
: >"$logs/errors.txt"
active_sys="" active_pids=() nginx_pid="" proxy_pid="" child=""

# A private copy of the jar (see private_jar in lib.sh), kept with the logs.
private_jar "$logs"

mnt_of() { # system -> its mount point (qsd: a regular file; squashfuse: the squashfuse mount)
  case "$1" in
    qsd-*) echo "$mnt_root/$1/$name" ;;
    *) echo "$mnt_root/$1" ;;
  esac
}
http_mnt_of() { echo "$mnt_root/$1-http"; } # squashfuse-*: the httpdirfs mount under it
file_of() {
  case "$1" in
    qsd-*) mnt_of "$1" ;;
    *) echo "$(mnt_of "$1")/$name" ;;
  esac
}

# unmount_system SYSTEM: unmounts it and waits for its serving processes ($active_pids) to exit,
# killing them if they do not. Problems go to errors.txt; fails when anything was not clean.
unmount_system() {
  local sys="$1" mnt rc=0 pid
  mnt="$(mnt_of "$sys")"
  case "$sys" in
    cairn-*) cairn_unmount "$mnt" "${active_pids[0]:-}" "$sys:" || rc=1 ;;
    qsd-*) if alive "${active_pids[0]:-}"; then kill -TERM "${active_pids[0]}" 2>/dev/null || true; fi ;;
    squashfuse-*)
      if is_mounted "$mnt"; then umount "$mnt" 2>>"$logs/umount.log" || rc=1; fi
      if is_mounted "$(http_mnt_of "$sys")"; then umount "$(http_mnt_of "$sys")" 2>>"$logs/umount.log" || rc=1; fi ;;
  esac
  for pid in "${active_pids[@]}"; do
    if ! wait_gone "$pid" 30; then
      echo "$sys: serving process $pid still alive 30 s after unmount, killed" >>"$logs/errors.txt"
      kill -KILL "$pid" 2>/dev/null || true
      rc=1
    fi
  done
  for m in "$mnt" "$(http_mnt_of "$sys")"; do
    if is_mounted "$m"; then umount -l "$m" 2>/dev/null || true; rc=1; fi
  done
  active_sys="" active_pids=()
  return $rc
}

# shellcheck disable=SC2317  # invoked by the trap
cleanup() {
  local rc=$? s
  trap - EXIT INT TERM
  if [ -n "$child" ]; then kill -TERM "$child" 2>/dev/null || true; wait "$child" 2>/dev/null || true; fi
  if [ -n "$active_sys" ]; then
    log "cleaning up: unmounting $active_sys"
    unmount_system "$active_sys" || true
  fi
  for s in ${ALL_SYSTEMS//,/ }; do unmount_stale "$(mnt_of "$s")" "$(http_mnt_of "$s")"; done
  unmount_stale "$mnt_root/warm-up"
  if [ -n "$proxy_pid" ]; then kill -TERM "$proxy_pid" 2>/dev/null || true; wait "$proxy_pid" 2>/dev/null || true; fi
  if [ -n "$nginx_pid" ]; then kill -TERM "$nginx_pid" 2>/dev/null || true; wait "$nginx_pid" 2>/dev/null || true; fi
  rm -rf "$work" "$logs/cairn.jar" "$logs/cairn-client.jar"
  [ "$keep" = 1 ] || rm -rf "$srv"
  exit "$rc"
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT TERM

for s in ${ALL_SYSTEMS//,/ }; do unmount_stale "$(mnt_of "$s")" "$(http_mnt_of "$s")"; done
warm_note="tests read warm"

# --- packing ---------------------------------------------------------------------------------------
stem="${name%.*}"
declare -A artifact
artifact[lz4.cairn]="$srv/$stem-lz4.cairn"
artifact[zstd.cairn]="$srv/$stem-zstd.cairn"
artifact[zstd.qcow2]="$srv/$stem.qcow2"
artifact[lz4.sqfs]="$srv/sqfs/$stem-lz4.sqfs"
artifact[zstd.sqfs]="$srv/sqfs/$stem-zstd.sqfs"
key_of() { # system -> the artifact it mounts
  case "$1" in
    cairn-lz4*) echo lz4.cairn ;; cairn-zstd*) echo zstd.cairn ;; qsd-*) echo zstd.qcow2 ;;
    squashfuse-lz4*) echo lz4.sqfs ;; squashfuse-zstd*) echo zstd.sqfs ;;
  esac
}
pack_cmd() { # artifact key -> the command that makes it (shown, and run with bash -c)
  local f qi qc
  f="$(printf %q "${artifact[$1]}")"
  qi="$(printf %q "$image")"
  qc="CAIRN_JAR=$(printf %q "$logs/cairn.jar") $(printf %q "$root/scripts/cairn")"
  case "$1" in
    lz4.cairn) echo "$qc pack $qi -o $f --codec lz4" ;;
    zstd.cairn) echo "$qc pack $qi -o $f --codec zstd${zstd_level:+ --level $zstd_level}" ;;
    zstd.qcow2) echo "qemu-img convert -c -O qcow2 -o compression_type=zstd $qi $f" ;;
    lz4.sqfs) echo "mksquashfs $qi $f -comp lz4 -noappend -no-progress -quiet" ;;
    zstd.sqfs) echo "mksquashfs $qi $f -comp zstd${zstd_level:+ -Xcompression-level $zstd_level} -noappend -no-progress -quiet" ;;
  esac
}
needed=()
for s in "${sys_list[@]}"; do
  k=$(key_of "$s")
  [[ " ${needed[*]} " == *" $k "* ]] || needed+=("$k")
done

{
  echo "command: $cmdline"
  commit_line
  echo "image: $image ($image_bytes bytes); repeat $repeat; $(nproc) cores; kernel $(uname -r); added delay per request: $delay ms"
  echo "$(cairn --version 2>/dev/null | head -1); $("$nginx_bin" -v 2>&1 | head -1); $(qemu-storage-daemon --version | head -1); $(squashfuse --version 2>&1 | head -1); $(httpdirfs --version 2>&1 | head -1)"
} >"$logs/header.txt"
cat "$logs/header.txt" >&2

for k in "${needed[@]}"; do
  cmd="$(pack_cmd "$k")"
  log "packing: $cmd"
  rm -f "${artifact[$k]}"
  t0=$(now)
  bash -c "$cmd" >"$logs/pack-$k.log" 2>&1 || { tail -5 "$logs/pack-$k.log" >&2; die "packing failed: $cmd"; }
  log "  $(secs "$t0" "$(now)" 1) s, $(stat -c %s "${artifact[$k]}") bytes"
done

# --- the server ------------------------------------------------------------------------------------
# One nginx, configured like Debian's stock nginx.conf (a worker per core, sendfile, tcp_nopush) and
# private to this run, in the way store's test fixture Nginx.java runs it. autoindex gives httpdirfs
# the directory listing it needs.
port=$(python3 "$here/report.py" free-port)
cat >"$web/nginx.conf" <<EOF
user root;
worker_processes auto;
daemon off;
error_log $web/error.log;
pid $web/nginx.pid;
events { worker_connections 512; }
http {
  log_format bench '\$msec \$request_method \$uri \$status \$bytes_sent \$body_bytes_sent "\$http_range"';
  access_log $access bench;
  default_type application/octet-stream;
  sendfile on;
  tcp_nopush on;
  client_body_temp_path $web/tmp;
  proxy_temp_path $web/tmp;
  fastcgi_temp_path $web/tmp;
  uwsgi_temp_path $web/tmp;
  scgi_temp_path $web/tmp;
  server {
    listen 127.0.0.1:$port;
    root $srv;
    autoindex on;
  }
}
EOF
"$nginx_bin" -p "$web" -c "$web/nginx.conf" >"$logs/nginx.out" 2>&1 3>&- &
nginx_pid=$!
base="http://127.0.0.1:$port"
deadline=$((SECONDS + 10))
until curl -sf -o /dev/null "$base/"; do
  if ! alive "$nginx_pid" || [ $SECONDS -ge $deadline ]; then
    die "nginx did not start: $(cat "$logs/nginx.out" "$web/error.log" 2>/dev/null | tail -3)"
  fi
  sleep 0.05
done
# With --delay, everything below reads through the delay proxy (nginx itself is not slowed down).
if [ "$delay" -gt 0 ]; then
  delay_proxy_start "$port"
  proxy_pid=$delay_proxy_pid base=$delay_proxy_base
  curl -sf -o /dev/null "$base/" || die "nothing answers through the delay proxy at $base"
  log "every system reads through $base (+$delay ms per request)"
fi
if [[ " ${needed[*]} " == *" zstd.qcow2 "* ]]; then
  qemu-img info "$base/$(basename "${artifact[zstd.qcow2]}")" >"$logs/qemu-img-info.log" 2>&1 ||
    die "qemu-img info over HTTP failed (is qemu-block-extra, qemu's curl driver, installed?): $(tail -2 "$logs/qemu-img-info.log" | tr '\n' ' ')"
fi

# The first mount with a new jar trains the serving process's class-data archive in the background
# (a user pays that once per install): one untimed mount of a local snapshot gets it done first.
for k in "${needed[@]}"; do
  [[ "$k" == *.cairn ]] || continue
  warm="$mnt_root/warm-up"
  mkdir -p "$warm"
  run warm-up timeout 180 "${cairn_cmd[@]}" mount "${artifact[$k]}" "$warm" || die "cairn mount ${artifact[$k]} failed (see $logs/warm-up.log)"
  head -c 4096 "$warm/$name" >/dev/null || true
  cairn_unmount "$warm" "$(cairn_stats_pid "$warm" || true)" "warm-up:" || die "unmounting $warm failed"
  deadline=$((SECONDS + 120))
  while pgrep -f -- "$logs/cairn.jar.*--cds-" >/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.5; done
  break
done

# --- counting what the server sent -----------------------------------------------------------------
log_mark() { stat -c %s "$access"; }
# quiet: waits until the access log has not grown for 0.5 s (10 s at most), so that requests still
# in flight (read-ahead a read set off) are logged before they are counted.
quiet() {
  local last now_size deadline=$((SECONDS + 10)) still=0
  last=$(log_mark)
  while [ $still -lt 10 ] && [ $SECONDS -lt $deadline ]; do
    sleep 0.05
    now_size=$(log_mark)
    if [ "$now_size" = "$last" ]; then still=$((still + 1)); else still=0 last="$now_size"; fi
  done
}
# fetched FROM: "BYTES_SENT BODY_BYTES REQUESTS" of the access log after byte offset FROM.
fetched() { tail -c +$(($1 + 1)) "$access" | awk '{ b += $5; d += $6; n++ } END { printf "%d %d %d\n", b, d, n }'; }

# --- mounting --------------------------------------------------------------------------------------
# mount_system SYSTEM: mounts it with fresh, empty caches; sets active_sys and active_pids.
mount_system() {
  local sys="$1" mnt mlog="$logs/mount-$1.log" key url pid
  mnt="$(mnt_of "$sys")"
  key=$(key_of "$sys")
  url="$base/${artifact[$key]#"$srv/"}"
  active_sys="$sys" active_pids=()
  case "$sys" in
    qsd-*) mkdir -p "$(dirname "$mnt")"; : >"$mnt" ;; # the export's mount point is a regular file
    *) mkdir -p "$mnt" ;;
  esac
  case "$sys" in
    cairn-*)
      local cache opts=""
      cache=$(mktemp -d "$work/cairn-cache.XXXXXX")
      # JDK_JAVA_OPTIONS adds the switch and keeps scripts/cairn's JVM flags (CAIRN_JAVA_OPTS would
      # replace them, class-data archive included, and slow this row's mount for another reason);
      # the CLI hands -Dcairn.* on to the serving process.
      [[ "$sys" != *-nora ]] || opts="-Dcairn.remote.readAhead=0"
      run_bg env CAIRN_CACHE_DIR="$cache" ${opts:+JDK_JAVA_OPTIONS="$opts"} \
        timeout 180 "${cairn_cmd[@]}" mount "$url" "$mnt" >>"$mlog" 2>&1 || return 1
      pid=$(cairn_stats_pid "$mnt") || pid=""
      [ -z "$pid" ] || active_pids=("$pid") ;;
    qsd-*)
      rm -f "$work/qsd.pid"
      run_bg timeout 180 qemu-storage-daemon \
        --blockdev "driver=http,url=$url,node-name=h,read-only=on" \
        --blockdev driver=qcow2,file=h,node-name=q,read-only=on \
        --export "type=fuse,id=e,node-name=q,mountpoint=$mnt,writable=off" \
        --daemonize --pidfile "$work/qsd.pid" >>"$mlog" 2>&1 || return 1
      pid=$(cat "$work/qsd.pid" 2>/dev/null) || pid=""
      [ -z "$pid" ] || active_pids=("$pid") ;;
    squashfuse-*)
      local hmnt cache_opts=() sqfs
      hmnt="$(http_mnt_of "$sys")"
      mkdir -p "$hmnt"
      [[ "$sys" != *-cache ]] || cache_opts=(--cache --cache-location "$(mktemp -d "$work/httpdirfs-cache.XXXXXX")")
      # --no-range-check: httpdirfs 1.2 wants "Accept-Ranges: bytes" on 206 responses, which nginx
      # (rightly) sends only on 200s; nginx serves ranges all the same.
      run_bg timeout 180 httpdirfs --no-range-check "${cache_opts[@]}" "$base/sqfs/" "$hmnt" >>"$mlog" 2>&1 || return 1
      pid=$(pgrep -x -f "httpdirfs .*$hmnt" | head -1) || pid=""
      [ -z "$pid" ] || active_pids=("$pid")
      sqfs="$hmnt/$(basename "${artifact[$key]}")"
      run_bg timeout 180 squashfuse "$sqfs" "$mnt" >>"$mlog" 2>&1 || return 1
      pid=$(pgrep -x -f "squashfuse $sqfs $mnt" | head -1) || pid=""
      [ -z "$pid" ] || active_pids=("$pid" "${active_pids[@]}") ;;
  esac
  [ ${#active_pids[@]} -gt 0 ] || echo "$sys: serving process not found" >>"$logs/errors.txt"
}
# The offset of repeat R's 4 MiB read: 4 KiB-aligned, in [4 MiB, size - 8 MiB], from a generator
# seeded with R; draws whose 4 MiB of the image hold an all-zero 64 KiB piece are passed over, since
# every system stores zeros as holes and would fetch nothing there (the first draw of --quick's
# image fell into free space).
rand_offset() { python3 "$here/report.py" rand-offset "$((SEED + $1))" "$image"; }
# watched_dd ARGS...: dd ARGS (stderr to $logs/dd.err), stopped by a watchdog when for STALL_S
# seconds neither dd's read count nor the access log moves; returns 124 then. qemu's curl driver
# (7.2) now and then stops answering a read for good, and one stuck peer must not stop the run.
STALL_S=30
watched_dd() {
  local rc=0 wd
  rm -f "$logs/stalled"
  dd "$@" 2>"$logs/dd.err" 3>&- &
  child=$!
  (
    last="" still=0
    while [ -r "/proc/$child/io" ]; do
      sleep 1
      cur="$(awk '/^rchar:/ { print $2 }' "/proc/$child/io" 2>/dev/null) $(log_mark)"
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
  cat "$logs/dd.err" >>"$logs/dd.log"
  return $rc
}

# run_one SYSTEM TEST REPEAT: a fresh mount, first byte, the test, unmount. Records the run's
# figures only when all of it worked. Returns 2 when the test's read stalled (see watched_dd).
run_one() {
  local sys="$1" test="$2" r="$3" file t0 t1 m0 v f fb fbf rc=0
  file="$(file_of "$sys")"
  drop_caches
  m0=$(log_mark)
  t0=$(now)
  if ! mount_system "$sys"; then
    fail "$sys" "$test" "$r" "mount failed: $(tail -3 "$logs/mount-$sys.log" | tr '\n' ' ')"
    unmount_system "$sys" || true
    return 1
  fi
  if ! first_read "$file"; then
    fail "$sys" "$test" "$r" "no 4 KiB read from $file within 120 s of mounting"
    unmount_system "$sys" || true
    return 1
  fi
  t1=$(now)
  fb=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", (b - a) * 1000 }')
  quiet
  read -r fbf _ _ < <(fetched "$m0")

  drop_caches
  m0=$(log_mark)
  echo "+ $sys repeat $r $test" >>"$logs/dd.log"
  case "$test" in
    seq)
      t0=$(now)
      watched_dd if="$file" of=/dev/null bs=1M || rc=$?
      t1=$(now)
      if [ $rc = 0 ]; then
        v=$(awk -v a="$t0" -v b="$t1" -v n="$image_bytes" 'BEGIN { printf "%.1f", n / 1048576 / (b - a) }')
        if [ "$check" = 1 ] && ! grep -q "^$image_bytes bytes" "$logs/dd.err"; then
          fail "$sys" seq "$r" "dd did not read $image_bytes bytes: $(tail -1 "$logs/dd.err")"; rc=1
        else
          quiet
          read -r f _ _ < <(fetched "$m0")
          record "$sys" seq_mib_s "$r" "$v"
          record "$sys" seq_fetch "$r" "$f"
          log "  $sys seq: $v MiB/s, $f bytes fetched"
        fi
      elif [ $rc != 124 ]; then
        fail "$sys" seq "$r" "dd failed: $(tail -2 "$logs/dd.err" | tr '\n' ' ')"; rc=1
      fi ;;
    rand4m)
      local off body n got="$logs/rand4m.bin"
      off=$(rand_offset "$r")
      rm -f "$got"
      t0=$(now)
      watched_dd if="$file" of="$got" bs=1M count=4 skip="$off" iflag=skip_bytes status=none || rc=$?
      t1=$(now)
      if [ $rc = 0 ]; then
        quiet
        read -r f body n < <(fetched "$m0")
        if [ "$check" = 1 ] && ! cmp -s "$got" <(dd if="$image" bs=1M count=4 skip="$off" iflag=skip_bytes status=none); then
          fail "$sys" rand4m "$r" "the 4 MiB read at offset $off differs from the image's bytes"; rc=1
        else
          record "$sys" rand4m_ms "$r" "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", (b - a) * 1000 }')"
          record "$sys" rand4m_fetch "$r" "$f"
          record "$sys" rand4m_body "$r" "$body"
          record "$sys" rand4m_requests "$r" "$n"
          log "  $sys 4 MiB at $off: $f bytes in $n requests"
        fi
      elif [ $rc != 124 ]; then
        fail "$sys" rand4m "$r" "dd of 4 MiB at $off failed: $(tail -2 "$logs/dd.err" | tr '\n' ' ')"; rc=1
      fi ;;
  esac
  if [ $rc = 124 ]; then
    echo "$sys $test (repeat $r): the read stalled (no progress for ${STALL_S} s)" >>"$logs/stalls.txt"
    log "  $sys $test: the read stalled (no progress for ${STALL_S} s)"
    rc=2
  elif [ $rc = 0 ]; then
    record "$sys" first_byte_ms "$r" "$fb"
    record "$sys" first_byte_fetch "$r" "$fbf"
  fi
  unmount_system "$sys" || echo "$sys: unmount after $test was not clean" >>"$logs/errors.txt"
  rm -rf "${work:?}"/*
  return $rc
}

# --- run -------------------------------------------------------------------------------------------
# A run whose read stalled is run once more on a fresh mount; a second stall counts as a failure.
any_fail=0
: >"$logs/stalls.txt"
for ((r = 1; r <= repeat; r++)); do
  ti=0
  for t in "${test_list[@]}"; do
    order=("${sys_list[@]}")
    if (((r - 1 + ti) % 2)); then
      order=()
      for ((k = ${#sys_list[@]} - 1; k >= 0; k--)); do order+=("${sys_list[k]}"); done
    fi
    for s in "${order[@]}"; do
      log "repeat $r/$repeat, $t: $s"
      rc=0
      run_one "$s" "$t" "$r" || rc=$?
      if [ $rc = 2 ]; then
        log "repeat $r/$repeat, $t: $s again, on a fresh mount"
        rc=0
        run_one "$s" "$t" "$r" || rc=$?
        [ $rc != 2 ] || fail "$s" "$t" "$r" "the read stalled twice (no progress for ${STALL_S} s)"
      fi
      [ $rc = 0 ] || any_fail=1
    done
    ti=$((ti + 1))
  done
done

# --- report ----------------------------------------------------------------------------------------
sizes=""
for k in "${needed[@]}"; do sizes+="$k=$(stat -c %s "${artifact[$k]}") "; done
report remote "$image" "$image_bytes" "$repeat" "$caches" "$quick" "$cmdline" "$sizes" "$zstd_level" "$systems"
if [ "$json_only" = 1 ]; then cat "$table" >&2; cat "$json"; else cat "$table"; fi
log "results: $table, $json; logs: $logs"
[ "$any_fail" = 0 ] || status=1
exit "$status"
