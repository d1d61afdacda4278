#!/usr/bin/env bash
# Install every Debian package that skyferry's build, tests, lab and benchmarks
# need. Idempotent: when everything is present it only runs dpkg-query.
set -euo pipefail

PKGS=(
	# build
	build-essential pkg-config clang-format
	libvirt-dev libssl-dev liblz4-dev libzstd-dev libnl-3-dev libnl-route-3-dev
	libssh2-1-dev libxml2-dev libjansson-dev libnbd-dev
	# tests and fuzzing
	libcriterion-dev clang libclang-rt-14-dev
	# lab: hypervisor, daemons, namespaces, relays, measurements
	libvirt-daemon-system libvirt-clients qemu-system-x86 qemu-utils
	iproute2 iputils-ping ethtool socat iperf3 util-linux procps psmisc
	# each site's libvirtd runs under tini as child subreaper (scripts/lab)
	tini
	# test guest; its boot disk (scripts/mkbootdisk): SYSLINUX, installed
	# through mtools, on a FAT made by mkfs.vfat, behind an MBR from sfdisk
	busybox-static cpio xz-utils zstd kmod
	syslinux syslinux-common mtools dosfstools fdisk
	# benchmarks
	gnuplot-nox openssh-client openssh-server time
)

missing=()
for p in "${PKGS[@]}"; do
	case "$p" in \#*) continue ;; esac
	st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	[ "$st" = installed ] || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
	exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: missing packages: ${missing[*]}" >&2
	echo "install-deps: run this script as root to install them" >&2
	exit 1
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends \
	-o Dpkg::Options::=--force-confnew \
	-o Dpkg::Options::=--force-confdef \
	"${missing[@]}"
