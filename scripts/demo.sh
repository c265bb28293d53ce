#!/usr/bin/env bash
# Quick start: installs dependencies, builds, starts a demonstration node on
# 127.0.0.1 loaded with MITRE ATT&CK Enterprise (24,771 STIX 2.1 objects),
# and prints how to reach it. Run it again to start over.
#   LIAISON_DEMO_PORT   port of the TAXII API (default 8443)
#   LIAISON_DATA_DIR    the shared STIX data (default ../shared/data)
set -euo pipefail
cd "$(dirname "$0")/.."
top=$(pwd)
port=${LIAISON_DEMO_PORT:-8443}
data=${LIAISON_DATA_DIR:-$top/../shared/data}
home=$top/demo-home
bundle=$data/attack/enterprise-attack-18.1-rebuilt.json.xz

./scripts/deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)" >/dev/null
bin=$top/build

# Start over: stop a demo node left running, remove its home.
if [ -f "$home/liaisond.pid" ]; then
	kill "$(cat "$home/liaisond.pid")" 2>/dev/null || true
	sleep 1
fi
rm -rf "$home"

"$bin/liaison" init --home "$home" --name demo --listen "127.0.0.1:$port" >/dev/null
password=$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
printf '%s\n' "$password" | "$bin/liaison" user add analyst --home "$home" \
	--password-stdin --grant shared:rw --grant local:rw >/dev/null
token=$("$bin/liaison" token create analyst --home "$home" 2>/dev/null)

nohup "$bin/liaisond" --home "$home" >"$home/liaisond.log" 2>&1 &
for _ in $(seq 50); do
	grep -q '"event":"started"' "$home/liaisond.log" 2>/dev/null && break
	sleep 0.1
done
grep -q '"event":"started"' "$home/liaisond.log" || { cat "$home/liaisond.log"; exit 1; }

if [ -f "$bundle" ]; then
	xz -dc "$bundle" | LIAISON_TOKEN=$token "$bin/liaison" load - --home "$home" --collection shared
else
	echo "note: $bundle not found; the node starts empty" >&2
fi
shared=$("$bin/liaison" collection list --home "$home" | awk '$2 == "shared" { print $1 }')

cat <<TXT

A liaison node is running (pid $(cat "$home/liaisond.pid")), home $home, log $home/liaisond.log.

  TAXII discovery   https://127.0.0.1:$port/taxii2/
  API root          https://127.0.0.1:$port/liaison/
  collection        shared = $shared (MITRE ATT&CK Enterprise)
  user              analyst   password $password
  bearer token      $token
  CA certificate    $home/tls/cert.pem

Try:
  curl --cacert $home/tls/cert.pem -u analyst:$password \\
       https://127.0.0.1:$port/liaison/collections/
  curl --cacert $home/tls/cert.pem -H 'Authorization: Bearer $token' \\
       'https://127.0.0.1:$port/liaison/collections/$shared/objects/?match%5Btype%5D=intrusion-set&limit=2'

Stop it with: kill \$(cat $home/liaisond.pid)
TXT
