#!/usr/bin/env bash
# Quick start: installs dependencies, builds, and starts two agencies' nodes on
# 127.0.0.1, cert-a and cert-b, paired with each other. MITRE ATT&CK Enterprise
# (24,771 STIX 2.1 objects) is loaded into cert-a's collection `shared`; the
# script waits until all of it has arrived, signed and receipted, in cert-b's
# collection `from-cert-a`, then shows the link, the envelopes with their
# receipts, and how to reach both nodes. Run it again to start over.
#   LIAISON_DEMO_PORT     TAXII port of cert-a (default 8443; its peer listener is +1)
#   LIAISON_DEMO_PORT_B   TAXII port of cert-b (default 9443; its peer listener is +1)
#   LIAISON_DATA_DIR      the shared STIX data (default ../shared/data)
#   LIAISON_BUILD_DIR     where to build (default ./build)
set -euo pipefail
cd "$(dirname "$0")/.."
top=$(pwd)
port_a=${LIAISON_DEMO_PORT:-8443}
port_b=${LIAISON_DEMO_PORT_B:-9443}
data=${LIAISON_DATA_DIR:-$top/../shared/data}
demo=$top/demo-home
bundle=$data/attack/enterprise-attack-18.1-rebuilt.json.xz
wait_max=180   # seconds to wait for ATT&CK to arrive at cert-b

./scripts/deps.sh
bin=${LIAISON_BUILD_DIR:-$top/build}
cmake -S . -B "$bin" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$bin" -j"$(nproc)" >/dev/null
liaison=$bin/liaison

# Start over: stop the demo nodes left running (and a one-node demo of an
# older version of this script, whose home was demo-home itself), remove them.
for pidfile in "$demo/liaisond.pid" "$demo"/*/liaisond.pid; do
	[ -f "$pidfile" ] || continue
	pid=$(cat "$pidfile")
	kill "$pid" 2>/dev/null || continue
	for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
done
rm -rf "$demo"
mkdir -p "$demo"

say() { printf '\n== %s\n' "$*"; }

# One agency's node: init, start, wait for its `started` event.
start_node() { # name taxii-port
	local home=$demo/$1
	"$liaison" init --home "$home" --name "$1" --listen "127.0.0.1:$2" \
		--peer-listen "127.0.0.1:$(($2 + 1))" >/dev/null
	nohup "$bin/liaisond" --home "$home" >"$home/liaisond.log" 2>&1 &
	for _ in $(seq 50); do
		grep -q '"event":"started"' "$home/liaisond.log" 2>/dev/null && break
		sleep 0.1
	done
	grep -q '"event":"started"' "$home/liaisond.log" || { cat "$home/liaisond.log"; exit 1; }
	echo "$1: liaisond pid $(cat "$home/liaisond.pid"), TAXII https://127.0.0.1:$2/, peer listener 127.0.0.1:$(($2 + 1))"
}

say "two agencies' nodes"
start_node cert-a "$port_a"
start_node cert-b "$port_b"
A=$demo/cert-a
B=$demo/cert-b

say "identities (each operator sends theirs to the other out of band)"
"$liaison" --home "$A" identity export >"$demo/cert-a.identity.json"
"$liaison" --home "$B" identity export >"$demo/cert-b.identity.json"
fpr_a=$("$liaison" --home "$A" identity show | awk '/^fingerprint:/ { print $2 }')
fpr_b=$("$liaison" --home "$B" identity show | awk '/^fingerprint:/ { print $2 }')
echo "cert-a fingerprint: $fpr_a   ($demo/cert-a.identity.json)"
echo "cert-b fingerprint: $fpr_b   ($demo/cert-b.identity.json)"

say "pairing, both ways"
# Without --yes, `partner add` shows the partner's fingerprint and asks the
# operator whether it matches the one the partner's operator reads out on
# the phone; here both operators are this script, so it confirms with --yes.
echo "cert-a's operator confirms cert-b's fingerprint $fpr_b with cert-b's operator:"
"$liaison" --home "$A" partner add "$demo/cert-b.identity.json" \
	--endpoint "https://127.0.0.1:$((port_b + 1))" --yes 2>&1 | sed 's/^/  /'
echo "cert-b's operator confirms cert-a's fingerprint $fpr_a with cert-a's operator:"
"$liaison" --home "$B" partner add "$demo/cert-a.identity.json" \
	--endpoint "https://127.0.0.1:$((port_a + 1))" --yes 2>&1 | sed 's/^/  /'

# An analyst on each node, with a password and a bearer token. The inbox
# from-PARTNER exists once paired; it is read-only (only the link writes it).
user_add() { # home partner -> prints "password token"
	local password token
	password=$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
	printf '%s\n' "$password" | "$liaison" user add analyst --home "$1" --password-stdin \
		--grant shared:rw --grant local:rw --grant "from-$2:r" >/dev/null
	token=$("$liaison" token create analyst --home "$1" 2>/dev/null)
	echo "$password $token"
}
read -r pass_a token_a < <(user_add "$A" cert-b)
read -r pass_b token_b < <(user_add "$B" cert-a)

say "cert-a's analyst loads MITRE ATT&CK into cert-a's collection 'shared'"
want=0
if [ -f "$bundle" ]; then
	xz -dc "$bundle" | LIAISON_TOKEN=$token_a "$liaison" load - --home "$A" --collection shared
	want=$("$liaison" --home "$A" collection list | awk '$2 == "shared" { print $3 }')
else
	echo "note: $bundle not found; nothing is shared" >&2
fi

say "waiting for cert-b to hold all $want objects in from-cert-a (at most $wait_max s)"
t0=$(date +%s)
have=0
while :; do
	have=$("$liaison" --home "$B" collection list | awk '$2 == "from-cert-a" { print $3 }')
	queued=$("$liaison" --home "$A" partner list | awk '$1 == "cert-b" { print $6 }')
	[ "${have:-0}" -ge "$want" ] && [ "${queued:-1}" = 0 ] && break
	if [ $(($(date +%s) - t0)) -ge "$wait_max" ]; then
		echo "cert-b holds ${have:-0} of $want after $wait_max s; see $A/liaisond.log and $B/liaisond.log" >&2
		exit 1
	fi
	sleep 0.5
done
echo "cert-b holds $have of $want objects in from-cert-a, and cert-a holds a receipt for every envelope ($(($(date +%s) - t0)) s)"

say "cert-a: partner list (link health)"
"$liaison" --home "$A" partner list
say "cert-a: the last envelopes sent to cert-b, with cert-b's signed receipts"
"$liaison" --home "$A" envelope list --partner cert-b --limit 5
say "cert-b: collections"
"$liaison" --home "$B" collection list
shared_a=$("$liaison" --home "$A" collection list | awk '$2 == "shared" { print $1 }')
inbox_b=$("$liaison" --home "$B" collection list | awk '$2 == "from-cert-a" { print $1 }')

cat <<TXT

Two liaison nodes are running on 127.0.0.1, paired; homes in $demo.

  cert-a  https://127.0.0.1:$port_a/liaison/   peer 127.0.0.1:$((port_a + 1))   pid $(cat "$A/liaisond.pid")   log $A/liaisond.log
          user analyst   password $pass_a
          bearer token   $token_a
          shared = $shared_a (MITRE ATT&CK Enterprise, shared with cert-b)
  cert-b  https://127.0.0.1:$port_b/liaison/   peer 127.0.0.1:$((port_b + 1))   pid $(cat "$B/liaisond.pid")   log $B/liaisond.log
          user analyst   password $pass_b
          bearer token   $token_b
          from-cert-a = $inbox_b (what cert-a sent, read-only)

Try:
  curl --cacert $A/tls/cert.pem -u analyst:$pass_a \\
       https://127.0.0.1:$port_a/liaison/collections/
  curl --cacert $A/tls/cert.pem -H 'Authorization: Bearer $token_a' \\
       'https://127.0.0.1:$port_a/liaison/collections/$shared_a/objects/?match%5Btype%5D=intrusion-set&limit=2'
  curl --cacert $B/tls/cert.pem -u analyst:$pass_b \\
       https://127.0.0.1:$port_b/liaison/collections/
  curl --cacert $B/tls/cert.pem -H 'Authorization: Bearer $token_b' \\
       'https://127.0.0.1:$port_b/liaison/collections/$inbox_b/objects/?match%5Btype%5D=intrusion-set&limit=2'
  $liaison --home $B envelope list --partner cert-a --in --limit 5
  $liaison --home $A notify --partner cert-b --summary 'DDoS on the tax portal from AS64500'
  $liaison --home $B cases --open      # then: $liaison --home $B ack ID

Stop them with: kill \$(cat $A/liaisond.pid) \$(cat $B/liaisond.pid)
TXT
