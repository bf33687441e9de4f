#!/usr/bin/env bash
# Builds a bootable Debian disk image for the boot benchmark (scripts/bench/boot.sh): an ext4 root
# filesystem made by debootstrap (bookworm, minbase, with Debian's kernel and an initramfs that
# mounts a virtio disk), whose init is a small script of ours: it prints a marker line from the
# guest's own userland, does what a boot's userland does (runs programs, loads libraries, reads
# configuration), prints a second marker and powers the guest off.
#
# Outputs, in OUTDIR (default testimages/build/boot/): rootfs.img, vmlinuz, initrd.img, and
# packages.txt (the package list, so a run can say what it booted). Not reproducible byte for
# byte (package versions move); a benchmark compares systems on the same image in one run.
set -euo pipefail

usage() {
  cat <<EOF
usage: $(basename "$0") [-h] [OUTDIR] [SIZE_MB]
  Build a bootable Debian bookworm image of SIZE_MB MiB (default 1024) in OUTDIR (default
  testimages/build/boot/): rootfs.img, vmlinuz, initrd.img. Needs root and Debian's mirror;
  installs debootstrap when missing. About 3-6 minutes.
  Boot it: qemu-system-x86_64 -m 1G -nographic -kernel vmlinuz -initrd initrd.img \\
    -append "console=ttyS0 root=/dev/vda ro init=/sbin/cairn-boot" \\
    -drive file=rootfs.img,format=raw,readonly=on,if=virtio
EOF
}
case "${1:-}" in -h | --help) usage; exit 0 ;; esac
[ $# -le 2 ] || { usage >&2; exit 2; }

# shellcheck source=scripts/lib.sh
. "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../scripts/lib.sh"
image_env

OUTDIR="${1:-$BUILD_DIR/boot}"
SIZE_MB="${2:-1024}"
if ! { [[ "$SIZE_MB" =~ ^[0-9]+$ ]] && [ "$SIZE_MB" -ge 512 ]; }; then die "SIZE_MB must be an integer >= 512"; fi
MIRROR="${CAIRN_DEBIAN_MIRROR:-http://deb.debian.org/debian}"

need_root "debootstrap and file owners in the image need it"
ensure_packages debootstrap e2fsprogs

mkdir -p "$OUTDIR"
OUTDIR="$(readlink -f "$OUTDIR")"
tmp="$(mktemp -d "$OUTDIR/.make-bootable.XXXXXX")"
stage="$tmp/stage"
cleanup() {
  local m
  for m in proc sys dev; do
    if mountpoint -q "$stage/$m" 2>/dev/null; then umount -l "$stage/$m" || true; fi
  done
  rm -rf "$tmp"
}
trap cleanup EXIT

log "debootstrap bookworm (minbase, linux-image-amd64) from $MIRROR ..."
debootstrap --variant=minbase --include=linux-image-amd64,initramfs-tools,kmod,procps \
  bookworm "$stage" "$MIRROR" >"$tmp/debootstrap.log" 2>&1 ||
  { tail -20 "$tmp/debootstrap.log" >&2; die "debootstrap failed (log above)"; }

# The initramfs must find the root on a virtio disk: Debian's "most" set has virtio_blk and ext4.
kernel="$(basename "$(find "$stage/boot" -name 'vmlinuz-*' | sort | tail -1)")"
[ -n "$kernel" ] || die "no kernel in the image"
version="${kernel#vmlinuz-}"
[ -f "$stage/boot/initrd.img-$version" ] || die "no initramfs for $version in the image"

# init: a boot's userland in miniature. Markers go to the console (the serial port).
cat >"$stage/sbin/cairn-boot" <<'INIT'
#!/bin/sh
# Cairn boot benchmark: the guest's own userland, started by the kernel as init.
mount -t proc proc /proc
mount -t sysfs sysfs /sys 2>/dev/null || true # the initramfs may have mounted it
echo "CAIRN-BOOT-USERLAND $(cut -d' ' -f1 /proc/uptime)"
# what a boot reads: programs run, the libraries they load, configuration and package data
for p in ls ps dpkg-query sed awk grep find sort; do command -v "$p" >/dev/null && "$p" --version >/dev/null 2>&1; done
dpkg-query -W >/dev/null
cat /etc/passwd /etc/group /etc/os-release >/dev/null
find /etc /usr/share/doc -type f 2>/dev/null | head -400 | xargs cat >/dev/null 2>&1
ls -R /usr/lib/modules >/dev/null
echo "CAIRN-BOOT-DONE $(cut -d' ' -f1 /proc/uptime)"
echo o >/proc/sysrq-trigger
sleep 30
INIT
chmod 0755 "$stage/sbin/cairn-boot"
chroot "$stage" dpkg-query -W >"$tmp/packages.txt"

cp "$stage/boot/$kernel" "$tmp/vmlinuz"
cp "$stage/boot/initrd.img-$version" "$tmp/initrd.img"
rm -rf "$stage/var/cache/apt/archives"/*.deb

export MKE2FS_CONFIG="$TESTIMAGES_DIR/mke2fs.conf"
# shellcheck disable=SC2054  # the commas belong to -E
mkfs.ext4 -q -F -t ext4 -L cairn-boot -E nodiscard,lazy_itable_init=0,lazy_journal_init=0 \
  -d "$stage" "$tmp/rootfs.img" "${SIZE_MB}M" >/dev/null
e2fsck -fn "$tmp/rootfs.img" >"$tmp/fsck.log" 2>&1 || { cat "$tmp/fsck.log" >&2; die "e2fsck found problems in the new image"; }
mv -f "$tmp/rootfs.img" "$tmp/vmlinuz" "$tmp/initrd.img" "$tmp/packages.txt" "$OUTDIR/"
echo "$OUTDIR: rootfs.img (${SIZE_MB} MiB), vmlinuz and initrd.img of Linux $version, $(wc -l <"$OUTDIR/packages.txt") packages"
