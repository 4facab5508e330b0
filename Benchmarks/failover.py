#!/usr/bin/env python3
"""Failover time of Gantry's clustered schedulers: SIGKILL -> every scheduler of the killed master active on a
survivor, measured through the HTTP API. Runs N rounds (default 5) and prints each and the median.

Usage: Benchmarks/failover.py POSTGRES_URL [--rounds 5] [--heartbeat 5s] [--expire-after 30s] [--claim-poll 5s]
                             [--smoke]
Needs a built `gantry` (swift build -c release; falls back to the debug build) and a PostgreSQL database that
the masters may share; every round uses names of its own, so earlier rounds do not disturb later ones.
"""
import json, os, signal, subprocess, sys, tempfile, time, urllib.request

from gantry_process import cluster_arguments, http_port, timed_rounds


def start(binary, directory, name, url, args, schedulers):
    lines = [f"name: {name}", f"database: {url}", "http: 127.0.0.1:0", f"heartbeat: {args.heartbeat}",
             f"expireAfter: {args.expire_after}", f"claimPoll: {args.claim_poll}", "builders: [{name: bench}]", "schedulers:"]
    lines += [f"  - {{name: {s}, type: periodic, builderNames: [bench], interval: 1h}}" for s in schedulers]
    config = os.path.join(directory, f"{name}.yaml")
    with open(config, "w") as f:
        f.write("\n".join(lines) + "\n")
    log = open(os.path.join(directory, f"{name}.log"), "w")
    process = subprocess.Popen([binary, "master", "--config", config], stdout=subprocess.DEVNULL, stderr=log)
    return process, log.name


def owners(port, schedulers):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v2/schedulers?field=name&field=master") as answer:
        items = json.load(answer)["schedulers"]
    return {i["name"]: (i["master"] or {}).get("name") for i in items if i["name"] in schedulers}


def round_(binary, url, args, number):
    schedulers = [f"bench{number}-{os.getpid()}-{k}" for k in range(6)]
    names = [f"bench{number}-{os.getpid()}-m{k}" for k in range(3)]
    with tempfile.TemporaryDirectory() as directory:
        masters = {n: start(binary, directory, n, url, args, schedulers) for n in names}
        try:
            ports = {n: http_port(log) for n, (_, log) in masters.items()}
            end = time.monotonic() + 60
            while True:
                held = owners(ports[names[0]], schedulers)
                if len(held) == 6 and all(held.values()):
                    break
                if time.monotonic() > end:
                    sys.exit(f"schedulers never all claimed: {held}")
                time.sleep(0.05)
            victim = max(names, key=lambda n: sum(1 for o in held.values() if o == n))
            orphaned = [s for s, o in held.items() if o == victim]
            witness = next(n for n in names if n != victim)
            masters[victim][0].send_signal(signal.SIGKILL)
            killed = time.monotonic()
            while True:
                now = owners(ports[witness], schedulers)
                if all(now.get(s) not in (None, victim) for s in orphaned):
                    return time.monotonic() - killed, len(orphaned)
                if time.monotonic() - killed > 120:
                    sys.exit(f"no failover after 120 s: {now}")
                time.sleep(0.02)
        finally:
            for process, _ in masters.values():
                process.send_signal(signal.SIGKILL)
                process.wait()


def main():
    args = cluster_arguments(__doc__)
    timed_rounds(args, "3 masters, 6 schedulers", lambda binary, number: round_(binary, args.url, args, number), lambda moved, seconds: f"{moved} schedulers moved in {seconds:.2f} s")


if __name__ == "__main__":
    main()
