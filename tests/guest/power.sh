#!/bin/sh
# skyferry test guest: the ACPI power button (busybox acpid runs this as
# /etc/acpi/PWRF/00000080). A clean power-off, as a real guest does on
# `virsh shutdown`: the disk writer has synced every record it acknowledged;
# sync what else there is, say so on the console, power off.
export PATH=/bin
echo "SF-POWEROFF" >/dev/console
sync
poweroff -f
