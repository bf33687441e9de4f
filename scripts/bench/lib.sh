# Shell helpers shared by the benchmark scripts scripts/bench/{pack,read,write,chain}.sh.
# Sourced, not executed: . "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/lib.sh"
#
# Holds: option checks (need_arg, bad), messages (die, log), mount and process state (is_mounted,
# alive, wait_gone, unmount_stale), the page cache (drop_caches), timing (now, secs), the results
# and problem logs (record, problem, run), the private copy of the cairn jar (private_jar, cairn),
# the serving pid of a cairn mount (cairn_stats_pid), unmounting a cairn mount (cairn_unmount), the
# default image (pick_image), the header's commit line (commit_line) and splitting the report
# (split_report).
#
# Variables the helpers read, set by the sourcing script: root, out, logs (record, problem, run,
# cairn_unmount), image and size_mb (pick_image); log_fd (default 2: the file descriptor that log
# and die write to) and warm_note (what drop_caches says when it cannot drop the page cache).
# shellcheck shell=bash disable=SC2154,SC2034  # the variables come from, and go to, the sourcing script

log_fd=2
warm_note="runs read warm"

# need_arg OPTION VALUE...: exit 2 unless the option has a non-empty value.
need_arg() { if [ $# -lt 2 ] || [ -z "$2" ]; then echo "$(basename "$0"): $1 needs a value" >&2; exit 2; fi; }
# bad MESSAGE: a usage error (exit 2).
bad() { echo "$(basename "$0"): $*" >&2; exit 2; }
# die MESSAGE: a failure (exit 1). log MESSAGE: progress. Both write to fd $log_fd.
die() { echo "$(basename "$0"): $*" >&"$log_fd"; exit 1; }
log() { echo "$@" >&"$log_fd"; }

is_mounted() { findmnt -rn --mountpoint "$1" >/dev/null 2>&1; }
# A process that exists and is no zombie (daemons re-parented to a non-reaping ancestor stay zombies).
alive() {
  [ -n "$1" ] && [ -r "/proc/$1/stat" ] || return 1
  local st
  st=$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1) || return 1
  [ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}
wait_gone() { # PID SECONDS
  local deadline=$((SECONDS + $2))
  while alive "$1"; do [ $SECONDS -lt $deadline ] || return 1; sleep 0.05; done
}
# unmount_stale MNT...: lazily unmounts what an interrupted run left mounted there.
unmount_stale() {
  local m
  for m in "$@"; do
    if is_mounted "$m"; then log "unmounting stale $m"; umount -l "$m" || true; fi
  done
}

# drop_caches: sync and drop the page cache; where that is refused, say so once and set caches=warm.
caches=cold
drop_caches() {
  sync
  if [ "$caches" = cold ] && ! echo 3 >/proc/sys/vm/drop_caches 2>/dev/null; then
    log "$(basename "$0"): cannot drop page caches here; $warm_note"
    caches=warm
  fi
}
now() { echo "$EPOCHREALTIME"; }
# secs T0 T1 [DIGITS]: T1 - T0 in seconds, with DIGITS (default 2) decimals.
secs() { awk -v a="$1" -v b="$2" -v f="%.${3:-2}f" 'BEGIN { printf f, b - a }'; }

record() { printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >>"$logs/results.tsv"; }
problem() { echo "$*" >>"$logs/errors.txt"; log "  PROBLEM: $*"; }
# run LOGNAME CMD...: logs the command line, runs it with output to $logs/LOGNAME.log.
run() {
  local l="$1"; shift
  echo "+ $*" >>"$logs/$l.log"
  "$@" >>"$logs/$l.log" 2>&1
}

# private_jar DIR: builds the jar now (the wrapper rebuilds when sources changed), then copies it to
# DIR/cairn.jar, which cairn / "${cairn_cmd[@]}" run through scripts/cairn (so with its JVM flags):
# others may rebuild the project meanwhile, and no timed run may pay for Maven or see its jar
# replaced. Sets jar (the built jar) and cairn_cmd.
private_jar() {
  "$root/scripts/cairn" --version >/dev/null || die "scripts/cairn does not run"
  jar="$root/fuse-mount/target/cairn.jar"
  cp "$jar" "$1/cairn.jar"
  cairn_cmd=(env "CAIRN_JAR=$1/cairn.jar" "$root/scripts/cairn")
  # the copy gets its own class-data archive now, not during a timed run
  "${cairn_cmd[@]}" --version >/dev/null 2>&1 || die "cairn.jar in $1 does not run"
}
cairn() { "${cairn_cmd[@]}" "$@"; }

# cairn_stats_pid MNT: prints the serving pid that a cairn mount reports in MNT/.cairn/stats.json.
cairn_stats_pid() {
  python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["mount"]["pid"])' "$1/.cairn/stats.json" 2>/dev/null
}
# cairn_unmount MNT PID WHO: cairn umount MNT (120 s at most), waits up to 30 s for the serving
# process PID (if known) to exit, kills it if it does not, lazily unmounts what is left. Problems go
# to $logs/errors.txt, WHO naming the mount; fails when anything was not clean.
cairn_unmount() {
  local mnt="$1" pid="$2" who="$3" rc=0
  if is_mounted "$mnt"; then
    timeout 120 "${cairn_cmd[@]}" umount "$mnt" >>"$logs/umount.log" 2>&1 || { rc=1; echo "cairn umount $mnt failed or timed out" >>"$logs/errors.txt"; }
  fi
  if [ -n "$pid" ] && ! wait_gone "$pid" 30; then
    echo "$who serving process $pid still alive 30 s after umount; killed" >>"$logs/errors.txt"
    kill -TERM "$pid" 2>/dev/null || true
    wait_gone "$pid" 5 || kill -KILL "$pid" 2>/dev/null || true
    rc=1
  fi
  if is_mounted "$mnt"; then umount -l "$mnt" 2>/dev/null || true; rc=1; fi
  return $rc
}

# pick_image: when $image is empty, the default rootfs image of $size_mb MiB (built when absent);
# checks that it exists (exit 2) and sets image to its absolute path and image_bytes to its size.
pick_image() {
  if [ -z "$image" ]; then
    if [ "$size_mb" = 1024 ]; then image="$root/testimages/build/rootfs.img"; else image="$out/rootfs-${size_mb}M.img"; fi
    if [ ! -f "$image" ]; then
      log "building $image ($size_mb MiB) with testimages/make-rootfs.sh"
      "$root/testimages/make-rootfs.sh" "$image" "$size_mb" >&2 || die "make-rootfs.sh failed"
    fi
  fi
  [ -f "$image" ] || { echo "$(basename "$0"): $image: no such file" >&2; exit 2; }
  image="$(readlink -f "$image")"
  image_bytes=$(stat -c %s "$image")
}

# commit_line: the header's "commit: …" line (HEAD, and whether the Java modules have uncommitted changes).
commit_line() {
  echo "commit: $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$root" diff --quiet HEAD -- store reader-core fuse-mount 2>/dev/null || echo ' (+ uncommitted changes to the Java modules)')"
}

# split_report BENCH: splits $logs/report.out at its @@JSON@@ line into table=$out/BENCH-results.txt
# and json=$out/BENCH-results.json; dies when the table is empty.
split_report() {
  table="$out/$1-results.txt"
  json="$out/$1-results.json"
  sed '/^@@JSON@@$/,$d' "$logs/report.out" >"$table"
  sed '1,/^@@JSON@@$/d' "$logs/report.out" >"$json"
  [ -s "$table" ] || die "report failed (see $logs)"
}
