#!/usr/bin/env bash
# Boot benchmark (issue 15): a QEMU guest boots a Debian image (testimages/make-bootable.sh) to its
# own userland, its root disk read through each system, all in one run so that the ratios hold on a
# noisy machine. The guest's init prints CAIRN-BOOT-USERLAND when userland starts and
# CAIRN-BOOT-DONE after a boot's worth of reads (programs, libraries, configuration), then powers
# off. QEMU runs under TCG (no KVM here), so boot times are long; the ratios are what count.
#
# Systems (the image served by one nginx on 127.0.0.1; with --delay MS, through
# scripts/bench/delayproxy.py, which adds MS to every request):
#   raw             the raw image, a local file (the baseline every ratio is against)
#   qemu-curl       QEMU's own curl driver on a zstd qcow2 of the image over HTTP
#                   (-drive file=http://…/boot.qcow2,format=qcow2) — what qemu-storage-daemon's
#                   curl export does, without the FUSE hop. Cold: QEMU keeps nothing between boots.
#   squashfuse-http the image inside a squashfs (mksquashfs -comp zstd, sqfs/boot.sqfs on the same
#                   nginx), the HTTP directory mounted by httpdirfs (its defaults: no disk cache, one
#                   request per FUSE read; --no-range-check as in remote.sh), squashfuse on the file
#                   in it, QEMU on the raw file inside. Always cold: both mounts are fresh and keep
#                   nothing on disk, so a second boot fetches the same again.
#   squashfuse-http-cache  the same with httpdirfs --cache (8 MiB segments kept on disk, the
#                   counterpart of Cairn's chunk cache) in a fresh, empty --cache-location: cold.
#                   There is no warm row (a boot on a used cache) and no profile: squashfs has none.
#   cairn-cold      cairn mount URL with a fresh cache and --profile none
#   cairn-profile   the same with a fresh cache and the profile that an earlier (untimed) boot
#                   recorded (--record-profile), published next to the snapshot as boot.cairn.profile
#   cairn-warm      a second boot on the cache cairn-profile left: should fetch nothing
#   cairn-offline   cairn fetch URL into a fresh cache, then the server stopped, then mount and boot
# URL is http://…/boot.cairn, or with --via s3 s3://cairn-bench/boot.cairn: an S3Proxy (filesystem
# backend, SigV4, on loopback; the jar the store tests run) started by this script, reached through
# the same nginx (which passes requests on and logs them) and, with --delay, the same delay proxy;
# the snapshot and its profile are uploaded to the bucket (boot.cairn, boot.cairn.profile). --via
# changes only the cairn systems; qemu-curl and squashfuse-http(-cache) read over HTTP either way.
# The servers (nginx, S3Proxy, the delay proxy) run at nice 19 (fleet_nice in scripts/lib.sh): they
# stand in for machines across the network, and a guest under TCG keeps this machine's two cores
# busy, so at equal priority every system's boot would also pay for serving its own requests.
# Every run: page cache dropped, a fresh mount. Reported per system: for cairn, the time `cairn
# mount` took (a serving process of its own per boot: CAIRN_SERVER=0) and the time its reads of
# 10 ms or more took ("waits": slow_read_ms of the mount's stats.json, reads that waited for a
# fetch, as a rule); time to userland, time to
# done (from starting the mount, or QEMU for raw and qemu-curl), bytes of the image fetched from
# nginx during the boot (headers included; HEADs, the one-byte probes that open a remote object,
# directory listings and the profile file itself not counted; over S3 the same nginx log counts
# what S3Proxy sent) and as a percentage of the image.
# Targets (issue 15, with --delay 50): cairn-profile done <= 1.1 x raw; its bytes < 5% of the
# image; cairn-warm fetches 0 bytes; cairn-offline boots.
# Exit: 0 every boot worked and targets met, 3 a target missed, 1 a boot or tool failed, 2 usage.
set -euo pipefail

here="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)"
root="$(cd "$here/../.." && pwd)"
out="$here/out"
# shellcheck source=scripts/lib.sh
. "$root/scripts/lib.sh"

ALL_SYSTEMS="raw,qemu-curl,squashfuse-http,squashfuse-http-cache,cairn-cold,cairn-profile,cairn-warm,cairn-offline"

usage() {
  cat <<EOF
usage: $(basename "$0") [-h] [--json] [--delay MS] [--via http|s3] [--repeat N] [--systems LIST]
       [--timeout S]
  Boot a Debian guest under QEMU from the same image through each system and time it.
  The image is testimages/build/boot/ (built by testimages/make-bootable.sh when absent).
  --delay MS       put the remote systems behind a proxy adding MS ms per request (default 0)
  --via http|s3    where the cairn systems read the snapshot: nginx over HTTP (default), or
                   s3://cairn-bench/boot.cairn from an S3Proxy this script starts
  --repeat N       boot each system N times, report the median (default 1)
  --systems LIST   comma-separated subset of $ALL_SYSTEMS
  --timeout S      give up on a boot after S seconds (default 240; QEMU 7.2's curl driver
                   sometimes stops answering mid-boot: that boot is then a failure; a QEMU
                   that ignores SIGTERM gets SIGKILL 15 s later)
  --json           print one JSON object on stdout (the table goes to stderr)
Exit: 0 targets met, 3 a target missed, 1 a boot or tool failed, 2 usage. Needs root.
EOF
}

command_line "$@"
json_only=0 delay=0 repeat=1 systems="$ALL_SYSTEMS" timeout_s=240 image="" via=http
value_opts=(--delay=delay --via=via --repeat=repeat --systems=systems --timeout=timeout_s)
flag_opts=("--json json_only=1")
parse_args "$@"
[ -z "$image" ] || bad "no IMAGE argument: the image is testimages/build/boot/rootfs.img"
[[ "$delay" =~ ^[0-9]+$ ]] || bad "--delay needs milliseconds"
[ "$via" = http ] || [ "$via" = s3 ] || bad "--via needs http or s3"
need_positive --repeat "$repeat"
need_positive --timeout "$timeout_s"
IFS=, read -r -a sys_list <<<"$systems"
for s in "${sys_list[@]}"; do [[ ",$ALL_SYSTEMS," == *",$s,"* ]] || bad "unknown system $s"; done
exec 3>&2
log_fd=3
need_root "mounting, dropping the page cache and nginx need it"
ensure_packages nginx qemu-system-x86 qemu-utils qemu-block-extra fuse libfuse2 squashfs-tools \
  squashfuse httpdirfs curl
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
fleet_nice=1          # the servers at nice 19: see the header

mounted="" fuse_mounts=() child="" profile_published=0
# shellcheck disable=SC2317  # invoked by the trap
cleanup() {
  local rc=$? m
  trap - EXIT INT TERM
  if [ -n "$child" ]; then kill -TERM "$child" 2>/dev/null || true; fi
  if [ -n "$mounted" ] && is_mounted "$mounted"; then
    "${cairn_cmd[@]}" umount "$mounted" >/dev/null 2>&1 || umount -l "$mounted" 2>/dev/null || true
  fi
  for m in "${fuse_mounts[@]}"; do
    if is_mounted "$m"; then umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true; fi
  done
  stop_server
  exit "$rc"
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT TERM
for s in ${ALL_SYSTEMS//,/ } record warm-up; do unmount_stale "$mnt_root/$s" "$mnt_root/$s-http"; done

# --- artifacts ---------------------------------------------------------------------------------------
if [ ! -f "$srv/boot.cairn" ] || [ "$srv/boot.cairn" -ot "$image" ]; then
  log "packing: cairn pack (zstd) and qemu-img convert (qcow2, zstd)"
  rm -f "$srv/boot.cairn" "$srv/boot.cairn.profile"
  cairn pack "$image" -o "$srv/boot.cairn" --codec zstd >"$logs/pack.log" 2>&1 || die "cairn pack failed"
  qemu-img convert -c -O qcow2 -o compression_type=zstd "$image" "$srv/boot.qcow2" || die "qemu-img failed"
fi
if [ ! -f "$srv/sqfs/boot.sqfs" ] || [ "$srv/sqfs/boot.sqfs" -ot "$image" ]; then
  log "packing: mksquashfs (zstd)"
  mkdir -p "$srv/sqfs"
  mksquashfs "$image" "$srv/sqfs/boot.sqfs" -comp zstd -noappend -no-progress -quiet >"$logs/mksquashfs.log" 2>&1 ||
    die "mksquashfs failed (see $logs/mksquashfs.log)"
fi

# --- the server --------------------------------------------------------------------------------------
# nginx (+ S3Proxy with --via s3, + the delay proxy): fleet_server_start in scripts/lib.sh.
start_server() {
  fleet_serve_snapshot boot.cairn
  warm_s3proxy
}
# warm_s3proxy: with --via s3 and a published profile, two untimed mounts that fetch the profile
# (until fetch_done) and unmount. S3Proxy is a JVM started by this script on the two cores the
# guest runs on: fresh, it compiles its request path during the first timed boot that asks it for
# the profile's 800-odd pieces, and that CPU is the fixture's, not the client's (a real S3 endpoint
# is not a process just started on the node). Run again after cairn-offline restarts it.
warm_s3proxy() {
  [ "$via" = s3 ] && [ "$profile_published" = 1 ] || return 0
  local w="$mnt_root/warm-up" _
  mkdir -p "$w"
  for _ in 1 2; do
    rm -rf "$out/boot-cache-warm-up"
    CAIRN_CACHE_DIR="$out/boot-cache-warm-up" cairn mount "$cairn_url" "$w" >>"$logs/warm-up.log" 2>&1 ||
      die "the S3Proxy warm-up mount failed (see $logs/warm-up.log)"
    mounted="$w"
    python3 - "$w/.cairn/stats.json" <<'PY' || die "the S3Proxy warm-up fetch did not finish (see $logs/warm-up.log)"
import json, sys, time
deadline = time.time() + 120
while time.time() < deadline:
    p = json.load(open(sys.argv[1])).get("profile", {})
    if p.get("fetch_error"):
        sys.exit(1)
    if p.get("fetch_done"):
        sys.exit(0)
    time.sleep(0.1)
sys.exit(1)
PY
    "${cairn_cmd[@]}" umount "$w" >>"$logs/umount.log" 2>&1
    mounted=""
  done
  rm -rf "$out/boot-cache-warm-up"
}
stop_server() { fleet_server_stop; }
sent_mark() { fleet_sent_mark; }
# sent_since MARK: bytes nginx sent of the image's forms (boot.cairn, boot.qcow2, boot.sqfs) since
# MARK (see fleet_sent_since); the profile (boot.cairn.profile, a few KiB) is not image data.
sent_since() { fleet_sent_since "$1" boot.cairn boot.qcow2 boot.sqfs; }

# --- one boot ----------------------------------------------------------------------------------------
# boot_qemu NAME DRIVE: boots, writes "userland done" seconds (from $t0) to $logs/NAME.times.
boot_qemu() {
  local name="$1" drive="$2" t_user="" t_done="" line rc=0
  {
    timeout -k 15 "$timeout_s" qemu-system-x86_64 -machine q35 -accel tcg -cpu max -m 1024 -smp 2 \
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
    CAIRN_CACHE_DIR="$cache" cairn fetch "$cairn_url" >"$logs/$name-fetch.log" 2>&1 || { fail "$sys" boot "$r" "cairn fetch failed"; return 0; }
    stop_server
  fi
  mark=$(sent_mark)
  t0=$(now)
  case "$sys" in
    raw) drive="file=$image,format=raw,readonly=on,if=virtio" ;;
    qemu-curl) drive="file=$base/boot.qcow2,format=qcow2,readonly=on,if=virtio" ;;
    squashfuse-http*)
      local hmnt="$mnt_root/$sys-http" hcache=()
      mkdir -p "$hmnt" "$mnt"
      if [ "$sys" = squashfuse-http-cache ]; then
        rm -rf "$cache"; mkdir -p "$cache"
        hcache=(--cache --cache-location "$cache")
      fi
      # --no-range-check: httpdirfs wants "Accept-Ranges: bytes" on 206 responses, which nginx
      # sends only on 200s; it serves ranges all the same.
      if ! httpdirfs --no-range-check "${hcache[@]}" "$base/sqfs/" "$hmnt" >"$logs/$name-mount.log" 2>&1; then
        fail "$sys" boot "$r" "httpdirfs failed: $(tail -1 "$logs/$name-mount.log")"; return 0
      fi
      fuse_mounts=("$mnt" "$hmnt")
      if ! squashfuse "$hmnt/boot.sqfs" "$mnt" >>"$logs/$name-mount.log" 2>&1; then
        fail "$sys" boot "$r" "squashfuse failed: $(tail -1 "$logs/$name-mount.log")"; unmount_fuse; return 0
      fi
      drive="file=$mnt/rootfs.img,format=raw,readonly=on,if=virtio" ;;
    cairn-*)
      mkdir -p "$mnt"
      local extra=()
      [ "$sys" != cairn-cold ] || extra=(--profile none)
      CAIRN_CACHE_DIR="$cache" cairn mount "$cairn_url" "$mnt" "${extra[@]}" >"$logs/$name-mount.log" 2>&1 ||
        { fail "$sys" boot "$r" "cairn mount failed: $(tail -1 "$logs/$name-mount.log")"; [ "$sys" != cairn-offline ] || start_server; return 0; }
      mounted="$mnt"
      record "$sys" mount "$r" "$(secs "$t0" "$(now)" 3)"
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
    # the mount's counters (requests, bytes, profile fetch) as they stand at the end of the boot
    cp "$mounted/.cairn/stats.json" "$logs/$name-stats.json" 2>/dev/null || true
    if [ -s "$logs/$name-stats.json" ]; then
      record "$sys" waits "$r" "$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["slow_read_ms"] / 1000)' "$logs/$name-stats.json")"
    fi
    "${cairn_cmd[@]}" umount "$mounted" >>"$logs/umount.log" 2>&1 || umount -l "$mounted" || true
    mounted=""
  fi
  unmount_fuse
  [ "$sys" != cairn-offline ] || start_server
}
# unmount_fuse: unmounts squashfuse-http's two mounts (squashfuse first: it reads from httpdirfs).
unmount_fuse() {
  local m
  for m in "${fuse_mounts[@]}"; do
    if is_mounted "$m"; then umount "$m" 2>>"$logs/umount.log" || umount -l "$m" || true; fi
  done
  fuse_mounts=()
}

start_server
# the serving process's class-data archive for remote mounts, before any timed one (lib.sh)
if [[ ",$systems," == *",cairn-"* ]]; then serve_archive "$logs" "$cairn_url"; fi
# The profile: one untimed boot through a recording mount, published next to the snapshot.
if [[ ",$systems," == *",cairn-profile,"* || ",$systems," == *",cairn-warm,"* ]] && [ ! -s "$srv/boot.cairn.profile" ]; then
  log "recording the profile (one untimed boot)"
  rec_mnt="$mnt_root/record"
  mkdir -p "$rec_mnt"
  rm -rf "$out/boot-cache-record"
  CAIRN_CACHE_DIR="$out/boot-cache-record" cairn mount "$cairn_url" "$rec_mnt" --profile none \
    --record-profile "$srv/boot.cairn.profile" >"$logs/record-mount.log" 2>&1 || die "recording mount failed"
  mounted="$rec_mnt"
  boot_qemu record "file=$rec_mnt/rootfs.img,format=raw,readonly=on,if=virtio" || die "the recording boot failed"
  "${cairn_cmd[@]}" umount "$rec_mnt" >>"$logs/umount.log" 2>&1
  mounted=""
  [ -s "$srv/boot.cairn.profile" ] || die "no profile recorded"
fi
# published next to the snapshot: nginx serves $srv; S3 needs it in the bucket
if [ "$via" = s3 ] && [ -s "$srv/boot.cairn.profile" ]; then
  s3_put "$srv/boot.cairn.profile" boot.cairn.profile
  profile_published=1
  warm_s3proxy
fi

# the repeat whose cairn-profile boot left its cache, in this run: an older run's cache may come
# from another URL (--via), which a mount does not take for this one
profile_run=""
for r in $(seq "$repeat"); do
  for s in "${sys_list[@]}"; do
    # cairn-warm boots on the cache cairn-profile left
    if [ "$s" = cairn-warm ] && [ "$profile_run" != "$r" ]; then run_system cairn-profile "$r"; profile_run="$r"; fi
    if [ "$s" = cairn-warm ]; then rm -rf "$out/boot-cache-cairn-warm"; cp -a "$out/boot-cache-cairn-profile" "$out/boot-cache-cairn-warm"; fi
    run_system "$s" "$r"
    [ "$s" != cairn-profile ] || profile_run="$r"
  done
done
stop_server

# --- report ------------------------------------------------------------------------------------------
status=0
python3 - "$logs/results.tsv" "$image_bytes" "$delay" "$json_only" "$cmdline" "$(commit_line)" "$via" <<'PY' || status=$?
import json, statistics, sys
tsv, image_bytes, delay, json_only, cmdline, commit, via = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4] == "1", sys.argv[5], sys.argv[6], sys.argv[7]
vals = {}
by_repeat = {}
failed = set()
for line in open(tsv):
    s, t, r, v = line.rstrip("\n").split("\t")
    if v == "FAIL":
        failed.add(s)
        continue
    vals.setdefault((s, t), []).append(float(v))
    by_repeat[(s, t, r)] = float(v)
systems = []
for (s, _t) in vals:
    if s not in systems:
        systems.append(s)
med = {k: statistics.median(v) for k, v in vals.items()}
out = sys.stderr if json_only else sys.stdout
print(f"command: {cmdline}\n{commit}\nimage: {image_bytes} bytes; delay per request: {delay} ms; cairn reads via {via}", file=out)
print(f"{'system':22}{'mount s':>9}{'waits s':>9}{'userland s':>12}{'done s':>10}{'done/raw':>10}{'fetched MiB':>13}{'% of image':>12}", file=out)
raw = med.get(("raw", "done"))
result = {"delay_ms": delay, "via": via, "image_bytes": image_bytes, "systems": {}}
for s in systems:
    u, d, f, m = med.get((s, "userland")), med.get((s, "done")), med.get((s, "fetched"), 0), med.get((s, "mount"))
    w = med.get((s, "waits"))
    ratio = d / raw if raw and d else None
    pct = 100.0 * f / image_bytes if s not in ("raw",) else None
    print(f"{s:22}{(f'{m:.2f}' if m is not None else '-'):>9}{(f'{w:.2f}' if w is not None else '-'):>9}{u:12.2f}{d:10.2f}{(ratio or 0):10.2f}{f / 1048576:13.1f}{(pct if pct is not None else 0):12.2f}", file=out)
    result["systems"][s] = {"mount_s": m, "slow_reads_s": w, "userland_s": u, "done_s": d, "done_over_raw": ratio, "fetched_bytes": f}
for s in sorted(failed):
    print(f"{s:22} FAILED (see boot-logs/errors.txt)", file=out)
# Each repeat's boot against the raw boot of the same repeat, minutes apart: on a noisy machine a
# steadier figure than the medians' ratio above, which the targets use.
repeats = sorted({r for (_s, _t, r) in by_repeat}, key=int)
if len(repeats) > 1:
    for s in systems:
        pairs = [by_repeat[(s, "done", r)] / by_repeat[("raw", "done", r)] for r in repeats
                 if s != "raw" and (s, "done", r) in by_repeat and ("raw", "done", r) in by_repeat]
        if pairs:
            print(f"  {s} done / the same repeat's raw: {' '.join(f'{x:.2f}' for x in pairs)}", file=out)
            result["systems"][s]["done_over_raw_per_repeat"] = pairs
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
