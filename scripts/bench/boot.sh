#!/usr/bin/env bash
# Boot benchmark (issue 15): a QEMU guest boots a Debian image (testimages/make-bootable.sh) to its
# own userland, its root disk read through each system, all in one run so that the ratios hold on a
# noisy machine. The guest's init prints CAIRN-BOOT-USERLAND when userland starts and
# CAIRN-BOOT-DONE after a boot's worth of reads (programs, libraries, configuration), then powers
# off. QEMU runs under TCG (no KVM here), so boot times are long; the ratios are what count.
#
# Systems (the image served by one nginx on 127.0.0.1; with --delay MS, through
# scripts/bench/delayproxy.py, which adds MS to every request):
#   raw            the raw image, a local file (the baseline every ratio is against)
#   qemu-curl      QEMU's own curl driver on a zstd qcow2 of the image over HTTP
#                  (-drive file=http://…/boot.qcow2,format=qcow2) — what qemu-storage-daemon's curl
#                  export does, without the FUSE hop
#   cairn-cold     cairn mount http://…/boot.cairn with a fresh cache and --profile none
#   cairn-profile  the same with a fresh cache and the profile that an earlier (untimed) boot
#                  recorded (--record-profile), published next to the snapshot as boot.cairn.profile
#   cairn-warm     a second boot on the cache cairn-profile left: should fetch nothing
#   cairn-offline  cairn fetch URL into a fresh cache, then nginx stopped, then mount and boot
# Every run: page cache dropped, a fresh mount. Reported per system: time to userland, time to
# done (from starting QEMU; cairn systems also with their mount), bytes of the image fetched from
# nginx during the boot (headers included; the one-byte probes that open a remote object and the
# profile file itself not counted) and as a percentage of the image.
# Targets (issue 15, with --delay 50): cairn-profile done <= 1.1 x raw; its bytes < 5% of the
# image; cairn-warm fetches 0 bytes; cairn-offline boots.
# Exit: 0 every boot worked and targets met, 3 a target missed, 1 a boot or tool failed, 2 usage.
set -euo pipefail

here="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)"
root="$(cd "$here/../.." && pwd)"
out="$here/out"
# shellcheck source=scripts/lib.sh
. "$root/scripts/lib.sh"

ALL_SYSTEMS="raw,qemu-curl,cairn-cold,cairn-profile,cairn-warm,cairn-offline"

usage() {
  cat <<EOF
usage: $(basename "$0") [-h] [--json] [--delay MS] [--repeat N] [--systems LIST] [--timeout S]
  Boot a Debian guest under QEMU from the same image through each system and time it.
  The image is testimages/build/boot/ (built by testimages/make-bootable.sh when absent).
  --delay MS       put the HTTP systems behind a proxy adding MS ms per request (default 0)
  --repeat N       boot each system N times, report the median (default 1)
  --systems LIST   comma-separated subset of $ALL_SYSTEMS
  --timeout S      give up on a boot after S seconds (default 240; QEMU 7.2's curl driver
                   sometimes stops answering mid-boot: that boot is then a failure)
  --json           print one JSON object on stdout (the table goes to stderr)
Exit: 0 targets met, 3 a target missed, 1 a boot or tool failed, 2 usage. Needs root.
EOF
}

command_line "$@"
json_only=0 delay=0 repeat=1 systems="$ALL_SYSTEMS" timeout_s=240 image=""
value_opts=(--delay=delay --repeat=repeat --systems=systems --timeout=timeout_s)
flag_opts=("--json json_only=1")
parse_args "$@"
[ -z "$image" ] || bad "no IMAGE argument: the image is testimages/build/boot/rootfs.img"
[[ "$delay" =~ ^[0-9]+$ ]] || bad "--delay needs milliseconds"
need_positive --repeat "$repeat"
need_positive --timeout "$timeout_s"
IFS=, read -r -a sys_list <<<"$systems"
for s in "${sys_list[@]}"; do [[ ",$ALL_SYSTEMS," == *",$s,"* ]] || bad "unknown system $s"; done
exec 3>&2
log_fd=3
need_root "mounting, dropping the page cache and nginx need it"
ensure_packages nginx qemu-system-x86 qemu-utils qemu-block-extra fuse libfuse2
command -v python3 >/dev/null 2>&1 || ensure_packages python3

boot="$root/testimages/build/boot"
if [ ! -f "$boot/rootfs.img" ]; then
  log "building $boot with testimages/make-bootable.sh"
  "$root/testimages/make-bootable.sh" "$boot" >&2 || die "make-bootable.sh failed"
fi
image="$boot/rootfs.img"
image_bytes=$(stat -c %s "$image")

logs="$out/boot-logs"
srv="$out/boot-srv"
web="$out/boot-nginx"
mnt_root="$out/boot-mnt"
rm -rf "$logs" "$web"
mkdir -p "$logs" "$srv" "$web/tmp" "$mnt_root"
: >"$logs/results.tsv"
: >"$logs/errors.txt"
private_jar "$logs"
export CAIRN_SERVER=0 # one process per mount: each boot starts from nothing

nginx_pid="" proxy_pid="" mounted="" child=""
# shellcheck disable=SC2317  # invoked by the trap
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [ -n "$child" ]; then kill -TERM "$child" 2>/dev/null || true; fi
  if [ -n "$mounted" ] && is_mounted "$mounted"; then
    "${cairn_cmd[@]}" umount "$mounted" >/dev/null 2>&1 || umount -l "$mounted" 2>/dev/null || true
  fi
  stop_server
  exit "$rc"
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT TERM

# --- artifacts ---------------------------------------------------------------------------------------
if [ ! -f "$srv/boot.cairn" ] || [ "$srv/boot.cairn" -ot "$image" ]; then
  log "packing: cairn pack (zstd) and qemu-img convert (qcow2, zstd)"
  rm -f "$srv/boot.cairn" "$srv/boot.cairn.profile"
  cairn pack "$image" -o "$srv/boot.cairn" --codec zstd >"$logs/pack.log" 2>&1 || die "cairn pack failed"
  qemu-img convert -c -O qcow2 -o compression_type=zstd "$image" "$srv/boot.qcow2" || die "qemu-img failed"
fi

# --- the server --------------------------------------------------------------------------------------
port=""
start_server() {
  local deadline
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  cat >"$web/nginx.conf" <<EOF
worker_processes 2;
daemon off;
error_log $web/error.log;
pid $web/nginx.pid;
events { worker_connections 256; }
http {
  log_format cairn '\$bytes_sent \$status \$uri \$http_range';
  access_log $web/access.log cairn;
  sendfile on; tcp_nopush on; keepalive_requests 100000;
  client_body_temp_path $web/tmp; proxy_temp_path $web/tmp; fastcgi_temp_path $web/tmp;
  uwsgi_temp_path $web/tmp; scgi_temp_path $web/tmp;
  server { listen 127.0.0.1:$port; root $srv; }
}
EOF
  nginx -p "$web" -c "$web/nginx.conf" >"$logs/nginx.out" 2>&1 3>&- &
  nginx_pid=$!
  deadline=$((SECONDS + 10))
  until (exec 9<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do
    if ! alive "$nginx_pid" || [ $SECONDS -ge $deadline ]; then die "nginx did not start"; fi
    sleep 0.05
  done
  base="http://127.0.0.1:$port"
  if [ "$delay" -gt 0 ]; then
    [ -f "$here/delayproxy.py" ] || die "--delay needs scripts/bench/delayproxy.py"
    python3 "$here/delayproxy.py" --backend "127.0.0.1:$port" --delay "$delay" >"$logs/proxy.out" 2>&1 3>&- &
    proxy_pid=$!
    deadline=$((SECONDS + 10))
    until grep -q "listening on" "$logs/proxy.out" 2>/dev/null; do
      if ! alive "$proxy_pid" || [ $SECONDS -ge $deadline ]; then die "delay proxy did not start"; fi
      sleep 0.05
    done
    base="http://$(sed -n 's/^listening on //p' "$logs/proxy.out" | head -1)"
  fi
}
stop_server() {
  if [ -n "$proxy_pid" ]; then kill -TERM "$proxy_pid" 2>/dev/null || true; wait "$proxy_pid" 2>/dev/null || true; proxy_pid=""; fi
  if [ -n "$nginx_pid" ]; then kill -TERM "$nginx_pid" 2>/dev/null || true; wait "$nginx_pid" 2>/dev/null || true; nginx_pid=""; fi
}
sent_mark() { stat -c %s "$web/access.log" 2>/dev/null || echo 0; }
# sent_since MARK: bytes nginx sent for the image since MARK: every request of boot.cairn or
# boot.qcow2 but the one-byte probes that open a remote object (size and validator); the profile
# (boot.cairn.profile, a few KiB) is not image data either.
sent_since() {
  tail -c +$(($1 + 1)) "$web/access.log" 2>/dev/null |
    awk '($3 == "/boot.cairn" || $3 == "/boot.qcow2") && $4 != "bytes=0-0" { b += $1 } END { print b + 0 }'
}

# --- one boot ----------------------------------------------------------------------------------------
# boot_qemu NAME DRIVE: boots, writes "userland done" seconds (from $t0) to $logs/NAME.times.
boot_qemu() {
  local name="$1" drive="$2" t_user="" t_done="" line rc=0
  {
    timeout "$timeout_s" qemu-system-x86_64 -machine q35 -accel tcg -cpu max -m 1024 -smp 2 \
      -nographic -no-reboot -nic none \
      -kernel "$boot/vmlinuz" -initrd "$boot/initrd.img" \
      -append "console=ttyS0 root=/dev/vda ro rootfstype=ext4 init=/sbin/cairn-boot quiet" \
      -drive "$drive" 2>&1 || echo "QEMU-EXIT $?"
  } | while IFS= read -r line; do
    printf '%s %s\n' "$EPOCHREALTIME" "$line"
  done >"$logs/$name.console"
  t_user=$(awk '/CAIRN-BOOT-USERLAND/ { print $1; exit }' "$logs/$name.console")
  t_done=$(awk '/CAIRN-BOOT-DONE/ { print $1; exit }' "$logs/$name.console")
  if [ -z "$t_user" ] || [ -z "$t_done" ]; then rc=1; fi
  echo "$t_user $t_done" >"$logs/$name.times"
  return $rc
}

run_system() { # SYSTEM REPEAT
  local sys="$1" r="$2" name="$1-$2" t0 mark drive mnt="$mnt_root/$1" cache sent t_user t_done
  drop_caches
  cache="$out/boot-cache-$sys"
  case "$sys" in
    cairn-cold | cairn-profile | cairn-offline) rm -rf "$cache"; mkdir -p "$cache" ;;
  esac
  if [ "$sys" = cairn-offline ]; then
    CAIRN_CACHE_DIR="$cache" cairn fetch "$base/boot.cairn" >"$logs/$name-fetch.log" 2>&1 || { fail "$sys" boot "$r" "cairn fetch failed"; return 0; }
    stop_server
  fi
  mark=$(sent_mark)
  t0=$(now)
  case "$sys" in
    raw) drive="file=$image,format=raw,readonly=on,if=virtio" ;;
    qemu-curl) drive="file=$base/boot.qcow2,format=qcow2,readonly=on,if=virtio" ;;
    cairn-*)
      mkdir -p "$mnt"
      local extra=()
      [ "$sys" != cairn-cold ] || extra=(--profile none)
      CAIRN_CACHE_DIR="$cache" cairn mount "$base/boot.cairn" "$mnt" "${extra[@]}" >"$logs/$name-mount.log" 2>&1 ||
        { fail "$sys" boot "$r" "cairn mount failed: $(tail -1 "$logs/$name-mount.log")"; [ "$sys" != cairn-offline ] || start_server; return 0; }
      mounted="$mnt"
      drive="file=$mnt/rootfs.img,format=raw,readonly=on,if=virtio" ;;
  esac
  log "boot $r/$repeat: $sys"
  if ! boot_qemu "$name" "$drive"; then
    fail "$sys" boot "$r" "no marker on the console (see $logs/$name.console)"
  else
    read -r t_user t_done <"$logs/$name.times"
    sent=$(sent_since "$mark")
    record "$sys" userland "$r" "$(secs "$t0" "$t_user")"
    record "$sys" "done" "$r" "$(secs "$t0" "$t_done")"
    record "$sys" fetched "$r" "$sent"
    log "  $sys: userland $(secs "$t0" "$t_user") s, done $(secs "$t0" "$t_done") s, fetched $sent bytes"
  fi
  if [ -n "$mounted" ]; then
    "${cairn_cmd[@]}" umount "$mounted" >>"$logs/umount.log" 2>&1 || umount -l "$mounted" || true
    mounted=""
  fi
  [ "$sys" != cairn-offline ] || start_server
}

start_server
# The profile: one untimed boot through a recording mount, published next to the snapshot.
if [[ ",$systems," == *",cairn-profile,"* || ",$systems," == *",cairn-warm,"* ]] && [ ! -s "$srv/boot.cairn.profile" ]; then
  log "recording the profile (one untimed boot)"
  rec_mnt="$mnt_root/record"
  mkdir -p "$rec_mnt"
  rm -rf "$out/boot-cache-record"
  CAIRN_CACHE_DIR="$out/boot-cache-record" cairn mount "$base/boot.cairn" "$rec_mnt" --profile none \
    --record-profile "$srv/boot.cairn.profile" >"$logs/record-mount.log" 2>&1 || die "recording mount failed"
  mounted="$rec_mnt"
  boot_qemu record "file=$rec_mnt/rootfs.img,format=raw,readonly=on,if=virtio" || die "the recording boot failed"
  "${cairn_cmd[@]}" umount "$rec_mnt" >>"$logs/umount.log" 2>&1
  mounted=""
  [ -s "$srv/boot.cairn.profile" ] || die "no profile recorded"
fi

for r in $(seq "$repeat"); do
  for s in "${sys_list[@]}"; do
    # cairn-warm boots on the cache cairn-profile left
    if [ "$s" = cairn-warm ] && [ ! -d "$out/boot-cache-cairn-profile" ]; then run_system cairn-profile "$r"; fi
    if [ "$s" = cairn-warm ]; then rm -rf "$out/boot-cache-cairn-warm"; cp -a "$out/boot-cache-cairn-profile" "$out/boot-cache-cairn-warm"; fi
    run_system "$s" "$r"
  done
done
stop_server

# --- report ------------------------------------------------------------------------------------------
status=0
python3 - "$logs/results.tsv" "$image_bytes" "$delay" "$json_only" "$cmdline" "$(commit_line)" <<'PY' || status=$?
import json, statistics, sys
tsv, image_bytes, delay, json_only, cmdline, commit = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4] == "1", sys.argv[5], sys.argv[6]
vals = {}
failed = set()
for line in open(tsv):
    s, t, r, v = line.rstrip("\n").split("\t")
    if v == "FAIL":
        failed.add(s)
        continue
    vals.setdefault((s, t), []).append(float(v))
systems = []
for (s, _t) in vals:
    if s not in systems:
        systems.append(s)
med = {k: statistics.median(v) for k, v in vals.items()}
out = sys.stderr if json_only else sys.stdout
print(f"command: {cmdline}\n{commit}\nimage: {image_bytes} bytes; delay per request: {delay} ms", file=out)
print(f"{'system':16}{'userland s':>12}{'done s':>10}{'done/raw':>10}{'fetched MiB':>13}{'% of image':>12}", file=out)
raw = med.get(("raw", "done"))
result = {"delay_ms": delay, "image_bytes": image_bytes, "systems": {}}
for s in systems:
    u, d, f = med.get((s, "userland")), med.get((s, "done")), med.get((s, "fetched"), 0)
    ratio = d / raw if raw and d else None
    pct = 100.0 * f / image_bytes if s not in ("raw",) else None
    print(f"{s:16}{u:12.2f}{d:10.2f}{(ratio or 0):10.2f}{f / 1048576:13.1f}{(pct if pct is not None else 0):12.2f}", file=out)
    result["systems"][s] = {"userland_s": u, "done_s": d, "done_over_raw": ratio, "fetched_bytes": f}
for s in sorted(failed):
    print(f"{s:16} FAILED (see boot-logs/errors.txt)", file=out)
targets = []
if delay >= 50 and ("cairn-profile", "done") in med and raw:
    targets.append(("cairn-profile done <= 1.1 x raw", med[("cairn-profile", "done")] / raw <= 1.1))
    targets.append(("cairn-profile fetched < 5% of image", med[("cairn-profile", "fetched")] < 0.05 * image_bytes))
if ("cairn-warm", "fetched") in med:
    targets.append(("cairn-warm fetched 0 bytes", med[("cairn-warm", "fetched")] == 0))
if "cairn-offline" in [s for (s, _t) in vals] or "cairn-offline" in failed:
    targets.append(("cairn-offline boots with the server stopped", "cairn-offline" not in failed))
for name, ok in targets:
    print(f"  {name:50} {'pass' if ok else 'MISSED'}", file=out)
result["targets"] = {n: ok for n, ok in targets}
if json_only:
    print(json.dumps(result))
sys.exit(1 if failed else (3 if any(not ok for _n, ok in targets) else 0))
PY
exit "$status"
