#!/usr/bin/env bash
# The daemon's cost of dashboards holding live streams open (GET /api/v1/events,
# Server-Sent Events): its RSS and CPU at idle with no stream, then with N streams
# (each a `curl -N`, as a browser's EventSource), over the same number of seconds.
# Also the time from a change (a `liaison user add` by another process) until
# every stream has carried its `event: change`. Measures; asserts nothing.
#
# usage: bench/live.sh [--streams 100] [--seconds 30] [--changes 20]
# Needs: cmake, a C compiler, curl, jq. Takes about 2 * seconds + 30 s.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$ROOT/build-bench}
N=100
SECS=30
CHANGES=20
while [ $# -gt 0 ]; do
	case "$1" in
	--streams) N=$2; shift 2 ;;
	--seconds) SECS=$2; shift 2 ;;
	--changes) CHANGES=$2; shift 2 ;;
	-h|--help) sed -n '2,9p' "$0"; exit 0 ;;
	*) echo "live.sh: unknown argument '$1'" >&2; exit 2 ;;
	esac
done
for tool in cmake curl jq; do
	command -v "$tool" >/dev/null || { echo "live.sh: $tool is needed" >&2; exit 1; }
done

WORK=$(mktemp -d "${TMPDIR:-/tmp}/liaison-live.XXXXXX")
DPID=""
cleanup() {
	jobs -p | xargs -r kill 2>/dev/null || true
	if [ -n "$DPID" ]; then kill -TERM "$DPID" 2>/dev/null || true; wait "$DPID" 2>/dev/null || true; fi
	rm -rf "$WORK"
}
trap cleanup EXIT

echo "== build (Release) in $BUILD"
cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$BUILD" -j"$(nproc)" --target liaisond liaison >/dev/null
LIAISON=$BUILD/liaison
H=$WORK/node
"$LIAISON" init --home "$H" --name live --listen 127.0.0.1:0 --peer-listen 127.0.0.1:0 >/dev/null
"$LIAISON" user add bench --home "$H" --admin >/dev/null
printf 'Authorization: Bearer %s\n' "$("$LIAISON" token create bench --home "$H" 2>/dev/null)" >"$WORK/auth"
"$BUILD/liaisond" --home "$H" >"$WORK/daemon.log" 2>&1 &
DPID=$!
for _ in $(seq 1 100); do
	grep -q '"event":"started"' "$WORK/daemon.log" && break
	sleep 0.05
done
PORT=$(grep -m1 '"event":"started"' "$WORK/daemon.log" | jq -r .port)
BASE=https://127.0.0.1:$PORT
CURL=(curl -s --cacert "$H/tls/cert.pem" -H @"$WORK/auth")
echo "liaisond pid $DPID on 127.0.0.1:$PORT"

metric() { "${CURL[@]}" "$BASE/metrics" | awk -v m="$1" '$1 == m { print $2 }'; }
rss_kib() { awk '/^VmRSS/ { print $2 }' "/proc/$DPID/status"; }
ticks() { awk '{ print $14 + $15 }' "/proc/$DPID/stat"; }
HZ=$(getconf CLK_TCK)

# idle: CPU seconds over SECS, as a share of one core
idle() {
	local t0 t1
	t0=$(ticks); sleep "$SECS"; t1=$(ticks)
	awk -v a="$t0" -v b="$t1" -v hz="$HZ" -v s="$SECS" 'BEGIN { printf "%.4f", (b - a) / hz / s }'
}

sleep 1
rss0=$(rss_kib)
cpu0=$(idle)
echo "no stream: RSS $rss0 KiB, CPU $cpu0 of a core over $SECS s"

for i in $(seq 1 "$N"); do
	"${CURL[@]}" -N "$BASE/api/v1/events" >"$WORK/s$i" 2>/dev/null &
done
for _ in $(seq 1 200); do
	[ "$(metric liaison_ui_live_streams)" = "$N" ] && break
	sleep 0.05
done
open=$(metric liaison_ui_live_streams)
sleep 1
rss1=$(rss_kib)
cpu1=$(idle)
echo "$open streams: RSS $rss1 KiB ($(( (rss1 - rss0) * 1024 / (open > 0 ? open : 1) )) bytes a stream), CPU $cpu1 of a core over $SECS s"

# a change by another process until every stream carried it
lat=()
for c in $(seq 1 "$CHANGES"); do
	before=$(cat "$WORK"/s* | grep -c '^event: change' || true)
	t0=$(date +%s%N)
	"$LIAISON" user add "u$c" --home "$H" >/dev/null
	for _ in $(seq 1 400); do
		now=$(cat "$WORK"/s* | grep -c '^event: change' || true)
		[ "$now" -ge $((before + open)) ] && break
		sleep 0.01
	done
	lat+=($(( ($(date +%s%N) - t0) / 1000000 )))
	sleep 0.3
done
sorted=$(printf '%s\n' "${lat[@]}" | sort -n)
p50=$(sed -n "$(( (CHANGES + 1) / 2 ))p" <<<"$sorted")
pmax=$(tail -1 <<<"$sorted")
echo "a change to all $open streams (CLI commit to the last stream's event): p50 $p50 ms, max $pmax ms over $CHANGES changes"
printf '{"bench":"live","streams":%s,"seconds":%s,"rss_idle_kib":%s,"rss_streams_kib":%s,"cpu_idle_cores":%s,"cpu_streams_cores":%s,"change_p50_ms":%s,"change_max_ms":%s}\n' \
	"$open" "$SECS" "$rss0" "$rss1" "$cpu0" "$cpu1" "$p50" "$pmax"
