#!/bin/sh
# skyferry test guest: PID 1 of the initramfs (built by scripts/mkguest).
# The sf.* kernel parameters are parsed by sf-cmdline, never here.
export PATH=/bin

mount -t devtmpfs dev /dev
exec </dev/console >/dev/console 2>&1
mount -t proc proc /proc
mount -t sysfs sys /sys
mkdir -p /run/sf /tmp
# Only emergencies on the console from now on: tool lines must stay whole.
echo 1 >/proc/sys/kernel/printk

boot_error() {
	echo "SF-BOOT-ERROR $*"
}

sf-cmdline check || boot_error "tool=init bad sf.* kernel parameters"

# Dependency order, from /etc/sf-modules (built-in drivers are left out).
while read -r mod; do
	insmod "/lib/modules/$mod.ko" || boot_error "tool=init insmod $mod"
done </etc/sf-modules

# The ACPI power button powers the guest off (tests/guest/power.sh), so
# `virsh shutdown` works as on any VM.
acpid -c /etc/acpi -l /dev/null || boot_error "tool=init acpid"

ip link set lo up
if ip=$(sf-cmdline get ip); then
	ip link set eth0 up || boot_error "tool=init no eth0"
	ip addr add "$ip" dev eth0 || boot_error "tool=init ip addr $ip"
	if gw=$(sf-cmdline get gw); then
		ip route add default via "$gw" ||
			boot_error "tool=init default route $gw"
	fi
	# Announce the address, as a booting host does, so that neighbours
	# drop what they cached for an earlier holder of it.
	arping -q -U -c 1 -I eth0 "${ip%/*}" >/dev/null 2>&1 || true
else
	boot_error "tool=init no sf.ip=, eth0 left unconfigured"
fi

waits="--wait /run/sf/echo.ready"
(sf-echo --ready-file /run/sf/echo.ready; echo "SF-DIED tool=sf-echo rc=$?") &
if sf-cmdline get disk >/dev/null; then
	waits="$waits --wait /run/sf/diskwriter.ready"
	(sf-diskwriter --ready-file /run/sf/diskwriter.ready
	 echo "SF-DIED tool=sf-diskwriter rc=$?") &
fi
# shellcheck disable=SC2086 # $waits is a list of options
(sf-memload $waits; echo "SF-DIED tool=sf-memload rc=$?") &

# PID 1 must never exit; it reaps orphans meanwhile.
while :; do
	wait
	sleep 60
done
