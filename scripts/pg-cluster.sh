#!/usr/bin/env bash
# A throwaway PostgreSQL server for tests and benchmarks: no system service,
# no state outside DIR, listening on 127.0.0.1 and on a socket in DIR.
#
# usage: scripts/pg-cluster.sh start DIR PORT [-c NAME=VALUE]...
#            makes DIR (a stale one is stopped and removed first), initdb with
#            trust for local connections, starts the server, waits until it
#            accepts connections, prints its URL: postgresql://postgres@127.0.0.1:PORT
#        scripts/pg-cluster.sh replica DIR PORT PRIMARY_PORT NAME [-c NAME=VALUE]...
#            a streaming replica of the server on PRIMARY_PORT (pg_basebackup),
#            named NAME for synchronous_standby_names; prints its URL
#        scripts/pg-cluster.sh stop DIR
#            stops the server (fast) and removes DIR
#        scripts/pg-cluster.sh kill DIR
#            kill -9 of the server's postmaster, DIR kept (to test the loss of it)
#        scripts/pg-cluster.sh promote DIR
#            promotes a replica to primary (pg_ctl promote) and waits until it is one
# PostgreSQL refuses to run as root: as root, the server runs as the postgres
# user of Debian's package (DIR is made for it; its parents must let it in).
set -euo pipefail

die() { echo "pg-cluster.sh: $*" >&2; exit 1; }

bindir() {
	local d
	if command -v pg_config >/dev/null && [ -x "$(pg_config --bindir)/initdb" ]; then
		pg_config --bindir
		return
	fi
	for d in /usr/lib/postgresql/*/bin; do
		[ -x "$d/initdb" ] && { echo "$d"; return; }
	done
	die "no PostgreSQL server found (install Debian's postgresql package)"
}

BIN=$(bindir)
as_pg() { # runs a server binary as the postgres user when we are root
	if [ "$(id -u)" -eq 0 ]; then
		id postgres >/dev/null 2>&1 || die "running as root needs the postgres user"
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

own() { # DIR for the user the server runs as
	mkdir -p "$1"
	if [ "$(id -u)" -eq 0 ]; then chown postgres: "$1"; fi
	chmod 700 "$1"
}

wait_ready() { # DIR PORT
	local i
	for i in $(seq 1 100); do
		as_pg "$BIN/pg_isready" -q -h 127.0.0.1 -p "$2" && return 0
		sleep 0.1
	done
	tail -20 "$1/log" >&2 || true
	die "the server in $1 does not accept connections on port $2"
}

start_server() { # DIR PORT settings...
	local dir=$1 port=$2
	shift 2
	as_pg "$BIN/pg_ctl" -D "$dir/data" -l "$dir/log" -w -t 30 start -o \
		"-c listen_addresses=127.0.0.1 -p $port -k $dir $*" >/dev/null ||
		{ tail -20 "$dir/log" >&2; die "the server in $dir did not start"; }
	wait_ready "$dir" "$port"
}

stop_stale() { # DIR
	if [ -f "$1/data/postmaster.pid" ]; then
		as_pg "$BIN/pg_ctl" -D "$1/data" -m immediate stop >/dev/null 2>&1 || true
	fi
	rm -rf "$1"
}

cmd=${1:-}
case "$cmd" in
start)
	[ $# -ge 3 ] || die "usage: start DIR PORT [-c NAME=VALUE]..."
	dir=$2 port=$3
	shift 3
	stop_stale "$dir"
	own "$dir"
	as_pg "$BIN/initdb" -D "$dir/data" -A trust -U postgres --no-sync >/dev/null ||
		die "initdb in $dir failed"
	start_server "$dir" "$port" "$@"
	echo "postgresql://postgres@127.0.0.1:$port"
	;;
replica)
	[ $# -ge 5 ] || die "usage: replica DIR PORT PRIMARY_PORT NAME [-c NAME=VALUE]..."
	dir=$2 port=$3 primary=$4 name=$5
	shift 5
	stop_stale "$dir"
	own "$dir"
	as_pg "$BIN/pg_basebackup" -h 127.0.0.1 -p "$primary" -U postgres -D "$dir/data" -R \
		-X stream >/dev/null || die "pg_basebackup from port $primary failed"
	echo "primary_conninfo = 'host=127.0.0.1 port=$primary user=postgres application_name=$name'" |
		as_pg tee -a "$dir/data/postgresql.auto.conf" >/dev/null
	start_server "$dir" "$port" "$@"
	echo "postgresql://postgres@127.0.0.1:$port"
	;;
stop)
	[ $# -eq 2 ] || die "usage: stop DIR"
	if [ -f "$2/data/postmaster.pid" ]; then
		as_pg "$BIN/pg_ctl" -D "$2/data" -m fast -w stop >/dev/null 2>&1 ||
			as_pg "$BIN/pg_ctl" -D "$2/data" -m immediate stop >/dev/null 2>&1 || true
	fi
	rm -rf "$2"
	;;
kill)
	[ $# -eq 2 ] || die "usage: kill DIR"
	[ -f "$2/data/postmaster.pid" ] || die "no server runs in $2"
	kill -9 "$(head -1 "$2/data/postmaster.pid")"
	;;
promote)
	[ $# -eq 2 ] || die "usage: promote DIR"
	as_pg "$BIN/pg_ctl" -D "$2/data" -w promote >/dev/null || die "promoting $2 failed"
	;;
-h|--help|help)
	sed -n '2,20p' "$0"
	;;
*)
	die "unknown command '${cmd}' (start, replica, stop, kill, promote; --help)"
	;;
esac
