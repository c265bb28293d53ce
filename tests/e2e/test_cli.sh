#!/usr/bin/env bash
# End-to-end test of the liaison CLI against a fresh node home: exit codes,
# file modes, and the output scripts rely on. Needs no running daemon.
# usage: test_cli.sh BUILD_DIR
set -euo pipefail

BIN="${1:?usage: test_cli.sh BUILD_DIR}/liaison"
TMP=$(mktemp -d)
HOME_DIR="$TMP/node"
# With LIAISON_TEST_PG (a server URL), the nodes' stores are fresh databases there.
PG=${LIAISON_TEST_PG:-}
DBS=()
newdb() { # NAME: a fresh database; its URL in $DB_URL
	local db
	db="lsn_cli_$1_$$_$RANDOM"
	psql -q "$PG/postgres" -c "CREATE DATABASE $db" >/dev/null || fail "CREATE DATABASE $db"
	DBS+=("$db")
	DB_URL="$PG/$db"
}
cleanup() {
	local db
	for db in "${DBS[@]}"; do
		psql -q "$PG/postgres" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
	done
	rm -rf "$TMP"
}
trap cleanup EXIT
STORE=()
if [ -n "$PG" ]; then newdb alpha; STORE=(--store "$DB_URL"); fi
unset LIAISON_HOME LIAISON_TOKEN
N=0

fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { N=$((N + 1)); echo "ok $N - $*"; }

# expect CODE CMD...: runs CMD, output in $TMP/out and $TMP/err, checks the exit code.
expect() {
	local want=$1 got=0
	shift
	"$@" >"$TMP/out" 2>"$TMP/err" </dev/null || got=$?
	[ "$got" -eq "$want" ] || fail "'$*' exited $got, want $want; stderr: $(cat "$TMP/err")"
}
has() { grep -q -e "$1" "$2" || fail "'$1' not in $2: $(cat "$2")"; }
mode() { stat -c %a "$1"; }

[ -x "$BIN" ] || fail "$BIN not built"

expect 0 "$BIN" --version
has '^liaison 0\.1\.0$' "$TMP/out"
ok "--version"

# init
expect 2 "$BIN" init --home "$HOME_DIR"
has '--name' "$TMP/err"
ok "init without --name exits 2 and names the option"
expect 2 "$BIN" init --home "$HOME_DIR" --name alpha --listen nonsense
ok "init with a bad --listen exits 2"
expect 0 "$BIN" init --home "$HOME_DIR" --name alpha --listen 127.0.0.1:18443 "${STORE[@]}"
has 'https://127.0.0.1:18443/liaison/' "$TMP/out"
has 'TLS SHA-256: *[0-9a-f]\{64\}' "$TMP/out"
has 'ed25519 [0-9a-f]\{64\}' "$TMP/out"
ok "init prints the API root, fingerprint and signing key"

[ "$(mode "$HOME_DIR")" = 700 ] || fail "home mode $(mode "$HOME_DIR")"
for d in tls keys; do
	[ "$(mode "$HOME_DIR/$d")" = 700 ] || fail "$d mode $(mode "$HOME_DIR/$d")"
done
for f in tls/key.pem keys/signing.pem; do
	[ "$(mode "$HOME_DIR/$f")" = 600 ] || fail "$f mode $(mode "$HOME_DIR/$f")"
done
for f in liaison.conf tls/cert.pem $([ -n "$PG" ] || echo store.db); do
	[ -s "$HOME_DIR/$f" ] || fail "$f missing"
done
if [ -n "$PG" ]; then
	has '^url = postgresql://' "$HOME_DIR/liaison.conf"
	has 'store: *postgres 127.0.0.1:' "$TMP/out"
	[ ! -e "$HOME_DIR/store.db" ] || fail "init --store made a SQLite file too"
	# a password in the URL is refused (ps and liaison.conf would show it), and so is a
	# database that already holds a node
	expect 2 "$BIN" init --home "$TMP/pw" --name pw --store "${DB_URL/postgres@/postgres:secret@}"
	has 'pgpass' "$TMP/err"
	grep -q secret "$TMP/err" && fail "the password was printed: $(cat "$TMP/err")"
	[ ! -e "$TMP/pw" ] || fail "a refused init left $TMP/pw"
	expect 1 "$BIN" init --home "$TMP/again" --name again --store "$DB_URL"
	has "already holds node 'alpha'" "$TMP/err"
	# an unreachable server: the error names where, and nothing is left behind
	expect 1 "$BIN" init --home "$TMP/away" --name away --store postgresql://postgres@127.0.0.1:1/x
	has 'cannot connect to the database at 127.0.0.1:1/x' "$TMP/err"
	[ ! -e "$TMP/away" ] || fail "a failed init left $TMP/away"
	ok "init --store: PostgreSQL, passwords in the URL refused, one node per database"
fi
has '^name = alpha$' "$HOME_DIR/liaison.conf"
has '^listen = 127.0.0.1:18443$' "$HOME_DIR/liaison.conf"
ok "init makes every file, keys 0600, folders 0700"

expect 1 "$BIN" init --home "$HOME_DIR" --name alpha
has 'already a node home' "$TMP/err"
ok "re-init exits 1"

expect 2 "$BIN" init --home "$TMP/other" --name 'bad name'
ok "init with a bad --name exits 2"

export LIAISON_HOME="$HOME_DIR"

# collections
expect 0 "$BIN" collection list
has 'shared' "$TMP/out"
has 'local' "$TMP/out"
ok "collection list shows shared and local"
expect 0 "$BIN" collection add --title incidents --description 'Incident reports'
grep -Eq '^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$' "$TMP/out" ||
	fail "collection add printed no id: $(cat "$TMP/out")"
ok "collection add prints the new id"
expect 1 "$BIN" collection add --title incidents
has 'already exists' "$TMP/err"
ok "a duplicate title exits 1"
expect 0 "$BIN" collection add --title fixed --id 0F4C3E2A-8D1B-4C9E-A7F0-2B6D5E8C1A93 --json
has '"id": "0f4c3e2a-8d1b-4c9e-a7f0-2b6d5e8c1a93"' "$TMP/out"
expect 2 "$BIN" collection add --title x --id not-a-uuid
has '--id' "$TMP/err"
ok "collection add --id is validated"
expect 0 "$BIN" --home "$HOME_DIR" collection list --json
has '"object_versions": 0' "$TMP/out"
ok "collection list --json (with --home before the command)"

# users
printf 'correct horse\n' | "$BIN" user add alice --password-stdin --grant shared:rw \
	--grant incidents:r >"$TMP/out" 2>"$TMP/err" || fail "user add alice: $(cat "$TMP/err")"
grep -q 'correct horse' "$TMP/out" "$TMP/err" && fail "the password was echoed"
ok "user add with --password-stdin and grants"
printf '\n' | "$BIN" user add carol --password-stdin >/dev/null 2>&1 && fail "empty password accepted"
ok "user add refuses an empty password"
expect 0 "$BIN" user add bot --admin
expect 1 "$BIN" user add bot
expect 2 "$BIN" user add 'no spaces'
expect 2 "$BIN" user add dave --grant shared:x
expect 1 "$BIN" user add dave --grant nowhere:r
ok "user add errors: duplicate 1, bad name 2, bad access 2, unknown collection 1"

expect 0 "$BIN" user list --json
if command -v python3 >/dev/null; then
	python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
u = {x["name"]: x for x in d["users"]}
a = u["alice"]
assert a["password"] is True and a["admin"] is False, a
assert {(g["collection"], g["access"]) for g in a["grants"]} == {("shared", "rw"), ("incidents", "r")}, a
assert u["bot"]["admin"] is True and u["bot"]["password"] is False, u["bot"]
' "$TMP/out" || fail "user list --json: $(cat "$TMP/out")"
else
	has '"name": "alice"' "$TMP/out"
	has '"access": "rw"' "$TMP/out"
fi
ok "user list --json parses and shows grants"
expect 0 "$BIN" user grant alice incidents:none
expect 0 "$BIN" user list
grep alice "$TMP/out" | grep -q 'incidents' && fail "grant not revoked: $(cat "$TMP/out")"
has 'shared:rw' "$TMP/out"
ok "user grant none revokes"

# tokens
expect 0 "$BIN" token create alice --label test
grep -Eq '^lsn_[A-Za-z0-9_-]{43}$' "$TMP/out" || fail "token: $(cat "$TMP/out")"
has 'only once' "$TMP/err"
ok "token create prints an lsn_ token once"
expect 1 "$BIN" token create nobody
expect 0 "$BIN" user remove bot
expect 1 "$BIN" user remove bot
ok "token for an unknown user and removing twice exit 1"

# status
expect 0 "$BIN" status --json
has '"liaisond": "not running"' "$TMP/out"
has '"name": "alpha"' "$TMP/out"
has '"collections": 4' "$TMP/out"
# the index by id is a file of its own beside the store, and counted
if [ -z "$PG" ]; then
	[ -s "$HOME_DIR/store.db-ids" ] || fail "no store.db-ids beside store.db"
	grep -Eq '"ids_bytes": [1-9][0-9]*' "$TMP/out" || fail "status --json: no ids_bytes: $(cat "$TMP/out")"
else
	has '"store": "postgres 127.0.0.1:' "$TMP/out"
	grep -q '"role": null' "$TMP/out" || fail "status --json: a role without a daemon: $(cat "$TMP/out")"
fi
ok "status --json: not running"
echo 99999999 >"$HOME_DIR/liaisond.pid"
expect 0 "$BIN" status
has 'not running' "$TMP/out"
echo $$ >"$HOME_DIR/liaisond.pid"
expect 0 "$BIN" status
has 'not running' "$TMP/out"
# a process that is named liaisond counts (a stale pid of another program does not)
cp "$(command -v sleep)" "$TMP/liaisond"
"$TMP/liaisond" 30 &
FAKE=$!
echo $FAKE >"$HOME_DIR/liaisond.pid"
expect 0 "$BIN" status
kill $FAKE 2>/dev/null || true
wait $FAKE 2>/dev/null || true
has "running (pid $FAKE)" "$TMP/out"
rm -f "$HOME_DIR/liaisond.pid"
ok "status reads the pid file"

# load: only argument checks here (tested against liaisond elsewhere)
echo '{"type":"bundle","id":"bundle--1","objects":[]}' >"$TMP/b.json"
expect 2 "$BIN" load "$TMP/b.json" --collection shared
has 'LIAISON_TOKEN' "$TMP/err"
expect 2 "$BIN" load - --collection shared --user alice
expect 2 "$BIN" load "$TMP/b.json"
LIAISON_TOKEN=x expect 2 "$BIN" load "$TMP/b.json" --collection shared --batch 0
ok "load without credentials or with bad options exits 2"

# usage
expect 2 "$BIN" frobnicate
has 'unknown command' "$TMP/err"
expect 2 "$BIN"
expect 2 "$BIN" status --bogus
has '--bogus' "$TMP/err"
expect 2 "$BIN" collection
expect 2 "$BIN" user frob
ok "unknown commands and options exit 2"

LIAISON_HOME= expect 1 "$BIN" status
has 'LIAISON_HOME' "$TMP/err"
ok "no home exits 1"

# help: every command, three ways, lists its options and an example
check_help() {
	local opts=$1
	shift
	for form in "--help" "-h"; do
		expect 0 "$BIN" "$@" "$form"
		has 'usage: liaison' "$TMP/out"
		has 'example:' "$TMP/out"
		has '--home' "$TMP/out"
		for o in $opts; do has "--$o" "$TMP/out"; done
	done
	expect 0 "$BIN" help "$@"
	for o in $opts; do has "--$o" "$TMP/out"; done
}
check_help "name listen store json" init
check_help "title id description json" collection add
check_help "json" collection list
check_help "title json" collection
check_help "password-stdin grant admin json" user add
check_help "json" user list
check_help "" user remove
check_help "" user grant
check_help "password-stdin grant admin" user
check_help "label json" token create
check_help "label" token
check_help "json" status
check_help "collection url batch user json" load
check_help "json" identity show
check_help "" identity export
check_help "endpoint share yes json" partner add
check_help "json" partner list
check_help "" partner remove
check_help "partner in limit json" envelope list
check_help "name listen peer-listen json" init
check_help "partner kind file summary detail attach tlp json" notify
check_help "partner kind file summary detail attach tlp json" inquire
check_help "partner kind file summary detail attach tlp json" request
check_help "open overdue partner json" cases
check_help "json" case show
check_help "text file json" case refuse
check_help "text file json" case mla-sent
check_help "text file json" ack
check_help "text file json" respond
check_help "text file json" close
check_help "text file json" withdraw
expect 0 "$BIN" --help
for c in init status collection user token load identity partner envelope notify inquire \
    request cases case ack respond close withdraw; do has "$c" "$TMP/out"; done
expect 0 "$BIN" help
ok "--help, -h and help CMD on every command"

# identity and pairing (no daemon needed: the store records the partner)
expect 0 "$BIN" --home "$HOME_DIR" identity show --json
FPR_A=$(sed -n 's/.*"fingerprint": "\([A-Z0-9-]*\)".*/\1/p' "$TMP/out")
[[ "$FPR_A" =~ ^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){4}$ ]] || fail "fingerprint '$FPR_A'"
has '"peer_listen": "127.0.0.1:18444"' "$TMP/out"
ok "identity show: Crockford fingerprint, peer listener on the TAXII port + 1"
expect 0 "$BIN" --home "$HOME_DIR" identity export
cp "$TMP/out" "$TMP/alpha.identity.json"
has "\"fingerprint\":\"$FPR_A\"" "$TMP/alpha.identity.json"
STORE=()
if [ -n "$PG" ]; then newdb beta; STORE=(--store "$DB_URL"); fi
expect 0 "$BIN" init --home "$TMP/beta" --name beta --listen 127.0.0.1:18543 --peer-listen 127.0.0.1:18600 \
	"${STORE[@]}"
expect 0 "$BIN" --home "$TMP/beta" identity export
cp "$TMP/out" "$TMP/beta.identity.json"
ok "identity export; init --peer-listen"
expect 2 "$BIN" --home "$HOME_DIR" partner add "$TMP/beta.identity.json" --endpoint http://127.0.0.1:18600 --yes
has 'https://HOST:PORT' "$TMP/err"
expect 1 "$BIN" --home "$HOME_DIR" partner add "$TMP/beta.identity.json" --endpoint https://127.0.0.1:18600
has 'with --yes' "$TMP/err"
has 'fingerprint:' "$TMP/err"
sed 's/"name":"beta"/"name":"betb"/' "$TMP/beta.identity.json" > "$TMP/forged.json"
expect 1 "$BIN" --home "$HOME_DIR" partner add "$TMP/forged.json" --endpoint https://127.0.0.1:18600 --yes
has 'signature' "$TMP/err"
expect 1 "$BIN" --home "$HOME_DIR" partner add "$TMP/alpha.identity.json" --endpoint https://127.0.0.1:18600 --yes
has 'this node itself' "$TMP/err"
expect 1 "$BIN" --home "$HOME_DIR" partner add "$TMP/beta.identity.json" --endpoint https://127.0.0.1:18600 --share nosuch --yes
expect 0 "$BIN" --home "$HOME_DIR" partner list --json
has '"partners": \[\]' "$TMP/out"
ok "partner add refuses a bad endpoint, an unconfirmed fingerprint, a forged document, itself, an unknown collection, and changes nothing"
expect 0 "$BIN" --home "$HOME_DIR" partner add "$TMP/beta.identity.json" --endpoint https://127.0.0.1:18600 --yes --json
has '"inbox": "from-beta"' "$TMP/out"
has '"shared"' "$TMP/out"
expect 1 "$BIN" --home "$HOME_DIR" partner add "$TMP/beta.identity.json" --endpoint https://127.0.0.1:18600 --yes
has 'already paired' "$TMP/err"
expect 0 "$BIN" --home "$HOME_DIR" collection list
has 'from-beta' "$TMP/out"
expect 1 "$BIN" --home "$HOME_DIR" partner add "$TMP/beta.identity.json" --endpoint https://127.0.0.1:18600 --share from-beta --yes
expect 0 "$BIN" --home "$HOME_DIR" partner list --json
has '"name": "beta"' "$TMP/out"
has '"queued": 0' "$TMP/out"
has '"last_contact": "never"' "$TMP/out"
expect 0 "$BIN" --home "$HOME_DIR" envelope list --partner beta --json
has '"envelopes": \[\]' "$TMP/out"
expect 1 "$BIN" --home "$HOME_DIR" envelope list --partner nobody
expect 1 "$BIN" --home "$HOME_DIR" user grant alice from-beta:rw
has 'read-only' "$TMP/err"
expect 0 "$BIN" --home "$HOME_DIR" user grant alice from-beta:r
expect 0 "$BIN" --home "$HOME_DIR" status --json
has '"active": 1' "$TMP/out"
ok "partner add pairs once, makes from-NAME, shows in partner list, envelope list and status"
# several endpoints (a node of several daemons): kept in order, each checked, all listed
EP1=https://127.0.0.1:18444
EP2=https://[::1]:18445
for bad in "https://a b:1" "https://h/x:1" 'https://a"b:1' "https://:1" "https://h:0"; do
	expect 2 "$BIN" --home "$TMP/beta" partner add "$TMP/alpha.identity.json" --endpoint "$EP1" --endpoint "$bad" --yes
	has 'https://HOST:PORT' "$TMP/err"
done
expect 2 "$BIN" --home "$TMP/beta" partner add "$TMP/alpha.identity.json" --endpoint "$EP1" --endpoint "$EP1" --yes
has 'given twice' "$TMP/err"
expect 2 "$BIN" --home "$TMP/beta" partner add "$TMP/alpha.identity.json" $(for i in 1 2 3 4 5 6 7 8 9; do echo --endpoint https://h$i:1; done) --yes
has 'at most 8' "$TMP/err"
expect 0 "$BIN" --home "$TMP/beta" partner list --json
has '"partners": \[\]' "$TMP/out"
expect 1 "$BIN" --home "$TMP/beta" partner add "$TMP/alpha.identity.json" --endpoint "$EP1" --endpoint "$EP2"
grep -c '^endpoint: ' "$TMP/err" | grep -qx 2 || fail "the confirmation does not show both endpoints: $(cat "$TMP/err")"
expect 0 "$BIN" --home "$TMP/beta" partner add "$TMP/alpha.identity.json" --endpoint "$EP1" --endpoint "$EP2" --yes --json
has "\"endpoint\": \"$EP1\"" "$TMP/out"
tr -d ' \n' < "$TMP/out" | grep -qF "\"endpoints\":[\"$EP1\",\"$EP2\"]" || fail "partner add --json endpoints: $(cat "$TMP/out")"
expect 0 "$BIN" --home "$TMP/beta" partner list --json
has "\"endpoint\": \"$EP1\"" "$TMP/out"
tr -d ' \n' < "$TMP/out" | grep -qF "\"endpoints\":[\"$EP1\",\"$EP2\"]" || fail "partner list --json endpoints: $(cat "$TMP/out")"
expect 0 "$BIN" --home "$TMP/beta" partner list
has 'ENDPOINTS' "$TMP/out"
grep '^alpha ' "$TMP/out" | grep -qF " $EP1,$EP2 " || fail "partner list does not show both endpoints: $(cat "$TMP/out")"
ok "partner add --endpoint A --endpoint B: checked, kept in order, shown by partner list (text and --json)"
# agreements: written at pairing, shown, changed; bad terms change nothing
expect 0 "$BIN" --home "$HOME_DIR" agreement show beta --json
has '"written": true' "$TMP/out"
has '"partner_holds": "unknown"' "$TMP/out"
cp "$HOME_DIR/agreements/beta.conf" "$TMP/agreement.before"
expect 1 "$BIN" --home "$HOME_DIR" agreement set beta out.max_tlp=red
has 'RED never leaves' "$TMP/err"
expect 1 "$BIN" --home "$HOME_DIR" agreement set beta out.colour=blue
expect 1 "$BIN" --home "$HOME_DIR" agreement set beta out.max_tlp
has 'KEY=VALUE' "$TMP/err"
cmp -s "$HOME_DIR/agreements/beta.conf" "$TMP/agreement.before" || fail "a refused term changed the agreement"
expect 0 "$BIN" --home "$HOME_DIR" agreement set beta out.max_tlp=green in.types=indicator,relationship
expect 0 "$BIN" --home "$HOME_DIR" agreement show beta
has 'max_tlp = green' "$TMP/out"
expect 1 "$BIN" --home "$HOME_DIR" agreement show nobody
expect 0 "$BIN" --home "$HOME_DIR" policy log --json
has '"decisions": \[\]' "$TMP/out"
expect 2 "$BIN" --home "$HOME_DIR" policy log --limit 0
expect 1 "$BIN" --home "$HOME_DIR" policy explain indicator--00000000-0000-4000-8000-000000000000 --partner beta
has 'no collection' "$TMP/err"
ok "agreement show and set, policy log and explain; refused terms change nothing"
# the ledger and evidence commands refuse bad input with a reason
expect 0 "$BIN" --home "$HOME_DIR" log key
has '^liaison/alpha/log/' "$TMP/out"
expect 2 "$BIN" --home "$HOME_DIR" log prove --index x
expect 1 "$BIN" --home "$HOME_DIR" log prove --index 0
expect 0 "$BIN" --home "$HOME_DIR" log verify --json
has '"ok": true' "$TMP/out"
printf 'not a bundle\n' > "$TMP/bad.evidence"
expect 1 "$BIN" evidence verify "$TMP/bad.evidence"
has 'NOT VALID' "$TMP/err"
expect 1 "$BIN" evidence verify "$TMP/missing.evidence"
ok "log key, prove, verify and evidence verify answer bad input with a reason"
# the hotline: bad input is refused with a reason and changes nothing
expect 2 "$BIN" --home "$HOME_DIR" notify --partner beta
has 'needs its details' "$TMP/err"
expect 2 "$BIN" --home "$HOME_DIR" request --partner beta --kind extradition --summary x
has 'is not a kind' "$TMP/err"
expect 2 "$BIN" --home "$HOME_DIR" notify --partner beta --summary x --tlp purple
expect 1 "$BIN" --home "$HOME_DIR" notify --partner nobody --summary x
expect 1 "$BIN" --home "$HOME_DIR" request --partner beta --kind preservation --summary x
has 'requesting_authority' "$TMP/err"
printf '{"summary":"x","summary":"y"}' > "$TMP/dup.json"
expect 1 "$BIN" --home "$HOME_DIR" notify --partner beta --file "$TMP/dup.json"
expect 1 "$BIN" --home "$HOME_DIR" notify --partner beta --kind interference --summary x \
    --detail disarm_techniques=TA18
has 'DISARM' "$TMP/err"
expect 0 "$BIN" --home "$HOME_DIR" cases --json
has '"cases": \[\]' "$TMP/out"
expect 0 "$BIN" --home "$HOME_DIR" notify --partner beta --summary 'DDoS from AS64500' --json
CASE=$(sed -n 's/.*"id": "incident--\([0-9a-f-]*\)".*/\1/p' "$TMP/out")
[ -n "$CASE" ] || fail "notify --json printed no case id"
expect 0 "$BIN" --home "$HOME_DIR" cases --open
has 'notification' "$TMP/out"
expect 1 "$BIN" --home "$HOME_DIR" ack "$CASE"
has 'receiver' "$TMP/err"
expect 1 "$BIN" --home "$HOME_DIR" case refuse "$CASE" --text no
expect 1 "$BIN" --home "$HOME_DIR" case show nosuchcase
expect 1 "$BIN" --home "$HOME_DIR" case mla-sent "$CASE"
has 'preservation' "$TMP/err"
expect 0 "$BIN" --home "$HOME_DIR" case show "${CASE:0:8}" --json
has '"state": "opened"' "$TMP/out"
has '"envelope_seq": null' "$TMP/out"
expect 0 "$BIN" --home "$HOME_DIR" withdraw "${CASE:0:8}" --text 'sent by mistake'
expect 1 "$BIN" --home "$HOME_DIR" close "$CASE"
has 'withdrawn' "$TMP/err"
expect 0 "$BIN" --home "$HOME_DIR" status --json
has '"open_cases": 0' "$TMP/out"
ok "notify, cases, case show, withdraw; refused steps and details change nothing"
expect 0 "$BIN" --home "$HOME_DIR" partner remove beta
expect 1 "$BIN" --home "$HOME_DIR" notify --partner beta --summary x
has 'removed' "$TMP/err"
expect 0 "$BIN" --home "$HOME_DIR" partner list --json
has '"active": false' "$TMP/out"
expect 1 "$BIN" --home "$HOME_DIR" partner remove nobody
ok "partner remove keeps the history"

echo "all $N CLI checks passed"
