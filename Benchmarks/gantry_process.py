"""What the benchmark scripts share: the built `gantry` and the HTTP port a master logs once it listens."""
import os, re, sys, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def gantry():
    """The release build if there is one, else the debug build."""
    for config in ("release", "debug"):
        path = os.path.join(ROOT, ".build", config, "gantry")
        if os.path.exists(path):
            return path
    sys.exit("build gantry first: swift build -c release")


def http_port(log, deadline=30):
    """The port in the master's `HTTP API listening` line of `log`, waiting up to `deadline` seconds."""
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        match = re.search(r"gantry\.http\.address=\S+:(\d+)", open(log).read())
        if match:
            return int(match.group(1))
        time.sleep(0.02)
    sys.exit(f"no HTTP port in {log}:\n{open(log).read()}")
