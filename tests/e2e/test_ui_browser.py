#!/usr/bin/env python3
"""The duty desk in a real browser (headless Chromium through WebDriver).

Two paired nodes, cert-a and cert-b, on 127.0.0.1. On B a duty officer signs
in with the form; A opens a notification from the CLI and it appears on B's
hotline page without a reload; the officer clicks Acknowledge and A's
`cases --json` shows the case acknowledged. A preservation request from the
form is refused on the page while a required field is missing, then sent and
received by A. A step posted from the page
without the CSRF token is refused; a user without grants sees no case; the
browser's console shows no error. Screenshots of each page go to
BUILD/ui-screenshots/.

usage: test_ui_browser.py BUILD_DIR SOURCE_DIR
Needs Debian's chromium, chromium-driver and python3-selenium.
"""
import json
import ssl
import urllib.request
import base64
import json
import os
import shutil
import ssl
import urllib.request
import subprocess
import sys
import tempfile
import time

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.common.exceptions import (ElementNotInteractableException,
                                        NoSuchElementException,
                                        StaleElementReferenceException)
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

from e2e_util import fail, free_port, run, stop_daemon

BUILD, SRC = sys.argv[1], sys.argv[2]
LIAISON = os.path.join(BUILD, "liaison")
LIAISOND = os.path.join(BUILD, "liaisond")
SHOTS = os.path.join(BUILD, "ui-screenshots")
PW = "duty-desk-password"


class Node:
    def __init__(self, work, name):
        self.name, self.home = name, os.path.join(work, name)
        self.port, self.peer = free_port(), free_port()
        run(LIAISON, "init", "--home", self.home, "--name", name,
            "--listen", "127.0.0.1:%d" % self.port, "--peer-listen", "127.0.0.1:%d" % self.peer)
        conf = os.path.join(self.home, "liaison.conf")
        text = open(conf).read()
        lines = [("dir = %s" % os.path.join(SRC, "ui")) if l.startswith("dir = ") else l
                 for l in text.splitlines()]
        open(conf, "w").write("\n".join(lines) + "\n")
        self.identity = os.path.join(work, name + ".identity.json")
        with open(self.identity, "w") as f:
            f.write(run(LIAISON, "--home", self.home, "identity", "export"))
        self.proc = None

    def cli(self, *args, stdin=None):
        return run(LIAISON, "--home", self.home, *args, stdin=stdin)

    def start(self):
        self.log = os.path.join(self.home, "daemon.log")
        self.out = open(self.log, "w")
        self.proc = subprocess.Popen([LIAISOND, "--home", self.home], stdout=self.out,
                                     stderr=subprocess.STDOUT)
        for _ in range(200):
            if '"event":"started"' in open(self.log).read():
                return
            time.sleep(0.05)
        fail("liaisond %s did not start: %s" % (self.name, open(self.log).read()[-2000:]))

    def stop(self):
        stop_daemon(self.proc, getattr(self, "out", None))


RED_ID = "indicator--0b7e5f5c-7a57-4e0e-9d6d-5d1b3f3e9a11"


def post_red(node):
    """A TLP:RED indicator, through B's TAXII API, into the collection shared with A."""
    colls = json.loads(node.cli("collection", "list", "--json"))
    cid = [c["id"] for c in colls["collections"] if c["title"] == "shared"][0]
    obj = {"type": "indicator", "spec_version": "2.1", "id": RED_ID,
           "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
           "name": "kept home", "pattern": "[ipv4-addr:value = '198.51.100.7']",
           "pattern_type": "stix", "valid_from": "2026-01-01T00:00:00Z",
           "object_marking_refs": ["marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"]}
    req = urllib.request.Request(
        "https://127.0.0.1:%d/liaison/collections/%s/objects/" % (node.port, cid),
        data=json.dumps({"objects": [obj]}).encode(), method="POST",
        headers={"Content-Type": "application/taxii+json;version=2.1",
                 "Accept": "application/taxii+json;version=2.1",
                 "Authorization": "Basic " + base64.b64encode(("duty:" + PW).encode()).decode()})
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    with urllib.request.urlopen(req, context=ctx, timeout=10) as r:
        status = json.loads(r.read())
    if status.get("success_count") != 1:
        fail("the RED indicator was not stored: %r" % status)


def wait(d, seconds):
    """The page redraws its tables every second: an element found may be gone when read."""
    return WebDriverWait(d, seconds, ignored_exceptions=(StaleElementReferenceException,
                                                         NoSuchElementException))


def click(d, css, seconds=10, keys=None):
    """Clicks (or, with keys, types into) the element: retried while its table is redrawn."""
    end = time.time() + seconds
    while True:
        try:
            e = d.find_element(By.CSS_SELECTOR, css)
            if keys is None:
                e.click()
            else:
                e.send_keys(keys)
            return
        except (StaleElementReferenceException, NoSuchElementException,
                ElementNotInteractableException):
            if time.time() > end:
                raise
            time.sleep(0.1)


def browser():
    opts = webdriver.ChromeOptions()
    opts.binary_location = shutil.which("chromium") or "chromium"
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
              "--ignore-certificate-errors", "--window-size=1280,800",
              "--no-first-run", "--disable-extensions", "--disable-background-networking",
              "--disable-component-update", "--disable-sync"):
        opts.add_argument(a)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(shutil.which("chromedriver") or "chromedriver"),
                            options=opts)


def shot(d, name):
    path = os.path.join(SHOTS, name + ".png")
    d.save_screenshot(path)
    print("screenshot " + path)


def sign_in(d, url, user, password):
    d.get(url)
    w = wait(d, 15)
    w.until(EC.visibility_of_element_located((By.ID, "sign-in")))
    d.find_element(By.NAME, "username").send_keys(user)
    d.find_element(By.NAME, "password").send_keys(password)
    d.find_element(By.CSS_SELECTOR, "#sign-in button[type=submit]").click()
    w.until(EC.visibility_of_element_located((By.ID, "hotline-view")))


def console_errors(d):
    return [e for e in d.get_log("browser") if e.get("level") == "SEVERE"]


def main():
    os.makedirs(SHOTS, exist_ok=True)
    work = tempfile.mkdtemp(prefix="lsn-ui-browser-")
    os.chmod(work, 0o700)
    a, b = Node(work, "cert-a"), Node(work, "cert-b")
    a.cli("partner", "add", b.identity, "--endpoint", "https://127.0.0.1:%d" % b.peer, "--yes")
    b.cli("partner", "add", a.identity, "--endpoint", "https://127.0.0.1:%d" % a.peer, "--yes")
    b.cli("user", "add", "duty", "--password-stdin", "--admin", stdin=PW + "\n")
    b.cli("user", "add", "nogrant", "--password-stdin", stdin=PW + "x\n")
    a.start()
    b.start()
    d = None
    try:
        d = browser()
        url = "https://127.0.0.1:%d/ui/" % b.port
        d.get(url)
        shot(d, "sign-in")
        sign_in(d, url, "duty", PW)
        wait(d, 10).until(
            lambda x: "No open case" in x.find_element(By.ID, "hotline-status").text)
        shot(d, "hotline-empty")
        # the live stream is open: the page says so, and the node counts it
        wait(d, 10).until(lambda x: x.find_element(By.ID, "live").text == "Live")
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        with urllib.request.urlopen("https://127.0.0.1:%d/metrics" % b.port, context=ctx,
                                    timeout=10) as m:
            text = m.read().decode()
        if "liaison_ui_live_streams 1\n" not in text:
            fail("the node does not count one live stream: %s" %
                 [l for l in text.splitlines() if "live" in l])

        # A notifies B from the CLI; B's page shows it without a reload
        summary = "Browser test: DDoS on the tax portal from AS64500"
        t0 = time.time()
        case = json.loads(a.cli("notify", "--partner", "cert-b", "--summary", summary,
                                "--json"))
        cid = case.get("id") or case.get("case", {}).get("id")
        if not cid:
            fail("notify --json gave no case id: %s" % case)
        # polled only every 15 s while the stream is live: within 5 s it came by the stream
        wait(d, 5).until(
            lambda x: summary in x.find_element(By.ID, "cases").text)
        seen = time.time() - t0
        print("the partner's case appeared on the page %.2f s after `notify` was run" % seen)
        if "(1)" not in d.title:
            fail("the tab title does not count the case waiting: %r" % d.title)
        shot(d, "hotline-case")

        errs = console_errors(d)
        if errs:
            fail("the browser console shows errors: %s" % errs)
        # a step without the CSRF token is refused, and changes nothing
        status = d.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "fetch('/api/v1/cases/' + encodeURIComponent(arguments[0]) + '/steps', {method: 'POST',"
            " credentials: 'same-origin', headers: {'Content-Type': 'application/json'},"
            " body: JSON.stringify({step: 'ack', text: 'forged'})}).then(r => done(r.status));",
            cid)
        if status != 403:
            fail("a step without X-CSRF-Token answered %s, not 403" % status)
        # the console reports that refusal, as it should; nothing else
        errs = [e for e in console_errors(d) if "/steps" not in e.get("message", "")]
        if errs:
            fail("the browser console shows errors: %s" % errs)
        if any(c.get("acknowledged") for c in json.loads(b.cli("cases", "--json")).get("cases", [])):
            fail("the refused step acknowledged the case")

        # one click acknowledges; A sees it
        click(d, "button[aria-label='Acknowledge case %s']" % cid)
        deadline = time.time() + 30
        while True:
            cases = json.loads(a.cli("cases", "--json"))
            rows = cases.get("cases", cases) if isinstance(cases, dict) else cases
            mine = [c for c in rows if c.get("id") == cid]
            if mine and mine[0].get("acknowledged"):
                break
            if time.time() > deadline:
                fail("A's cases --json does not show %s acknowledged: %s" % (cid, mine))
            time.sleep(0.3)
        wait(d, 10).until(
            lambda x: not x.find_elements(By.CSS_SELECTOR, "button[aria-label^='Acknowledge']"))
        shot(d, "hotline-acknowledged")

        # the case's page, reached with the keyboard: its steps with their receipts, and
        # buttons for exactly the steps the state machine lets B take now
        click(d, "#cases a[href='#case/%s']" % cid, keys=Keys.ENTER)
        wait(d, 10).until(lambda x: [r.get_attribute("data-step") for r in
                                     x.find_elements(By.CSS_SELECTOR, "#case-steps tbody tr")]
                                    == ["open", "ack"])
        facts = d.find_element(By.ID, "case-facts").text
        if "cert-a" not in facts or "acknowledged" not in facts or summary not in facts:
            fail("the case page's facts miss the partner, state or summary: %r" % facts)
        wait(d, 10).until(lambda x: [b.get_attribute("data-step") for b in
                                     x.find_elements(By.CSS_SELECTOR, "#step-buttons button")]
                                    == ["start", "request_info", "respond", "refuse"])
        shot(d, "case-acknowledged")
        d.find_element(By.ID, "step-text").send_keys("Blocked AS64500 at the border routers.")
        click(d, "#step-buttons button[data-step='respond']")
        wait(d, 10).until(lambda x: "respond" in [r.get_attribute("data-step") for r in
                                                  x.find_elements(By.CSS_SELECTOR, "#case-steps tbody tr")])
        if "Blocked AS64500" not in d.find_element(By.ID, "case-steps").text:
            fail("the step's note is not in the case's timeline")
        deadline = time.time() + 30
        while True:
            mine = [c for c in json.loads(a.cli("cases", "--json")).get("cases", [])
                    if c.get("id") == cid]
            if mine and mine[0].get("state") == "answered":
                break
            if time.time() > deadline:
                fail("A's cases --json does not show %s answered: %s" % (cid, mine))
            time.sleep(0.3)
        shot(d, "case-answered")
        d.find_element(By.ID, "case-back").click()
        wait(d, 10).until(EC.visibility_of_element_located((By.ID, "open-case")))

        # a preservation request from the form: a required field missing is refused on the
        # page, nothing is sent; complete, it is sent and A has it
        d.find_element(By.CSS_SELECTOR, "#open-case summary").click()
        d.find_element(By.ID, "oc-partner").send_keys("cert-a")
        Select(d.find_element(By.ID, "oc-kind")).select_by_value("preservation")
        d.find_element(By.ID, "oc-summary").send_keys("Preserve the mailbox used in an extortion")
        fields = {"requesting_authority": "Public Prosecutor's Office, Cybercrime Unit",
                  "offence": "extortion", "summary_of_facts": "A ransom demand came from it.",
                  "data_to_preserve": "subscriber data and login IPs of extort@mail.example",
                  "relation_to_offence": "it sent the ransom demand",
                  "necessity": "the provider deletes login records after 30 days"}
        for k, v in fields.items():
            d.find_element(By.ID, "oc-" + k).send_keys(v)
        d.find_element(By.CSS_SELECTOR, "#open-form button[type=submit]").click()
        wait(d, 5).until(
            lambda x: "Custodian" in x.find_element(By.ID, "open-error").text)
        if d.find_element(By.ID, "oc-custodian").get_attribute("aria-invalid") != "true":
            fail("the missing field is not marked invalid")
        shot(d, "open-case-refused")
        time.sleep(1)
        kinds = [c.get("kind") for c in json.loads(a.cli("cases", "--json")).get("cases", [])]
        if "preservation" in kinds:
            fail("the refused form was sent all the same")
        d.find_element(By.ID, "oc-custodian").send_keys("Mail Example Ltd.")
        d.find_element(By.CSS_SELECTOR, "#open-form button[type=submit]").click()
        wait(d, 10).until(
            lambda x: "Sent: case" in x.find_element(By.ID, "open-done").text)
        if d.find_element(By.ID, "oc-preservation").is_displayed():
            fail("the preservation fields stay on screen after the form was sent and reset")
        shot(d, "open-case-sent")
        deadline = time.time() + 30
        while "preservation" not in [c.get("kind") for c in
                                     json.loads(a.cli("cases", "--json")).get("cases", [])]:
            if time.time() > deadline:
                fail("A never received the preservation request")
            time.sleep(0.3)

        # filters: by kind, only the preservation request is listed; back to all, both
        def kinds_listed(x):
            return sorted(td.text for td in
                          x.find_elements(By.CSS_SELECTOR, "#cases td[data-label='Kind']"))
        wait(d, 10).until(lambda x: kinds_listed(x) == ["notification", "preservation"])
        wait(d, 10).until(lambda x: "preservation" in [o.get_attribute("value") for o in
                                                      x.find_elements(By.CSS_SELECTOR, "#f-kind option")])
        Select(d.find_element(By.ID, "f-kind")).select_by_value("preservation")
        wait(d, 10).until(lambda x: kinds_listed(x) == ["preservation"])
        shot(d, "hotline-filtered")
        Select(d.find_element(By.ID, "f-kind")).select_by_value("")
        wait(d, 10).until(lambda x: kinds_listed(x) == ["notification", "preservation"])

        # an interference case: a DISARM id that is not one is refused on the page, then sent
        d.find_element(By.ID, "oc-partner").send_keys("cert-a")
        Select(d.find_element(By.ID, "oc-kind")).select_by_value("interference")
        d.find_element(By.ID, "oc-summary").send_keys("Inauthentic accounts amplify forged documents")
        d.find_element(By.ID, "oc-disarm").send_keys("T0002, 14.001")
        d.find_element(By.CSS_SELECTOR, "#open-form button[type=submit]").click()
        wait(d, 5).until(lambda x: "DISARM techniques must be ids" in
                                  x.find_element(By.ID, "open-error").text)
        d.find_element(By.ID, "oc-disarm").clear()
        d.find_element(By.ID, "oc-disarm").send_keys("T0002, T0014.001")
        d.find_element(By.CSS_SELECTOR, "#open-form button[type=submit]").click()
        wait(d, 10).until(lambda x: "Sent: case" in x.find_element(By.ID, "open-done").text)
        deadline = time.time() + 30
        while "interference" not in [c.get("kind") for c in
                                     json.loads(a.cli("cases", "--json")).get("cases", [])]:
            if time.time() > deadline:
                fail("A never received the interference case")
            time.sleep(0.3)

        # the partners page: the link to A is green, with its rule in words
        wait(d, 10).until(lambda x: "GREEN (green: the last contact succeeded)" in
                                   x.find_element(By.CSS_SELECTOR, "#partners tr[data-partner='cert-a']").text)
        # its certificate, read at the notary's handshake, and the witness's last cosignature
        wait(d, 20).until(lambda x: "(green: valid for more than 30 days)" in
                                   x.find_element(By.CSS_SELECTOR, "#partners tr[data-partner='cert-a']").text)
        wait(d, 20).until(lambda x: "(green: cosigned within 15 minutes)" in
                                   x.find_element(By.CSS_SELECTOR, "#partners tr[data-partner='cert-a']").text)
        if "(green: valid for more than 30 days)" not in d.find_element(By.ID, "node-cert").text:
            fail("this node's certificate is not shown: %r" % d.find_element(By.ID, "node-cert").text)
        d.execute_script("document.getElementById('partners-view').scrollIntoView()")
        shot(d, "partners-green")

        # the border: a RED indicator posted to B's shared collection is kept home, and the
        # page shows the count and the decision with its rule in words
        post_red(b)
        def kept(x):
            rows = x.find_elements(By.CSS_SELECTOR, "#border-counts tr[data-rule='tlp-red']")
            return rows and "cert-a" in rows[0].text and "egress" in rows[0].text
        wait(d, 20).until(kept)
        text = d.find_element(By.ID, "border-decisions").text
        if RED_ID not in text or "RED never leaves on its own" not in text:
            fail("the border page does not explain the decision: %r" % text)
        d.execute_script("document.getElementById('border-view').scrollIntoView()")
        shot(d, "border")

        # the collections: the RED indicator is the newest object of B's shared collection,
        # and its JSON opens with the keyboard
        click(d, "#collections tr[data-collection='shared'] button[data-object='%s']" % RED_ID,
              seconds=20, keys=Keys.ENTER)
        wait(d, 10).until(lambda x: '"pattern_type": "stix"' in x.find_element(By.ID, "object-json").text)
        if RED_ID not in d.find_element(By.ID, "object-json").text:
            fail("the object viewer shows another object")
        d.execute_script("document.getElementById('collections-view').scrollIntoView()")
        shot(d, "collections")

        # the ledger: the latest checkpoint, cosigned by A; `log verify` shows once it ran
        wait(d, 20).until(lambda x: "cert-a (" in x.find_element(By.ID, "ledger-facts").text)
        if "AMBER (amber: liaison log verify has not been run)" not in \
                d.find_element(By.ID, "ledger-facts").text:
            fail("the ledger page does not say verify never ran: %r" %
                 d.find_element(By.ID, "ledger-facts").text)
        b.cli("log", "verify")
        wait(d, 20).until(lambda x: "GREEN (green: the last liaison log verify passed" in
                                   x.find_element(By.ID, "ledger-facts").text)
        if "GREEN (green: no equivocation seen)" not in \
                d.find_element(By.CSS_SELECTOR, "#ledger-witnesses tr[data-partner='cert-a']").text:
            fail("the witness row is wrong")
        d.execute_script("document.getElementById('ledger-view').scrollIntoView()")
        shot(d, "ledger")

        # phone width
        d.set_window_size(390, 844)
        shot(d, "hotline-phone")
        d.set_window_size(1280, 800)

        errs = console_errors(d)
        if errs:
            fail("the browser console shows errors: %s" % errs)

        # take the link down: A stops, B's next delivery to it fails, and the partner turns
        # red on the page by the rule it states
        a.stop()
        t0 = time.time()
        b.cli("notify", "--partner", "cert-a", "--summary", "sent while cert-a is down")
        def red(x):
            t = x.find_element(By.CSS_SELECTOR, "#partners tr[data-partner='cert-a']").text
            return "RED" in t and "(red: the last delivery to the partner failed)" in t
        wait(d, 30).until(red)
        print("the partner turned red on the page %.2f s after its link went down" %
              (time.time() - t0))
        d.execute_script("document.getElementById('partners-view').scrollIntoView()")
        shot(d, "partners-red")
        errs = console_errors(d)
        if errs:
            fail("the browser console shows errors: %s" % errs)

        # sign out; a user without grants sees no case
        d.find_element(By.ID, "sign-out").click()
        wait(d, 10).until(EC.visibility_of_element_located((By.ID, "sign-in")))
        sign_in(d, url, "nogrant", PW + "x")
        wait(d, 10).until(
            lambda x: "No open case" in x.find_element(By.ID, "hotline-status").text)
        if summary in d.find_element(By.ID, "cases").text:
            fail("a user without grants sees the partner's case")
        if d.find_elements(By.CSS_SELECTOR, "#partners tr[data-partner]"):
            fail("a user without grants sees the partners")
        shot(d, "hotline-no-grants")
        errs = console_errors(d)
        if errs:
            fail("the browser console shows errors: %s" % errs)
        print("ok: sign-in, a partner's case live on the page, acknowledge, CSRF, grants")
    finally:
        if d is not None:
            d.quit()
        a.stop()
        b.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
