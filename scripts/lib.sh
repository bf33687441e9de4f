# The one shell library of scripts/, scripts/bench/ and testimages/. Sourced, not executed:
#   . "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../lib.sh"   (path relative to the script)
#
# Holds: messages (die, bad, log, need_arg, need_root), Debian packages (ensure_packages and the
# sets the build, the tests, the Debian package and the demo need), the benchmarks' command line (parse_args,
# command_line, quick_default, need_positive, need_size), mount and process state (is_mounted,
# alive, wait_gone, unmount_stale, run_bg, first_read), the page cache (drop_caches), timing (now,
# secs), the results and problem logs (record, problem, fail, run), the private copy of the cairn
# jar (private_jar, cairn), a cairn mount's serving pid and unmounting it (cairn_stats_pid,
# cairn_unmount), the fleet benchmarks' server: nginx, S3Proxy and the delay proxy (fleet_server_start,
# fleet_server_stop, s3proxy_jar, s3_put, fleet_sent_mark, fleet_sent_since), the default benchmark
# image (pick_image), the report (report), the header's commit line
# (commit_line) and the test images' reproducible environment and content (image_env,
# random_bytes, perl_base_dir and the lists of Essential files).
#
# Variables the helpers read, set by the sourcing script: root, out, logs (record, problem, fail,
# run, cairn_unmount), image and size_mb (pick_image), quick (quick_default), value_opts and
# flag_opts (parse_args), child (run_bg); log_fd (default 2: the file descriptor that log and die
# write to) and warm_note (what drop_caches says when it cannot drop the page cache).
# shellcheck shell=bash disable=SC2154,SC2034  # the variables come from, and go to, the sourcing script

log_fd=2
warm_note="runs read warm"
cairn_root="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"

# --- messages --------------------------------------------------------------------------------------
# die MESSAGE: a failure (exit 1). log MESSAGE: progress. Both write to fd $log_fd.
die() { echo "$(basename "$0"): $*" >&"$log_fd"; exit 1; }
log() { echo "$@" >&"$log_fd"; }
# bad MESSAGE: a usage error (exit 2).
bad() { echo "$(basename "$0"): $*" >&2; exit 2; }
# need_arg OPTION VALUE...: exit 2 unless the option has a non-empty value.
need_arg() { if [ $# -lt 2 ] || [ -z "$2" ]; then bad "$1 needs a value"; fi; }
# need_root WHY: exit 1 unless running as root.
need_root() { [ "$(id -u)" = 0 ] || die "run as root ($1)"; }

# --- packages --------------------------------------------------------------------------------------
# Installs Debian packages that are missing (apt-get update only when something is missing).
ensure_packages() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "installing: ${missing[*]}" >&2
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2 ||
      die "could not install ${missing[*]}"
  fi
}

# Java 17+ and Maven, which the build needs.
ensure_build_tools() {
  command -v java >/dev/null 2>&1 || ensure_packages openjdk-17-jdk-headless
  command -v mvn >/dev/null 2>&1 || ensure_packages maven
}

# What the tests and the demo need at run time: FUSE 2 (jnr-fuse binds libfuse.so.2), loop mounts,
# ext4 tools, and numpy (the tensor test reads a mounted .npy with it).
ensure_runtime_packages() {
  # libssl3: libcrypto, which seals and opens encrypted snapshots at full speed under any JIT tier;
  # openssl: the binary the signing-key tests check interoperability with
  ensure_packages fuse libfuse2 e2fsprogs util-linux python3-numpy libssl3 openssl
}

# What scripts/package and its CI test (PackageIT) need: asciidoctor renders the man pages; the
# test reads them with man-db, completes with bash-completion installed, verifies the unit with
# systemd-analyze (from systemd, which need not run as PID 1).
ensure_packaging_packages() {
  ensure_packages asciidoctor man-db bash-completion systemd
}

# --- the benchmarks' command line ------------------------------------------------------------------
# parse_args "$@": parses a command line by two tables the script sets first:
#   value_opts  entries "--name=var": --name VALUE and --name=VALUE set var (a value is required)
#   flag_opts   entries "--name var=value ...": --name sets each var to its value
# -h/--help prints usage (the script's function) and exits 0; an unknown option, or a second
# positional argument, prints usage to stderr and exits 2; the positional argument goes to image.
parse_args() {
  local spec w words
  while [ $# -gt 0 ]; do
    case "$1" in
      -h | --help) usage; exit 0 ;;
      --*=*)
        for spec in "${value_opts[@]}"; do
          if [ "${spec%%=*}" = "${1%%=*}" ]; then set -- "${1%%=*}" "${1#*=}" "${@:2}"; continue 2; fi
        done
        echo "$(basename "$0"): unknown option ${1%%=*}" >&2; usage >&2; exit 2 ;;
      -*)
        for spec in "${value_opts[@]}"; do
          if [ "${spec%%=*}" = "$1" ]; then need_arg "$@"; printf -v "${spec#*=}" '%s' "$2"; shift 2; continue 2; fi
        done
        for spec in "${flag_opts[@]}"; do
          read -r -a words <<<"$spec"
          if [ "${words[0]}" = "$1" ]; then
            for w in "${words[@]:1}"; do printf -v "${w%%=*}" '%s' "${w#*=}"; done
            shift; continue 2
          fi
        done
        echo "$(basename "$0"): unknown option $1" >&2; usage >&2; exit 2 ;;
      *) [ -z "$image" ] || { usage >&2; exit 2; }; image="$1"; shift ;;
    esac
  done
}
# command_line "$@": sets cmdline to the script's command line as typed (quoted where needed).
command_line() {
  local a
  cmdline="scripts/bench/$(basename "$0")"
  for a in "$@"; do
    if [[ "$a" =~ ^[A-Za-z0-9_./,=:+-]+$ ]]; then cmdline+=" $a"; else cmdline+=" $(printf %q "$a")"; fi
  done
}
# quick_default VAR QUICK_VALUE VALUE: sets VAR, when empty, to QUICK_VALUE under --quick, else VALUE.
quick_default() {
  [ -z "${!1}" ] || return 0
  if [ "$quick" = 1 ]; then printf -v "$1" '%s' "$2"; else printf -v "$1" '%s' "$3"; fi
}
# need_positive OPTION VALUE: exit 2 unless VALUE is a positive integer.
need_positive() { [[ "$2" =~ ^[1-9][0-9]*$ ]] || bad "$1 needs a positive integer"; }
# need_size: exit 2 unless $size_mb (--size) is an integer >= 64.
need_size() { if ! [[ "$size_mb" =~ ^[0-9]+$ ]] || [ "$size_mb" -lt 64 ]; then bad "--size needs an integer >= 64"; fi; }

# --- mounts and processes --------------------------------------------------------------------------
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
# run_bg CMD...: runs CMD in the background and waits for it, so that Ctrl-C or SIGTERM reach the
# trap at once instead of after CMD ends (timeout(1) puts CMD in a process group of its own, out of
# reach of the terminal's Ctrl-C; the trap stops $child, and timeout passes the signal on).
run_bg() {
  local rc=0
  "$@" 3>&- &
  child=$!
  wait "$child" || rc=$?
  child=""
  return $rc
}
# first_read FILE: waits until 4096 bytes can be read from the start of FILE (120 s at most).
first_read() {
  local f="$1" deadline=$((SECONDS + 120))
  until [ "$(head -c 4096 "$f" 2>/dev/null | wc -c)" = 4096 ]; do
    [ $SECONDS -lt $deadline ] || return 1
    sleep 0.005
  done
}

# --- page cache, timing ----------------------------------------------------------------------------
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

# --- results and problems --------------------------------------------------------------------------
record() { printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >>"$logs/results.tsv"; }
problem() { echo "$*" >>"$logs/errors.txt"; log "  PROBLEM: $*"; }
# fail SYSTEM TEST REPEAT MESSAGE: records a failed run and says why.
fail() {
  record "$1" "$2" "$3" FAIL
  echo "$1 $2 (repeat $3): $4" >>"$logs/errors.txt"
  log "  FAILED: $1 $2: $4"
}
# run LOGNAME CMD...: logs the command line, runs it with output to $logs/LOGNAME.log.
run() {
  local l="$1"; shift
  echo "+ $*" >>"$logs/$l.log"
  "$@" >>"$logs/$l.log" 2>&1
}

# --- the cairn jar ---------------------------------------------------------------------------------
# private_jar DIR: builds the jar now (the wrapper rebuilds when sources changed), then copies it
# and the slim client jar built with it to DIR/cairn.jar and DIR/cairn-client.jar, which cairn /
# "${cairn_cmd[@]}" run through scripts/cairn (so with its JVM flags): others may rebuild the
# project meanwhile, and no timed run may pay for Maven or see its jar replaced. Sets jar (the built
# jar) and cairn_cmd.
private_jar() {
  "$root/scripts/cairn" --version >/dev/null || die "scripts/cairn does not run"
  jar="$root/fuse-mount/target/cairn.jar"
  cp "$jar" "$1/cairn.jar"
  # copied after the jar, so never older than it (the launcher's check that both are one build)
  if [ -f "${jar%.jar}-client.jar" ]; then cp "${jar%.jar}-client.jar" "$1/cairn-client.jar"; fi
  # the launcher itself, as the package's /usr/bin/cairn runs it: no env(1) started first (7-15 ms
  # with the page cache cold) and no checkout wrapper, which a timed mount would count
  export CAIRN_JAR="$1/cairn.jar"
  cairn_cmd=("$root/scripts/launcher")
  # the copy gets its own class-data archives now (the slim client's too), not during a timed run
  "${cairn_cmd[@]}" --version >/dev/null 2>&1 || die "cairn.jar in $1 does not run"
  "${cairn_cmd[@]}" mounts >/dev/null 2>&1 || die "cairn-client.jar in $1 does not run"
  serve_archive "$1"
}
# serve_archive DIR [URL]: the serving process's class-data archive for the jar cairn_cmd runs,
# made now and not by a timed mount (cairn trains it in the background after a first mount, and
# until it exists every serving process starts without one). A server started by a remote mount has
# an archive of its own: with URL, the mount is of that snapshot (--profile none, a disk cache in
# DIR, so no measured cache is warmed); without, of a small local snapshot packed in DIR. The mount
# is by a process of its own (CAIRN_SERVER=0: no server is left running); its training, if it
# started one (a lock file beside the archive), is waited for up to 60 s.
serve_archive() {
  local d="$1/serve-archive" url="${2:-}" rt snap _
  if [ -n "${CAIRN_RUNTIME_DIR:-}" ]; then rt="$CAIRN_RUNTIME_DIR"
  elif [ "$(id -u)" = 0 ]; then rt=/var/tmp/cairn
  elif [ -n "${XDG_RUNTIME_DIR:-}" ]; then rt="$XDG_RUNTIME_DIR/cairn"
  else rt="/var/tmp/cairn-$(id -u)"; fi
  mkdir -p "$d/mnt"
  snap="$url"
  if [ -z "$snap" ]; then
    snap="$d/zeros.cairn"
    rm -f "$snap"
    head -c 1048576 /dev/zero >"$d/zeros.img"
    "${cairn_cmd[@]}" pack "$d/zeros.img" -o "$snap" >/dev/null 2>&1 || die "cairn pack failed in $d"
  fi
  CAIRN_SERVER=0 CAIRN_CACHE_DIR="$d/cache" "${cairn_cmd[@]}" mount "$snap" "$d/mnt" --profile none >/dev/null 2>&1 ||
    die "cairn mount $snap failed in $d"
  "${cairn_cmd[@]}" umount "$d/mnt" >/dev/null 2>&1 || umount -l "$d/mnt" || true
  rm -rf "$d/cache"
  for _ in $(seq 1 120); do
    compgen -G "$rt/cds/serve-*.jsa.training" >/dev/null || return 0
    sleep 0.5
  done
  log "the serving process's class-data training in $rt/cds took over 60 s: mounts may start without it"
}
cairn() { "${cairn_cmd[@]}" "$@"; }

# cairn_stats_pid MNT: prints the serving pid that a cairn mount reports in MNT/.cairn/stats.json.
cairn_stats_pid() {
  python3 "$cairn_root/scripts/bench/report.py" stats-pid "$1/.cairn/stats.json" 2>/dev/null
}
# cairn_unmount MNT PID WHO: cairn umount MNT (120 s at most), waits up to 30 s for the serving
# process PID (if known) to exit, kills it if it does not, lazily unmounts what is left. A per-user
# server (MountDaemon) left without mounts is stopped (SIGTERM) rather than waited for idle, so that
# every benchmark mount starts as a fresh process, its peak RSS its own. Problems go to
# $logs/errors.txt, WHO naming the mount; fails when anything was not clean.
cairn_unmount() {
  local mnt="$1" pid="$2" who="$3" rc=0
  if is_mounted "$mnt"; then
    timeout 120 "${cairn_cmd[@]}" umount "$mnt" >>"$logs/umount.log" 2>&1 || { rc=1; echo "cairn umount $mnt failed or timed out" >>"$logs/errors.txt"; }
  fi
  # a server's mounts each keep a fusermount watchdog child: none left means no mounts left
  if [ -n "$pid" ] && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q 'dev\.cairn\.mount\.MountDaemon' &&
    ! pgrep -P "$pid" -x fusermount >/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
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

# --- the fleet benchmarks' server (boot.sh, model.sh) ----------------------------------------------
# One private nginx on 127.0.0.1 serves $srv (autoindex on, for httpdirfs); with via=s3 an S3Proxy
# (filesystem backend in $web/s3, SigV4 with the fixed credentials below) runs too, reached through
# the same nginx at /$S3_BUCKET/, so that nginx's access log counts what S3 clients fetch exactly as
# it counts HTTP; with delay > 0, scripts/bench/delayproxy.py in front adds that many ms to every
# request. Access log lines: "bytes_sent status uri range method".
# With fleet_nice=1 the three run at nice 19: they stand in for machines across a network, whose
# CPU a real node never pays for, and a workload that keeps this machine's two cores busy (a guest
# booting under TCG) would otherwise share them with the servers it reads from; every system of a
# run reads from the same servers, so the setting applies to all of them alike.
# Reads: srv, web, logs, delay, via (http|s3), fleet_nice (0|1, default 0). Sets base (the URL
# every client reads from: the proxy's or nginx's), s3_base (S3Proxy itself, for uploads) and,
# with via=s3, exports the AWS_* variables a cairn process needs for s3:// URLs.
S3_BUCKET=cairn-bench S3_ID=cairn-bench S3_SECRET=cairn-bench-secret S3_REGION=us-east-1
fleet_nginx_pid="" fleet_proxy_pid="" fleet_s3_pid=""
# s3proxy_jar: prints the path of S3Proxy's runnable jar (the one the store tests run), copied from
# the local Maven repository by an offline build step when the store module has no copy yet.
s3proxy_jar() {
  local j="$cairn_root/store/target/s3proxy/s3proxy.jar"
  if [ ! -f "$j" ]; then
    (cd "$cairn_root" && mvn -B -o -q -pl store process-test-resources -Dspotless.check.skip=true) >&2 ||
      die "S3Proxy's jar is missing and 'mvn -B -o -pl store process-test-resources' could not copy it"
  fi
  [ -f "$j" ] || die "$j is missing (the store module's build copies S3Proxy there)"
  echo "$j"
}
# wait_port PID PORT WHAT: waits up to 60 s for 127.0.0.1:PORT to accept; dies if PID exits first.
wait_port() {
  local deadline=$((SECONDS + 60))
  until (exec 9<>"/dev/tcp/127.0.0.1/$2") 2>/dev/null; do
    if ! alive "$1" || [ $SECONDS -ge $deadline ]; then die "$3 did not start (see $logs)"; fi
    sleep 0.05
  done
}
# fleet_serve_snapshot NAME: starts the fleet server (fleet_server_start) and sets cairn_url to the
# snapshot $srv/NAME as the cairn systems read it: over HTTP, or with --via s3 from the bucket,
# uploaded there on the first start only (the bucket lives in $web/s3, which outlives a restart).
fleet_uploaded=0
fleet_serve_snapshot() {
  fleet_server_start
  if [ "$via" = s3 ]; then
    cairn_url="s3://$S3_BUCKET/$1"
    if [ "$fleet_uploaded" = 0 ]; then
      log "uploading $1 to s3://$S3_BUCKET/"
      s3_put "$srv/$1" "$1"
      fleet_uploaded=1
    fi
  else
    cairn_url="$base/$1"
  fi
}

# delay_proxy_start PORT [COMMAND...]: starts scripts/bench/delayproxy.py in front of
# 127.0.0.1:PORT, adding $delay ms to every request (run through COMMAND, e.g. nice -n 19, if
# given; its output in $logs/proxy.out), and waits until it listens. Sets delay_proxy_pid and
# delay_proxy_base (http://127.0.0.1:ITSPORT).
delay_proxy_start() {
  local backend=$1 deadline
  shift
  # a background job truncates its output file only once it runs: a restart that found the last
  # run's "listening on" line there would take that port, then read an emptied file
  rm -f "$logs/proxy.out"
  "$@" python3 "$cairn_root/scripts/bench/delayproxy.py" --backend "127.0.0.1:$backend" --delay "$delay" >"$logs/proxy.out" 2>&1 3>&- &
  delay_proxy_pid=$!
  deadline=$((SECONDS + 10))
  until grep -q "^listening on " "$logs/proxy.out" 2>/dev/null; do
    if ! alive "$delay_proxy_pid" || [ $SECONDS -ge $deadline ]; then die "the delay proxy did not start: $(tail -3 "$logs/proxy.out")"; fi
    sleep 0.05
  done
  delay_proxy_base="http://$(sed -n 's/^listening on //p' "$logs/proxy.out" | head -1)"
  [ "$delay_proxy_base" != "http://" ] || die "the delay proxy's address is missing from $logs/proxy.out"
}

fleet_server_start() {
  local port s3port="" jar deadline s3conf="" s3loc=""
  fleet_nice_cmd=(env)
  if [ "${fleet_nice:-0}" = 1 ]; then fleet_nice_cmd=(nice -n 19); fi
  port=$(python3 "$cairn_root/scripts/bench/report.py" free-port)
  if [ "$via" = s3 ]; then
    jar=$(s3proxy_jar)
    s3port=$(python3 "$cairn_root/scripts/bench/report.py" free-port)
    mkdir -p "$web/s3/data"
    printf '%s\n' "s3proxy.endpoint=http://127.0.0.1:$s3port" "s3proxy.authorization=aws-v2-or-v4" \
      "s3proxy.identity=$S3_ID" "s3proxy.credential=$S3_SECRET" "jclouds.provider=filesystem-nio2" \
      "jclouds.filesystem.basedir=$web/s3/data" >"$web/s3/s3proxy.properties"
    "${fleet_nice_cmd[@]}" java -Xmx256m -jar "$jar" --properties "$web/s3/s3proxy.properties" >>"$logs/s3proxy.log" 2>&1 3>&- &
    fleet_s3_pid=$!
    wait_port "$fleet_s3_pid" "$s3port" S3Proxy
    s3_base="http://127.0.0.1:$s3port"
    s3conf="upstream s3proxy { server 127.0.0.1:$s3port; keepalive 64; }"
    # Host goes on unchanged: the client signed it. Responses stream through, unbuffered.
    s3loc="location /$S3_BUCKET { proxy_pass http://s3proxy; proxy_http_version 1.1;
      proxy_set_header Connection \"\"; proxy_set_header Host \$http_host; proxy_buffering off;
      proxy_request_buffering off; client_max_body_size 0; }"
  fi
  mkdir -p "$web/tmp"
  cat >"$web/nginx.conf" <<NGINX
worker_processes 2;
daemon off;
error_log $web/error.log;
pid $web/nginx.pid;
events { worker_connections 512; }
http {
  log_format fleet '\$bytes_sent \$status \$uri \$http_range \$request_method \$msec';
  access_log $web/access.log fleet;
  default_type application/octet-stream;
  sendfile on; tcp_nopush on; keepalive_requests 100000;
  client_body_temp_path $web/tmp; proxy_temp_path $web/tmp; fastcgi_temp_path $web/tmp;
  uwsgi_temp_path $web/tmp; scgi_temp_path $web/tmp;
  $s3conf
  server { listen 127.0.0.1:$port; root $srv; autoindex on; $s3loc }
}
NGINX
  "${fleet_nice_cmd[@]}" nginx -p "$web" -c "$web/nginx.conf" >>"$logs/nginx.out" 2>&1 3>&- &
  fleet_nginx_pid=$!
  wait_port "$fleet_nginx_pid" "$port" nginx
  base="http://127.0.0.1:$port"
  if [ "$delay" -gt 0 ]; then
    delay_proxy_start "$port" "${fleet_nice_cmd[@]}"
    fleet_proxy_pid=$delay_proxy_pid base=$delay_proxy_base
  fi
  if [ "$via" = s3 ]; then
    export AWS_ENDPOINT_URL="$base" AWS_ACCESS_KEY_ID="$S3_ID" AWS_SECRET_ACCESS_KEY="$S3_SECRET" AWS_REGION="$S3_REGION"
  fi
}
fleet_server_stop() {
  local p
  for p in "$fleet_proxy_pid" "$fleet_nginx_pid" "$fleet_s3_pid"; do
    if [ -n "$p" ]; then kill -TERM "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; fi
  done
  fleet_proxy_pid="" fleet_nginx_pid="" fleet_s3_pid=""
}
# s3_put FILE KEY: stores FILE as s3://$S3_BUCKET/KEY (creating the bucket), straight to S3Proxy.
s3_put() {
  local sig=(--aws-sigv4 "aws:amz:$S3_REGION:s3" --user "$S3_ID:$S3_SECRET" -H "x-amz-content-sha256: UNSIGNED-PAYLOAD")
  curl -sf -o /dev/null -I "${sig[@]}" "$s3_base/$S3_BUCKET" ||
    curl -sf -o /dev/null -X PUT "${sig[@]}" "$s3_base/$S3_BUCKET" || die "S3Proxy: cannot create bucket $S3_BUCKET (see $logs/s3proxy.log)"
  curl -sf -o /dev/null -T "$1" "${sig[@]}" "$s3_base/$S3_BUCKET/$2" || die "S3Proxy: cannot store $1 as $2 (see $logs/s3proxy.log)"
}
fleet_sent_mark() { stat -c %s "$web/access.log" 2>/dev/null || echo 0; }
# fleet_sent_since MARK NAME...: bytes (headers included) nginx sent since byte MARK of its log for
# requests of the files NAMEd (the last path element: boot.cairn counts /boot.cairn and
# /$S3_BUCKET/boot.cairn alike), without HEADs and the one-byte probes that open a remote object.
fleet_sent_since() {
  local mark="$1"
  shift
  tail -c +$((mark + 1)) "$web/access.log" 2>/dev/null | awk -v names=" $* " '
    { n = split($3, p, "/") }
    index(names, " " p[n] " ") && $4 != "bytes=0-0" && $5 != "HEAD" { b += $1 } END { print b + 0 }'
}

# --- benchmark images and reports ------------------------------------------------------------------
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
  [ -f "$image" ] || bad "$image: no such file"
  image="$(readlink -f "$image")"
  image_bytes=$(stat -c %s "$image")
}

# report BENCH ARG...: scripts/bench/report.py BENCH $logs $out ARG...; sets table and json (the
# files it writes) and status (its exit code); dies when it wrote no table.
report() {
  table="$out/$1-results.txt" json="$out/$1-results.json"
  rm -f "$table" "$json"
  status=0
  python3 "$cairn_root/scripts/bench/report.py" "$1" "$logs" "$out" "${@:2}" || status=$?
  [ -s "$table" ] || die "report failed (see $logs)"
}

# commit_line: the header's "commit: …" line (HEAD, and whether the Java modules have uncommitted changes).
commit_line() {
  echo "commit: $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$root" diff --quiet HEAD -- store reader-core fuse-mount 2>/dev/null || echo ' (+ uncommitted changes to the Java modules)')"
}

# --- test images -----------------------------------------------------------------------------------
# image_env: what makes the test-image generators reproducible, and where they write. Sorting,
# scandir order in mke2fs -d and perl's output must not depend on the caller's locale; every
# timestamp we control is one fixed instant (overridable, but then images differ).
image_env() {
  export LC_ALL=C
  : "${SOURCE_DATE_EPOCH:=1700000000}"
  export SOURCE_DATE_EPOCH
  TESTIMAGES_DIR="$cairn_root/testimages"
  BUILD_DIR="$TESTIMAGES_DIR/build"
}

# random_bytes SEED N: N pseudo-random bytes on stdout, identical on every machine.
# Perl >= 5.20 uses its own drand48 regardless of platform, so srand(SEED) fixes the stream;
# this avoids depending on python (not Essential on Debian) or openssl's enc output format.
random_bytes() {
  perl -e '
    my ($seed, $n) = @ARGV; srand($seed); binmode STDOUT;
    while ($n > 0) {
      my $k = $n > 65536 ? 65536 : $n;
      print substr(pack("L<*", map { int(rand(4294967296)) } 1 .. (($k + 3) >> 2)), 0, $k);
      $n -= $k;
    }' "$1" "$2"
}

# The Essential packages whose copyright files we use as real prose. Essential packages are on
# every Debian system, and minimal images keep /usr/share/doc/*/copyright even when they drop docs.
ESSENTIAL_DOC_PKGS=(base-files bash coreutils dash debianutils diffutils findutils grep gzip
  hostname libc-bin login ncurses-bin perl-base sed tar util-linux)

# License texts shipped by base-files (real, stable prose). GPL/LGPL/GFDL are symlinks there.
LICENSE_FILES=(Apache-2.0 Artistic BSD CC0-1.0 GFDL-1.3 GPL-2 GPL-3 LGPL-2.1 LGPL-3 MPL-1.1 MPL-2.0)

# Binaries from coreutils, gzip and dash: Essential, and their bookworm versions have not changed
# since release (bash and libc get point updates, so they are left out of reproducible images).
STABLE_BINARIES=(/usr/bin/ls /usr/bin/cat /usr/bin/sort /usr/bin/sha256sum /usr/bin/gzip /usr/bin/dash)

# The directory holding perl-base's modules (.pm text plus a few .so), e.g. /usr/lib/x86_64-linux-gnu/perl-base.
perl_base_dir() {
  local d
  for d in /usr/lib/*/perl-base; do [ -d "$d" ] && { echo "$d"; return 0; }; done
  die "perl-base module directory not found under /usr/lib/*/perl-base"
}
