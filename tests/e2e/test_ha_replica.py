#!/usr/bin/env python3
"""The loss of the database server (docs/operations.md), end to end.

A primary with a synchronous streaming replica (synchronous_standby_names),
two daemons of one node reaching them by a multi-host URL with
target_session_attrs=read-write. An ingest runs against the daemons; the
primary is killed (kill -9 of its postmaster) in the middle of it and the
replica promoted (pg_ctl promote). The daemons must reconnect by
themselves (objects are acknowledged again), and every object acknowledged
before, during and after the kill must be in the promoted server.

usage: test_ha_replica.py BUILD_DIR SOURCE_DIR
Needs Debian's postgresql; starts its own servers on free ports of 127.0.0.1.
"""
import json
import os
import shutil
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid

from e2e_util import fail, free_port, run, stop_daemon

BUILD, SRC = sys.argv[1], sys.argv[2]
LIAISON = os.path.join(BUILD, "liaison")
LIAISOND = os.path.join(BUILD, "liaisond")
CLUSTER = os.path.join(SRC, "scripts", "pg-cluster.sh")
TAXII = "application/taxii+json;version=2.1"
PER_POST = 50


def liaison(home, *args):
    return run(LIAISON, "--home", home, *args)


class Daemon:
    def __init__(self, home, log):
        self.home, self.log = home, log
        self.out = open(log, "w")
        self.proc = subprocess.Popen([LIAISOND, "--home", home], stdout=self.out,
                                     stderr=subprocess.STDOUT)
        self.port = None
        for _ in range(200):
            for line in open(log):
                if '"event":"started"' in line:
                    self.port = json.loads(line)["port"]
            if self.port:
                return
            time.sleep(0.05)
        fail("liaisond --home %s did not start: %s" % (home, open(log).read()[-2000:]))

    def events(self, name):
        return [json.loads(l) for l in open(self.log) if '"event":"%s"' % name in l]

    def stop(self):
        stop_daemon(self.proc, self.out)


def indicator(tag, i):
    return {"type": "indicator", "spec_version": "2.1",
            "id": "indicator--" + str(uuid.uuid4()),
            "created": "2026-12-07T00:00:00.000Z", "modified": "2026-12-07T00:00:00.000Z",
            "name": "%s-%d" % (tag, i), "pattern": "[ipv4-addr:value = '198.51.100.%d']" % (i % 250),
            "pattern_type": "stix", "valid_from": "2026-12-07T00:00:00Z"}


class Ingest(threading.Thread):
    """Posts envelopes in turn to each daemon; records the ids of every object acknowledged."""

    def __init__(self, daemons, coll, token, cacert):
        super().__init__(daemon=True)
        self.daemons, self.coll, self.token = daemons, coll, token
        self.ctx = ssl.create_default_context(cafile=cacert)
        self.acked, self.acked_at, self.errors = [], [], {}
        self.stopping = False

    def post(self, port, objs):
        body = json.dumps({"objects": objs}).encode()
        rq = urllib.request.Request(
            "https://127.0.0.1:%d/liaison/collections/%s/objects/" % (port, self.coll),
            data=body, method="POST",
            headers={"Content-Type": TAXII, "Accept": TAXII,
                     "Authorization": "Bearer " + self.token})
        with urllib.request.urlopen(rq, context=self.ctx, timeout=20) as r:
            st = json.load(r)
            return r.status, st

    def run(self):
        i = 0
        while not self.stopping:
            objs = [indicator("rep", i + k) for k in range(PER_POST)]
            d = self.daemons[(i // PER_POST) % len(self.daemons)]
            i += PER_POST
            try:
                status, st = self.post(d.port, objs)
            except urllib.error.HTTPError as e:
                self.errors[e.code] = self.errors.get(e.code, 0) + 1
                if e.code == 503 and not e.headers.get("Retry-After"):
                    self.errors["503 without Retry-After"] = 1
                time.sleep(0.2)
                continue
            except OSError as e:
                self.errors[type(e).__name__] = self.errors.get(type(e).__name__, 0) + 1
                time.sleep(0.2)
                continue
            if status == 202 and st.get("success_count") == PER_POST:
                self.acked.extend(o["id"] for o in objs)
                self.acked_at.append(time.time())


def main():
    work = tempfile.mkdtemp(prefix="lsn-ha-replica-")
    os.chmod(work, 0o711)   # the servers run as postgres when we are root
    pp, rp = free_port(), free_port()
    daemons = []
    try:
        primary = run(CLUSTER, "start", work + "/primary", str(pp), "-c", "wal_level=replica",
                      "-c", "synchronous_standby_names='FIRST 1 (replica1)'").strip()
        replica = run(CLUSTER, "replica", work + "/replica", str(rp), str(pp), "replica1").strip()
        # the replica reports 'async' until it has caught up and streams: wait for that
        deadline = time.time() + 15
        while True:
            state = run("psql", "-Atc", "SELECT sync_state FROM pg_stat_replication",
                        primary + "/postgres")
            if state.strip() == "sync" or time.time() > deadline:
                break
            time.sleep(0.2)
        if state.strip() != "sync":
            fail("the replica is not synchronous: '%s'" % state.strip())
        run("psql", "-qc", "CREATE DATABASE node", primary + "/postgres")
        url = ("postgresql://postgres@127.0.0.1:%d,127.0.0.1:%d/node"
               "?target_session_attrs=read-write" % (pp, rp))
        h1, h2 = work + "/h1", work + "/h2"
        liaison(h1, "init", "--name", "rep", "--listen", "127.0.0.1:0", "--store", url)
        liaison(h1, "user", "add", "bench", "--admin")
        token = liaison(h1, "token", "create", "bench").strip()
        colls = json.loads(liaison(h1, "collection", "list", "--json"))["collections"]
        shared = [c["id"] for c in colls if c["title"] == "shared"][0]
        shutil.copytree(h1, h2, symlinks=True)
        daemons = [Daemon(h1, work + "/d1.log"), Daemon(h2, work + "/d2.log")]
        ing = Ingest(daemons, shared, token, h1 + "/tls/cert.pem")
        ing.start()
        time.sleep(3)
        before = len(ing.acked)
        if before == 0:
            fail("nothing was acknowledged before the kill: %s" % ing.errors)
        run(CLUSTER, "kill", work + "/primary")
        t_kill = time.time()
        time.sleep(0.5)
        run(CLUSTER, "promote", work + "/replica")
        t_promoted = time.time()
        deadline = time.time() + 60
        while time.time() < deadline and not [t for t in ing.acked_at if t > t_promoted + 0.5]:
            time.sleep(0.2)
        after = [t for t in ing.acked_at if t > t_promoted]
        if not after:
            fail("60 s after the promotion no object was acknowledged again (errors %s)" %
                 ing.errors)
        resumed = min(after) - t_promoted
        time.sleep(3)
        ing.stopping = True
        ing.join(30)
        acked = set(ing.acked)
        ids = ",".join(acked)
        stored = int(run("psql", "-At", replica + "/node", stdin="SELECT count(DISTINCT stix_id) "
                         "FROM objects WHERE stix_id = ANY('{%s}'::text[])" % ids).strip())
        print("acknowledged %d objects (%d before the kill); ingest acknowledged again %.1f s "
              "after the promotion; errors meanwhile %s" % (len(acked), before, resumed,
                                                         ing.errors))
        if stored != len(acked):
            fail("the promoted server holds %d of the %d objects acknowledged" %
                 (stored, len(acked)))
        if "503 without Retry-After" in ing.errors:
            fail("a 503 came without Retry-After")
        for d in daemons:
            if d.proc.poll() is not None:
                fail("%s exited (%s): %s" % (d.home, d.proc.returncode, open(d.log).read()[-1500:]))
        st = json.loads(liaison(h1, "status", "--json"))
        roles = [x["role"] for x in st["daemons"] if x["heartbeat_age_ms"] < 5000]
        if sorted(roles) != ["active", "standby"]:
            fail("after the failover the daemons are %s" % roles)
        print("ok - every one of %d acknowledged objects is in the promoted server; one daemon "
              "active (epoch %s), one standby; %.1f s from the kill to the promotion" %
              (len(acked), st["epoch"] if st["role"] == "active" else "?", t_promoted - t_kill))
    finally:
        for d in daemons:
            d.stop()
        subprocess.run([CLUSTER, "stop", work + "/primary"], capture_output=True)
        subprocess.run([CLUSTER, "stop", work + "/replica"], capture_output=True)
        if not os.environ.get("E2E_KEEP"):
            shutil.rmtree(work, ignore_errors=True)


main()
