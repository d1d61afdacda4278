#!/usr/bin/env bash
# Boot the test guest once under TCG, as the lab does, and check its contract:
# SF-READY within 10 s, heartbeats, disk acks, TCP echo and UDP probe answers,
# then stop QEMU and verify the data disk with sf-diskverify.
#
# usage: tests/guest/bootcheck.sh [SECONDS_AFTER_READY]   (default 8)
# Needs: make guest build/lab/sf-diskverify; qemu-system-x86, qemu-utils,
# python3. Leaves nothing behind (KEEP=1 keeps the work directory).
set -euo pipefail

cd "$(dirname "$0")/../.."
RUN_FOR=${1:-8}
READY_LIMIT=10
work=$(mktemp -d /tmp/gt-boot.XXXXXX)
qemu_pid=
cleanup() {
	if [ -n "$qemu_pid" ] && kill -0 "$qemu_pid" 2>/dev/null; then
		kill "$qemu_pid"
		wait "$qemu_pid" 2>/dev/null || true
	fi
	[ -n "${KEEP:-}" ] && echo "bootcheck: kept $work" || rm -rf "$work"
}
trap cleanup EXIT
fail() {
	echo "bootcheck: FAIL: $*" >&2
	tail -n 30 "$work/serial.log" >&2 || true
	exit 1
}

tcp_port=$((20000 + RANDOM % 20000))
udp_port=$((tcp_port + 1))
qemu-img create -q -f qcow2 "$work/root.qcow2" 16M
qemu-img create -q -f qcow2 "$work/data.qcow2" 64M
append="console=ttyS0 sf.ip=198.18.1.10/24 sf.gw=198.18.1.1 sf.mem=64"
append="$append sf.rate=2000 sf.disk=/dev/vdb"

start=$(date +%s%N)
qemu-system-x86_64 -accel tcg -m 256 -display none -monitor none \
	-serial "file:$work/serial.log" -no-reboot \
	-kernel build/guest/vmlinuz -initrd build/guest/initrd.img \
	-append "$append" \
	-drive "file=$work/root.qcow2,if=virtio,format=qcow2" \
	-drive "file=$work/data.qcow2,if=virtio,format=qcow2" \
	-netdev "user,id=n0,net=198.18.1.0/24,host=198.18.1.1,hostfwd=tcp:127.0.0.1:$tcp_port-198.18.1.10:7000,hostfwd=udp:127.0.0.1:$udp_port-198.18.1.10:7001" \
	-device virtio-net-pci,netdev=n0 &
qemu_pid=$!

ready_ms=
for _ in $(seq 1 300); do
	if grep -q '^SF-READY' "$work/serial.log" 2>/dev/null; then
		ready_ms=$((($(date +%s%N) - start) / 1000000))
		break
	fi
	kill -0 "$qemu_pid" 2>/dev/null || fail "qemu exited"
	sleep 0.1
done
[ -n "$ready_ms" ] || fail "no SF-READY after 30 s"
echo "bootcheck: SF-READY after ${ready_ms} ms (limit ${READY_LIMIT}000 ms)"
[ "$ready_ms" -lt $((READY_LIMIT * 1000)) ] || fail "boot too slow"

sleep "$RUN_FOR"
python3 - "$tcp_port" "$udp_port" <<'PY' || fail "echo services"
import os, socket, sys
tcp, udp = int(sys.argv[1]), int(sys.argv[2])
clients = [socket.create_connection(("127.0.0.1", tcp), timeout=5)
           for _ in range(20)]
for i, c in enumerate(clients):
    c.sendall(b"hello %d " % i + os.urandom(3000))
for i, c in enumerate(clients):
    want = len(b"hello %d " % i) + 3000
    got = b""
    while len(got) < want:
        chunk = c.recv(65536)
        if not chunk:
            sys.exit("tcp: connection closed early")
        got += chunk
    assert got.startswith(b"hello %d " % i), "tcp: wrong echo"
    c.close()
print("bootcheck: tcp echo ok (20 concurrent clients, 3 KiB each)")
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.settimeout(2)
probe = b"probe " + os.urandom(100)
for attempt in range(5):
    u.sendto(probe, ("127.0.0.1", udp))
    try:
        data, _ = u.recvfrom(2048)
    except socket.timeout:
        continue
    assert data == probe, "udp: answer differs"
    print("bootcheck: udp probe ok")
    break
else:
    sys.exit("udp: no answer")
PY

kill "$qemu_pid"
wait "$qemu_pid" 2>/dev/null || true
qemu_pid=

tr -d '\r' <"$work/serial.log" >"$work/serial.txt"
grep -q '^SF-BOOT-ERROR\|^SF-DIED\|^SF-MISMATCH' "$work/serial.txt" &&
	fail "errors on the console"
hbs=$(grep -c '^SF-HB ' "$work/serial.txt" || true)
acks=$(grep -c '^SF-DISK-ACK ' "$work/serial.txt" || true)
echo "bootcheck: heartbeats=$hbs disk_acks=$acks"
grep '^SF-HB ' "$work/serial.txt" | tail -n 1
[ "$hbs" -ge "$RUN_FOR" ] || fail "too few heartbeats"
[ "$acks" -ge 10 ] || fail "too few disk acks"
qemu-img convert -O raw "$work/data.qcow2" "$work/data.raw"
build/lab/sf-diskverify --image "$work/data.raw" --log "$work/serial.log" ||
	fail "disk verification"
echo "bootcheck: PASS"
