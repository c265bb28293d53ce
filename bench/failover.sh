#!/usr/bin/env bash
# Failover time of a node run as two daemons on one PostgreSQL server: kills
# the active daemon (kill -9) N times and measures, each time, how long until
# the other one logs "event":"active" (it then runs the singletons). The
# killed daemon is started again and must come back as the standby before the
# next kill. Prints each time, the median and the maximum, and a JSON line.
# Measures; asserts nothing. Everything listens on 127.0.0.1.
#
# usage: bench/failover.sh [--kills N] [--out FILE] [--keep]
# Needs: cmake, a C compiler, jq, Debian's postgresql. About 2 minutes.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$ROOT/build-bench}
KILLS=20
OUT=""
KEEP=0
while [ $# -gt 0 ]; do
	case "$1" in
	--kills) KILLS=$2; shift 2 ;;
	--out) OUT=$2; shift 2 ;;
	--keep) KEEP=1; shift ;;
	-h|--help) sed -n '2,11p' "$0"; exit 0 ;;
	*) echo "failover.sh: unknown argument '$1'" >&2; exit 2 ;;
	esac
done

WORK=$(mktemp -d "${TMPDIR:-/tmp}/liaison-failover.XXXXXX")
chmod 711 "$WORK"   # the server runs as postgres when we are root
PIDS=()
cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
	sleep 0.5
	"$ROOT/scripts/pg-cluster.sh" stop "$WORK/pg" >/dev/null 2>&1 || true
	if [ "$KEEP" = 1 ]; then echo "failover.sh: kept $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$BUILD" -j"$(nproc)" --target liaisond liaison >/dev/null
LIAISON=$BUILD/liaison
LIAISOND=$BUILD/liaisond

SERVER=$("$ROOT/scripts/pg-cluster.sh" start "$WORK/pg" $((30000 + RANDOM % 20000)))
psql -q "$SERVER/postgres" -c "CREATE DATABASE node" >/dev/null
"$LIAISON" init --home "$WORK/h0" --name failover --listen 127.0.0.1:0 --peer-listen 127.0.0.1:0 \
	--store "$SERVER/node" >/dev/null
cp -a "$WORK/h0" "$WORK/h1"

# start I: daemon I on home hI, its log in dI.log (appended: a restart adds lines)
start() {
	"$LIAISOND" --home "$WORK/h$1" >>"$WORK/d$1.log" 2>&1 &
	PIDS[$1]=$!
}
actives() { grep -c '"event":"active"' "$WORK/d$1.log" 2>/dev/null || true; }
now_ms() { date +%s%3N; }

start 0
for _ in $(seq 1 200); do [ "$(actives 0)" -ge 1 ] && break; sleep 0.05; done
[ "$(actives 0)" -ge 1 ] || { echo "failover.sh: the first daemon never became active" >&2; exit 1; }
start 1
sleep 1
active=0
times=()
echo "postgres $("$BUILD/liaison" --version 2>/dev/null | head -1); $KILLS kills of the active daemon"
for k in $(seq 1 "$KILLS"); do
	other=$((1 - active))
	before=$(actives "$other")
	kill -9 "${PIDS[$active]}"
	t0=$(now_ms)
	while [ "$(actives "$other")" -le "$before" ]; do
		if [ $(($(now_ms) - t0)) -gt 30000 ]; then
			echo "failover.sh: no takeover within 30 s at kill $k" >&2
			exit 1
		fi
		sleep 0.01
	done
	ms=$(($(now_ms) - t0))
	times+=("$ms")
	printf '  kill %2d: daemon %d took over in %5d ms\n' "$k" "$other" "$ms"
	wait "${PIDS[$active]}" 2>/dev/null || true
	# the killed one comes back and must settle as the standby
	start "$active"
	sleep 1.5
	active=$other
done
sorted=$(printf '%s\n' "${times[@]}" | sort -n)
median=$(awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }' <<<"$sorted")
max=$(tail -1 <<<"$sorted")
min=$(head -1 <<<"$sorted")
echo "failover over $KILLS kills: median $median ms, min $min ms, max $max ms"
line="{\"bench\":\"failover\",\"kills\":$KILLS,\"median_ms\":$median,\"min_ms\":$min,\"max_ms\":$max,\"times_ms\":[$(IFS=,; echo "${times[*]}")],\"date\":\"$(date -u +%Y-%m-%dT%H:%M:%SZ)\",\"nproc\":$(nproc)}"
echo "$line"
[ -z "$OUT" ] || echo "$line" >>"$OUT"
