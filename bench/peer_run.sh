#!/usr/bin/env bash
# Runs the partner-channel benchmark: bench/peer_bench starts two liaisond
# (cert-a, cert-b) with fresh homes on 127.0.0.1, pairs them, and measures
# A -> B throughput (ATT&CK Enterprise and 100,000 synthetic indicators,
# stored before the pairing and posted after it) and the latency from a
# TAXII add on A to B's receipt stored on A. Prints the machine, every
# figure, a summary against the targets and one JSON line per phase.
# Measures; asserts nothing (exit status 1 only if something failed).
#
# usage: bench/peer_run.sh [--out FILE] [--perf] [-- PEER_BENCH_ARGS...]
#   --out FILE  also write the JSON lines to FILE
#   --perf      record `perf record -a -g` over the whole run and print where the CPU
#               went per thread and library (slower; not for the reference figures)
#   after --, arguments for peer_bench (see build-bench/peer_bench --help), e.g.
#               -- --objects 0 preload      only the ATT&CK preload
#               -- --keep latency           keep the homes and daemon logs
# Needs: cmake, a C compiler, xz. Takes about 1.5-2 minutes on 2 cores.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$ROOT/build-bench}
OUT=""
PERF=0
while [ $# -gt 0 ]; do
	case "$1" in
	--out) OUT=$2; shift 2 ;;
	--perf) PERF=1; shift ;;
	--) shift; break ;;
	-h|--help) sed -n '2,16p' "$0"; exit 0 ;;
	*) echo "peer_run.sh: unknown argument '$1' (peer_bench arguments go after --)" >&2; exit 2 ;;
	esac
done

say() { printf '\n== %s\n' "$*"; }

say "build (Release) in $BUILD"
cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$BUILD" -j"$(nproc)" --target liaisond liaison peer_bench >/dev/null

WORK=$(mktemp -d "${TMPDIR:-/tmp}/liaison-peer-run.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

say "machine"
echo "cpu: $(nproc) x $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)"
echo "memory: $(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)"
echo "kernel: $(uname -sr)"
echo "temp dir: $(df -T "$WORK" | awk 'NR == 2 { print $2 " on " $1 }')"
# What one durable commit costs here: 4 KiB writes, each followed by its fdatasync.
dd if=/dev/zero of="$WORK/probe" bs=4k count=200 oflag=dsync 2>&1 |
	awk '/copied/ { printf "4 KiB O_DSYNC writes: %.2f ms each (%s)\n", $(NF-3) * 1000 / 200, $0 }'
rm -f "$WORK/probe"
SRC_SHA=$(cd "$ROOT" && find src include bench -type f \( -name '*.[ch]' -o -name '*.sh' \) |
	LC_ALL=C sort | xargs sha256sum | sha256sum | cut -c1-16)
echo "sources (src/ include/ bench/) sha256 $SRC_SHA, $(date -u +%Y-%m-%dT%H:%M:%SZ)"

say "peer_bench $*"
if [ "$PERF" = 1 ]; then
	perf record -a -g -F 499 -o "$WORK/perf.data" -- "$BUILD/peer_bench" "$@" | tee "$WORK/out.txt"
	say "perf: CPU by thread and library over the whole run (tids: see the thread lines above)"
	perf report -i "$WORK/perf.data" --no-children --sort pid,dso -g none --stdio 2>/dev/null |
		grep -E '^ +[0-9.]+%' | grep -v swapper | head -30
else
	"$BUILD/peer_bench" "$@" | tee "$WORK/out.txt"
fi
if [ -n "$OUT" ]; then
	grep '^{' "$WORK/out.txt" >"$OUT"
	echo "peer_run.sh: JSON lines in $OUT"
fi
