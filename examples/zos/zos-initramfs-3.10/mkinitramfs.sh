#!/bin/sh
# Makes the tree of the example's initramfs in DIR: what a zos node boots
# with before any package (busybox as /bin/sh and its applets, the mount
# points, zinit's empty config directory, the release identity). The demo
# builds a node's root with it; the zos-initramfs recipe publishes the same
# tree as the base profile repositories are checked against.
set -e
dir=$1
[ -n "$dir" ] || { echo "usage: mkinitramfs.sh DIR" >&2; exit 2; }
busybox=${BUSYBOX:-/usr/bin/busybox}
[ -x "$busybox" ] || { echo "mkinitramfs.sh: $busybox is missing (Debian: apt-get install busybox-static)" >&2; exit 1; }
mkdir -p "$dir/bin" "$dir/sbin" "$dir/dev" "$dir/proc" "$dir/sys" "$dir/tmp" "$dir/run" "$dir/var/log" "$dir/etc/zinit"
cp "$busybox" "$dir/bin/busybox"
for applet in sh ash cat cp date echo env false grep kill ls mkdir mountpoint rm sleep test touch true; do
  ln -sf busybox "$dir/bin/$applet"
done
printf 'NAME="Zero-OS"\nVERSION_ID=3.10\n' > "$dir/etc/os-release"
