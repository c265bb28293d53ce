#!/usr/bin/python3
"""The dashboard's hotline page with many open cases: how soon it shows them.

Starts one node (B) paired with a node that is not running (A), opens N notifications
to A through B's API (eight clients at once), signs in on B in headless Chromium and
reloads the page R times. For each load it reads the browser's first contentful paint
and the time from the start of navigation until the first page of cases (100, the
nearest deadline first, order=due) is in the table. Measures; asserts nothing.

usage: bench/hotline_paint.py [--build DIR] [--cases 10000] [--reloads 7]
Needs: a built tree (liaison, liaisond), chromium, chromium-driver, python3-selenium.
"""
import argparse
import base64
import http.client
import json
import os
import shutil
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PW = "bench-password"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def run(*args, stdin=None):
    return subprocess.run(args, input=stdin, capture_output=True, text=True, check=True).stdout


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--cases", type=int, default=10000)
    ap.add_argument("--reloads", type=int, default=7)
    o = ap.parse_args()
    liaison = os.path.join(o.build, "liaison")
    work = tempfile.mkdtemp(prefix="liaison-paint.")
    homes, ports = {}, {}
    proc = None
    try:
        for n in ("paint-a", "paint-b"):
            homes[n] = os.path.join(work, n)
            ports[n] = free_port()
            run(liaison, "init", "--home", homes[n], "--name", n, "--listen",
                "127.0.0.1:%d" % ports[n], "--peer-listen", "127.0.0.1:%d" % free_port())
        conf = os.path.join(homes["paint-b"], "liaison.conf")
        text = open(conf).read().splitlines()
        open(conf, "w").write("\n".join(("dir = %s" % os.path.join(ROOT, "ui"))
                                        if l.startswith("dir = ") else l for l in text) + "\n")
        ident = os.path.join(work, "a.json")
        open(ident, "w").write(run(liaison, "--home", homes["paint-a"], "identity", "export"))
        run(liaison, "--home", homes["paint-b"], "partner", "add", ident, "--endpoint",
            "https://127.0.0.1:%d" % free_port(), "--yes")
        run(liaison, "--home", homes["paint-b"], "user", "add", "duty", "--password-stdin",
            "--admin", stdin=PW + "\n")
        log = open(os.path.join(work, "b.log"), "w")
        proc = subprocess.Popen([os.path.join(o.build, "liaisond"), "--home", homes["paint-b"]],
                                stdout=log, stderr=subprocess.STDOUT)
        time.sleep(1.5)
        open_cases(ports["paint-b"], o.cases)
        measure(ports["paint-b"], o)
    finally:
        if proc:
            proc.terminate()
            proc.wait()
        shutil.rmtree(work, ignore_errors=True)


def open_cases(port, n):
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    auth = "Basic " + base64.b64encode(("duty:" + PW).encode()).decode()
    left = list(range(n))
    lock = threading.Lock()
    t0 = time.time()

    def client():
        c = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=30)
        while True:
            with lock:
                if not left:
                    return
                i = left.pop()
            body = json.dumps({"partner": "paint-a", "kind": "notification",
                               "details": {"summary": "bench case %d" % i}})
            c.request("POST", "/api/v1/cases", body, {"Content-Type": "application/json",
                                                      "Authorization": auth})
            r = c.getresponse()
            r.read()
            if r.status != 201:
                raise SystemExit("opening a case answered %d" % r.status)
            if i % 1000 == 0:
                print("  %d cases left" % len(left), file=sys.stderr)

    ts = [threading.Thread(target=client) for _ in range(8)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    print("opened %d cases in %.1f s" % (n, time.time() - t0))


def measure(port, o):
    opts = webdriver.ChromeOptions()
    opts.binary_location = shutil.which("chromium") or "chromium"
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--ignore-certificate-errors",
              "--window-size=1280,800"):
        opts.add_argument(a)
    d = webdriver.Chrome(service=Service(shutil.which("chromedriver") or "chromedriver"),
                         options=opts)
    url = "https://127.0.0.1:%d/ui/" % port
    try:
        d.get(url)
        d.find_element(By.NAME, "username").send_keys("duty")
        d.find_element(By.NAME, "password").send_keys(PW)
        d.find_element(By.CSS_SELECTOR, "#sign-in button[type=submit]").click()
        time.sleep(2)
        fcp, shown = [], []
        for _ in range(o.reloads):
            d.get(url)   # the session cookie stays: the page goes straight to the hotline
            for _ in range(3000):
                v = d.execute_script(
                    "const n = document.querySelectorAll('#cases tbody tr').length;"
                    "return n >= 100 ? performance.now() : null;")
                if v is not None:
                    break
                time.sleep(0.005)
            else:
                raise SystemExit("the cases never showed")
            p = d.execute_script("const e = performance.getEntriesByName("
                                 "'first-contentful-paint'); return e.length ? e[0].startTime : null;")
            fcp.append(p)
            shown.append(v)
        print("hotline with %d open cases, %d loads: first contentful paint median %.0f ms "
              "(max %.0f); first 100 cases in the table median %.0f ms (max %.0f)" %
              (o.cases, o.reloads, statistics.median(fcp), max(fcp), statistics.median(shown),
               max(shown)))
    finally:
        d.quit()


if __name__ == "__main__":
    main()
