"""What the benchmark scripts share: the built `gantry` and the HTTP port a master logs once it listens."""
import os, re, signal, subprocess, sys, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Started by a test process, a script may inherit a mask blocking signals: clear it, so SIGTERM reaches the script
# and the processes it starts begin with none blocked. SIGTERM unwinds the script, so its `finally` blocks stop them.
signal.pthread_sigmask(signal.SIG_SETMASK, [])
signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))


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


def all_claimed(schedulers):
    """True once the master lists its schedulers and each is claimed; an empty list (before the master has recorded
    them) is not ready."""
    return bool(schedulers) and all(s["master"] for s in schedulers)


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


def cluster_arguments(description):
    """The command line of a failover benchmark: the PostgreSQL URL, the rounds, and the cluster timings (by
    default the configuration's own); --smoke is one round on fast timings, a seconds-long check that it works."""
    import argparse
    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("url")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--heartbeat", default="5s")
    parser.add_argument("--expire-after", default="30s")
    parser.add_argument("--claim-poll", default="5s")
    parser.add_argument("--smoke", action="store_true", help="one round on heartbeat 1s, expireAfter 3s, claimPoll 1s")
    args = parser.parse_args()
    if args.smoke:
        args.rounds, args.heartbeat, args.expire_after, args.claim_poll = 1, "1s", "3s", "1s"
    return args


def timed_rounds(args, setup, round_, describe):
    """Prints `setup` with the timings, runs `round_(number)` for each round (it returns the seconds and what
    moved), prints each with `describe(moved, seconds)`, then the median."""
    import statistics
    binary = gantry()
    print(f"{setup}; heartbeat {args.heartbeat}, expireAfter {args.expire_after}, claimPoll {args.claim_poll}; "
          f"{os.path.relpath(binary, ROOT)}")
    times = []
    for number in range(1, args.rounds + 1):
        seconds, moved = round_(binary, number)
        times.append(seconds)
        print(f"round {number}: {describe(moved, seconds)}")
    print(f"median: {statistics.median(times):.2f} s (min {min(times):.2f}, max {max(times):.2f})")


def stop_processes(master, workers, master_timeout=60):
    """Stops the workers and the master with SIGTERM, killing whichever does not exit in time."""
    for worker in workers:
        worker.send_signal(signal.SIGTERM)
    master.send_signal(signal.SIGTERM)
    try:
        master.wait(timeout=master_timeout)
    except subprocess.TimeoutExpired:
        master.kill()
    for worker in workers:
        try:
            worker.wait(timeout=10)
        except subprocess.TimeoutExpired:
            worker.kill()
