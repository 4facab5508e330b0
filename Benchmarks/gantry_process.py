"""What the benchmark scripts share: the built `gantry` and the HTTP port a master logs once it listens."""
import os, re, subprocess, sys, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def gantry():
    """$GANTRY_BINARY when set, else the release build if there is one, else the debug build."""
    if os.environ.get("GANTRY_BINARY"):
        return os.environ["GANTRY_BINARY"]
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


def start_master(directory, config, database=None):
    """Writes `config` (plus `database` when given) to DIRECTORY/master.yaml and starts a master on it;
    returns the process and its HTTP port."""
    path = os.path.join(directory, "master.yaml")
    with open(path, "w") as f:
        f.write(config + (f"database: {database}\n" if database else ""))
    log = os.path.join(directory, "master.log")
    master = subprocess.Popen([gantry(), "master", "--config", path], stdout=subprocess.DEVNULL,
                              stderr=open(log, "w"))
    return master, http_port(log)
