# Shared helpers for the lab integration tests. Source it; it expects a lab
# that is up (scripts/lab up), named by $LAB_PREFIX.
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${SKYFERRY_BUILD:-$ROOT/build}
export LAB_PREFIX=${LAB_PREFIX:-sf}
LAB_STATE=${LAB_STATE:-/run/skyferry-lab/$LAB_PREFIX}
TEST_NAME=$(basename "$0")
failures=0
bg_pids=()

lab() { "$ROOT/scripts/lab" "$@"; }

pass() { echo "PASS $TEST_NAME: $*"; }
fail() {
	echo "FAIL $TEST_NAME: $*"
	failures=$((failures + 1))
}
check() { # check DESCRIPTION CMD...: PASS or FAIL by the command's status
	local what=$1
	shift
	if "$@"; then pass "$what"; else fail "$what"; fi
}
fatal() {
	echo "FAIL $TEST_NAME: $*"
	exit 1
}

# Start a command in the background inside a lab namespace; remember its PID
# so that cleanup stops exactly what this test started. Not through the lab
# function: a backgrounded function is a subshell, and killing it would leave
# the command running. scripts/lab exec replaces itself with the command, so
# $! is the command's own PID.
lab_bg() {
	"$ROOT/scripts/lab" exec "$@" &
	bg_pids+=($!)
}

stop_bg() {
	local pid
	for pid in "${bg_pids[@]}"; do
		kill "$pid" 2>/dev/null || true
	done
	for pid in "${bg_pids[@]}"; do
		wait "$pid" 2>/dev/null || true
	done
	bg_pids=()
}

serial_log() { echo "$LAB_STATE/$1/log/qemu/$2-serial.log"; }

# Wait until FILE has a line matching REGEX, at most SECONDS.
wait_line() {
	local file=$1 re=$2 secs=$3 t0=$SECONDS
	until grep -qE "$re" "$file" 2>/dev/null; do
		[ $((SECONDS - t0)) -lt "$secs" ] || return 1
		sleep 0.2
	done
}

last_hb_seq() {
	grep -aoE 'SF-HB seq=[0-9]+' "$1" 2>/dev/null | tail -n 1 | cut -d= -f2
}

# Every heartbeat in the log reports zero mismatches and no mismatch line.
no_mismatch() {
	! grep -aq 'SF-MISMATCH' "$1" &&
		! grep -aE 'SF-HB ' "$1" | tr -d '\r' | grep -avq 'mismatches=0$'
}

finish() {
	stop_bg
	if [ "$failures" -eq 0 ]; then
		echo "$TEST_NAME: all checks passed"
		exit 0
	fi
	echo "$TEST_NAME: $failures check(s) failed"
	exit 1
}
