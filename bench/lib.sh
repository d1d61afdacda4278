# shellcheck shell=bash
# shellcheck disable=SC2154 # ROOT, PREFIX, STATE, BUILD, tmp, VMIP: the caller's
# bench/lib.sh: what the migration benchmarks (bench/matrix,
# bench/migration) share. Source it after setting:
#   ROOT      the source tree
#   PREFIX    the lab's prefix
#   LAB       a function running scripts/lab with that prefix
#   STATE     the lab's state directory (/run/skyferry-lab/PREFIX)
#   BUILD     the build directory
#   tmp       the benchmark's scratch directory (certificates in $tmp/certs)
#   VMIP      the guest's address, which the client namespace probes
# It keeps background PIDs in the array bgs (stop_bgs ends them).

VNI_HAND=4242 # the hand-rolled tunnel of the baselines
bgs=()

# End the background helpers this benchmark started, by their PIDs.
stop_bgs() {
	local p
	for p in "${bgs[@]}"; do
		kill -TERM "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	bgs=()
}

# Bytes the WAN emulator forwarded, both directions.
wan_bytes() {
	LAB wan show | awk -F= '/^(ew|we)\.fwd_bytes=/ { s += $2 } END { printf "%.0f\n", s }'
}

now_ms() { date +%s%3N; }

field() { # FILE KEY: a field of a one-line JSON object
	sed -n "s/.*\"$2\":\\(\"[^\"]*\"\\|[a-z0-9.]*\\).*/\\1/p" "$1" | tr -d '"' | tail -n 1
}

# Destroy and undefine the guest at both sites, and remove its disks.
remove_guest() {
	local s
	for s in east west; do
		LAB virsh "$s" destroy "$1" >/dev/null 2>&1 || true
		LAB virsh "$s" undefine "$1" >/dev/null 2>&1 || true
	done
	rm -f "$STATE"/{east,west}/lib/images/"$1"-data.qcow2
	rm -rf "$STATE"/{east,west}/lib/images/skyferry/"$1"-*
}

# The migrator's credentials (certificates made by scripts/mkcerts).
creds() {
	echo --peer-id west --cert "$tmp/certs/east.crt" --key "$tmp/certs/east.key" \
		--ca "$tmp/certs/ca.crt"
}

# The baselines' L2 extension: a hand-rolled VXLAN between the sites'
# bridges, so the guest's clients reach it at west (skyferry sets up its
# own with --net l2-extend).
hand_tunnel() { # up|down
	if [ "$1" = up ]; then
		LAB exec east ip link add sfbx type vxlan id $VNI_HAND local 198.18.0.1 \
			remote 198.18.0.2 dstport 4789 nolearning
		LAB exec west ip link add sfbx type vxlan id $VNI_HAND local 198.18.0.2 \
			remote 198.18.0.1 dstport 4789 nolearning
		for s in east west; do
			LAB exec "$s" ip link set sfbx master vmbr0 up
		done
	else
		for s in east west; do
			LAB exec "$s" ip link del sfbx 2>/dev/null || true
		done
	fi
}

# Start sf-netprobe in the client namespace against the guest, writing
# its JSON to FILE; returns once it probes.
start_probe() { # FILE
	rm -f "$tmp/ready"
	# scripts/lab itself, not the LAB function: a function in the
	# background runs in a subshell, and the probe would outlive its PID.
	"$ROOT/scripts/lab" --prefix "$PREFIX" exec client "$BUILD/lab/sf-netprobe" \
		--target "$VMIP" --json --ready-file "$tmp/ready" >"$1" 2>/dev/null &
	bgs+=($!)
	for _ in $(seq 100); do [ -e "$tmp/ready" ] && break; sleep 0.2; done
}

# Until the guest answers a ping from the client namespace (at most 3 s),
# then 0.1 s for the probe's next reply: the probe counts a silence when a
# reply ends it.
wait_reachable() {
	local _
	for _ in $(seq 30); do
		if LAB exec client ping -n -q -c 1 -W 0.1 "$VMIP" >/dev/null 2>&1; then
			sleep 0.1
			return 0
		fi
	done
	echo "bench: the guest does not answer at $VMIP" >&2
}

# Tear down the tunnels skyferry's migrator set up for the guest.
teardown_tunnels() {
	local id
	for id in $(LAB exec east "$BUILD/migrator" tunnel list | awk '{ print $1 }' || true); do
		# shellcheck disable=SC2046
		LAB exec east "$BUILD/migrator" tunnel teardown "$id" \
			--to 198.18.0.2 $(creds) >/dev/null 2>&1 || true
	done
}
