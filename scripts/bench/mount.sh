#!/usr/bin/env bash
# Mount benchmark (issue 14): how fast `cairn mount` gives a readable file, and what idle mounts
# cost in memory, against squashfuse on the same image, measured in one run.
#
# Latency: wall time from starting the mount command to the first successful 4 KiB read of the
# image file through the mount (the mount command returning included), median of --repeat runs, for
#   cairn-server   `cairn mount` while the user's serving process is already up (it serves
#                  another mount) — the common case
#   cairn-first    `cairn mount` with no serving process: the first mount starts it
#   squashfuse     `squashfuse IMAGE.sqfs MNT` (mksquashfs -comp zstd of the same image)
# with the page cache dropped before every timed mount (--warm: not dropped). Order rotates from
# repeat to repeat. Every run uses a runtime directory of its own (CAIRN_RUNTIME_DIR), so no server
# of the user's is touched, and the class-data archives are made first (private_jar in lib.sh).
# Memory: ten cairn snapshots of the image (each with a different secondary stream, so ten
# different snapshots) mounted at once and idle, the sum of VmRSS of the cairn serving processes
# (one server); against ten squashfuse processes serving ten copies of the squashfs image.
#
# Targets (issue 14): cairn-server median < 150 ms; cairn-first median < 600 ms; ten idle cairn
# mounts < 250 MiB resident in total.
# Exit: 0 all targets met, 3 some target missed, 1 a tool or a mount failed, 2 usage.
set -euo pipefail

here="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)"
root="$(cd "$here/../.." && pwd)"
out="$here/out"
# shellcheck source=scripts/lib.sh
. "$root/scripts/lib.sh"

usage() {
  cat <<EOF2
usage: $(basename "$0") [-h] [--quick] [--json] [--size MB] [--repeat N] [--mounts N] [--warm]
                [IMAGE]
  Time \`cairn mount\` to the first 4 KiB read with the serving process up and with none, against
  squashfuse, and sum the resident memory of N idle mounts of each. IMAGE defaults to
  testimages/build/rootfs.img (built by testimages/make-rootfs.sh when absent; with --size other
  than 1024, scripts/bench/out/rootfs-<MB>M.img). Outputs: scripts/bench/out/mount.{txt,json}.
  --quick          smoke test: a 128 MiB image, 5 repeats; about a minute
  --json           print one JSON object on stdout (the table goes to stderr)
  --size MB        size of the generated rootfs image (default 1024; --quick: 128)
  --repeat N       timed mounts per system (default 10; --quick: 5)
  --mounts N       idle mounts of each system for the memory test (default 10)
  --warm           do not drop the page cache before each timed mount
  CAIRN_NO_BUILD=1 in the environment runs the jar already built instead of rebuilding it.
Exit: 0 targets met, 3 a target missed, 1 a tool or mount failed, 2 usage. Needs root.
EOF2
}

command_line "$@"
json_only=0 quick=0 size_mb="" repeat="" mounts=10 warm=0 image=""
value_opts=(--size=size_mb --repeat=repeat --mounts=mounts)
flag_opts=("--json json_only=1" "--quick quick=1" "--warm warm=1")
parse_args "$@"
quick_default size_mb 128 1024
quick_default repeat 5 10
need_size
need_positive --repeat "$repeat"
need_positive --mounts "$mounts"
[ "$mounts" -ge 2 ] || bad "--mounts needs at least 2 (the server-up test mounts a second snapshot)"

exec 3>&2
log_fd=3
need_root "mounting and dropping the page cache need it"
ensure_packages squashfs-tools squashfuse fuse libfuse2

mkdir -p "$out"
pick_image
name="$(basename "$image")"

logs="$out/mount-logs"
work="$out/mount-work"
rm -rf "$logs"
mkdir -p "$logs"
: >"$logs/errors.txt"
: >"$logs/results.tsv"
child=""

# Everything cairn writes at run time goes to a runtime directory of this run's own.
export CAIRN_RUNTIME_DIR="$work/rt"
export CAIRN_SERVER_IDLE=600

# The serving processes of this run: each listens on a socket in its runtime directory.
server_pids() {
  local s
  for s in "$CAIRN_RUNTIME_DIR"/server-*.sock; do
    [ -e "$s" ] || continue
    pgrep -f -- "--socket=$s" || true
  done
}
stop_servers() {
  local p
  for p in $(server_pids); do
    kill -TERM "$p" 2>/dev/null || true
    wait_gone "$p" 30 || { kill -KILL "$p" 2>/dev/null || true; problem "server $p ignored SIGTERM"; }
  done
}
unmount_all() {
  local m
  for m in "$work"/mnt-*; do
    [ -d "$m" ] || continue
    if is_mounted "$m"; then
      case "$(findmnt -rn -o FSTYPE --mountpoint "$m")" in
        fuse.cairn) cairn umount "$m" >>"$logs/umount.log" 2>&1 || umount -l "$m" || true ;;
        *) fusermount -u "$m" 2>/dev/null || umount -l "$m" || true ;;
      esac
    fi
  done
}

# shellcheck disable=SC2317  # invoked by the trap
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  [ -z "$child" ] || kill "$child" 2>/dev/null || true
  unmount_all
  stop_servers
  rm -rf "$work/snap" "$work/sqfs"
  exit "$rc"
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT TERM

rm -rf "$work"
mkdir -p "$work/snap" "$work/sqfs" # the runtime directory cairn makes itself (0700)
cairn_cmd=()
private_jar "$work"

# --- images ----------------------------------------------------------------------------------------
log "packing $name ($((image_bytes >> 20)) MiB) as $mounts cairn snapshots and one squashfs image"
for i in $(seq 1 "$mounts"); do
  printf 'snapshot %d of a mount benchmark\n' "$i" >"$work/snap/note-$i.txt"
  run pack cairn pack "$image" -o "$work/snap/s$i.cairn" --codec zstd --secondary "$work/snap/note-$i.txt" ||
    die "cairn pack failed (see $logs/pack.log)"
done
run pack mksquashfs "$image" "$work/sqfs/s1.sqfs" -comp zstd -noappend -quiet || die "mksquashfs failed (see $logs/pack.log)"
for i in $(seq 2 "$mounts"); do cp "$work/sqfs/s1.sqfs" "$work/sqfs/s$i.sqfs"; done
for i in $(seq 1 "$mounts"); do mkdir -p "$work/mnt-c$i" "$work/mnt-q$i"; done

# the class-data archives of the command line and the serving process: made by private_jar (lib.sh
# serve_archive) in this run's runtime directory, before any timed mount
compgen -G "$CAIRN_RUNTIME_DIR/cds/serve-*.jsa" >/dev/null || problem "no class-data archive for the serving process"

# --- latency ---------------------------------------------------------------------------------------
# timed SYSTEM REPEAT CMD...: runs the mount command, waits for the first read, records the seconds.
timed() {
  local sys="$1" r="$2" mnt t0 t1
  shift 2
  mnt="${*: -1}"
  [ "$warm" = 1 ] || drop_caches
  t0=$(now)
  if ! run_bg "$@" >>"$logs/$sys.log" 2>&1; then fail "$sys" latency "$r" "mount failed (see $logs/$sys.log)"; return 1; fi
  if ! first_read "$mnt/$name"; then fail "$sys" latency "$r" "no first read"; return 1; fi
  t1=$(now)
  record "$sys" latency "$r" "$(secs "$t0" "$t1" 4)"
}
mount_first() { timed cairn-first "$1" cairn mount "$work/snap/s1.cairn" "$work/mnt-c1"; }
mount_server() { timed cairn-server "$1" cairn mount "$work/snap/s2.cairn" "$work/mnt-c2"; }
mount_squash() { timed squashfuse "$1" squashfuse "$work/sqfs/s1.sqfs" "$work/mnt-q1"; }

failed=0
for r in $(seq 1 "$repeat"); do
  log "latency, repeat $r of $repeat"
  # cairn-first must find no server and leaves one up, which cairn-server then uses
  if [ $((r % 2)) = 1 ]; then
    mount_squash "$r" || failed=1
    mount_first "$r" || failed=1
    mount_server "$r" || failed=1
  else
    mount_first "$r" || failed=1
    mount_server "$r" || failed=1
    mount_squash "$r" || failed=1
  fi
  unmount_all
  stop_servers
done

# --- memory ----------------------------------------------------------------------------------------
rss_kib() { awk '/^VmRSS:/ { s += $2 } END { print s + 0 }' "$@" 2>/dev/null || echo 0; }
log "memory: $mounts idle mounts of each"
for i in $(seq 1 "$mounts"); do
  run memory cairn mount "$work/snap/s$i.cairn" "$work/mnt-c$i" || { failed=1; problem "cairn mount s$i failed"; }
  run memory squashfuse "$work/sqfs/s$i.sqfs" "$work/mnt-q$i" || { failed=1; problem "squashfuse s$i failed"; }
done
for i in $(seq 1 "$mounts"); do
  first_read "$work/mnt-c$i/$name" || { failed=1; problem "no read through cairn mount $i"; }
  first_read "$work/mnt-q$i/$name" || { failed=1; problem "no read through squashfuse mount $i"; }
done
sleep 3
pids=$(server_pids)
[ "$(echo "$pids" | wc -w)" = 1 ] || problem "expected one cairn server, found: $pids"
status_files=()
for p in $pids; do status_files+=("/proc/$p/status"); done
cairn_kib=$(rss_kib "${status_files[@]}")
status_files=()
for p in $(pgrep -f -- "^squashfuse $work/sqfs/"); do status_files+=("/proc/$p/status"); done
squash_kib=$(rss_kib "${status_files[@]}")
record cairn memory 1 "$cairn_kib"
record squashfuse memory 1 "$squash_kib"
unmount_all
stop_servers

# --- report ----------------------------------------------------------------------------------------
median() { # SYSTEM: median latency in ms
  awk -F'\t' -v s="$1" '$1 == s && $2 == "latency" && $4 != "FAIL" { print $4 * 1000 }' "$logs/results.tsv" |
    sort -n | awk '{ v[NR] = $1 } END { if (NR == 0) print "nan"; else if (NR % 2) printf "%.0f", v[(NR + 1) / 2]; else printf "%.0f", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
ms_server=$(median cairn-server)
ms_first=$(median cairn-first)
ms_squash=$(median squashfuse)
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 > 0 && a != "nan") printf "%.1f", a / b; else print "nan" }'; }
target() { awk -v v="$1" -v t="$2" 'BEGIN { print (v != "nan" && v + 0 < t) ? "met" : "MISSED" }'; }
t_server=$(target "$ms_server" 150)
t_first=$(target "$ms_first" 600)
cairn_mib=$((cairn_kib / 1024))
squash_mib=$((squash_kib / 1024))
t_mem=$(target "$cairn_mib" 250)
caches_note=$([ "$warm" = 1 ] && echo "warm page cache" || echo "page cache dropped before each mount")
{
  echo "cairn mount benchmark: $name ($((image_bytes >> 20)) MiB), $repeat repeats, $caches_note"
  commit_line
  echo "command: $cmdline"
  printf '%-14s %10s %16s %10s\n' "system" "median ms" "x squashfuse" "target"
  printf '%-14s %10s %16s %10s\n' cairn-server "$ms_server" "$(ratio "$ms_server" "$ms_squash")" "<150 $t_server"
  printf '%-14s %10s %16s %10s\n' cairn-first "$ms_first" "$(ratio "$ms_first" "$ms_squash")" "<600 $t_first"
  printf '%-14s %10s %16s %10s\n' squashfuse "$ms_squash" "1.0" "-"
  printf '%d idle mounts: cairn %d MiB resident (one server), squashfuse %d MiB (%d processes), ratio %s; target <250 MiB %s\n' \
    "$mounts" "$cairn_mib" "$squash_mib" "$mounts" "$(ratio "$cairn_mib" "$squash_mib")" "$t_mem"
} >"$out/mount.txt"
jnum() { if [ "$1" = nan ]; then echo null; else echo "$1"; fi; }
cat >"$out/mount.json" <<EOF2
{"bench":"mount","image":"$name","image_mib":$((image_bytes >> 20)),"repeat":$repeat,"caches":"$([ "$warm" = 1 ] && echo warm || echo cold)",
 "latency_ms":{"cairn-server":$(jnum "$ms_server"),"cairn-first":$(jnum "$ms_first"),"squashfuse":$(jnum "$ms_squash")},
 "ratio":{"cairn-server":"$(ratio "$ms_server" "$ms_squash")","cairn-first":"$(ratio "$ms_first" "$ms_squash")"},
 "idle_mounts":$mounts,"idle_rss_mib":{"cairn":$cairn_mib,"squashfuse":$squash_mib},
 "targets":{"cairn-server":"$t_server","cairn-first":"$t_first","memory":"$t_mem"}}
EOF2
if [ "$json_only" = 1 ]; then cat "$out/mount.txt" >&2; tr -d '\n' <"$out/mount.json"; echo; else cat "$out/mount.txt"; fi
if [ -s "$logs/errors.txt" ]; then log "problems (see $logs/errors.txt):"; cat "$logs/errors.txt" >&2; fi
[ "$failed" = 0 ] && [ ! -s "$logs/errors.txt" ] || exit 1
[ "$t_server" = met ] && [ "$t_first" = met ] && [ "$t_mem" = met ] || exit 3
exit 0
