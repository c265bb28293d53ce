"""What the Python end-to-end tests share: failing with a message, a free
port of 127.0.0.1, running a command that must succeed, and stopping a daemon."""
import signal
import socket
import subprocess
import sys


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def run(*args, stdin=None):
    p = subprocess.run(args, input=stdin, capture_output=True, text=True)
    if p.returncode != 0:
        fail("%s exited %d: %s" % (" ".join(args), p.returncode, p.stderr.strip()))
    return p.stdout


def stop_daemon(proc, out):
    """SIGTERM, up to 15 s for a clean stop, then SIGKILL; closes its log file."""
    if proc is not None and proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
    if out is not None and not out.closed:
        out.close()
