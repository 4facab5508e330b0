#!/usr/bin/env python3
"""The native worker (`gantry worker`) in a pool: the time from a queued request to its build starting on a
worker the pool spawned for it (the pool noticing the request, process start, connection, attach, claim), and
the worker's RSS idle and while building.

Each round forces a build while the pool has no worker (the last one retired), measures until the build shows in
the master's API, samples the worker's RSS while the build prints 20,000 lines and once it is idle, then waits for
the idle worker to retire. --smoke: one round, a seconds-long check that it still works.
"""
import argparse, json, os, statistics, sys, tempfile, time, urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gantry_process import all_claimed, start_master  # noqa: E402
from versus_buildbot import rss_kib, wait  # noqa: E402


def api(base, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    with urllib.request.urlopen(urllib.request.Request(base + path, data=data), timeout=30) as answer:
        return json.loads(answer.read())


def pool_worker(directory):
    """The pid of the pool's worker process, or None. Its base directory is named after the master's configuration
    directory (TMPDIR/gantry-pools-UID/NAME-HASH/POOL/...)."""
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            arguments = open(f"/proc/{pid}/cmdline", "rb").read().split(b"\0")
        except OSError:
            continue
        worker = b"worker" in arguments or arguments[0].endswith(b"/gantry-worker")
        if worker and f"/{os.path.basename(directory)}-".encode() in b" ".join(arguments):
            return int(pid)
    return None


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--smoke", action="store_true", help="a seconds-long run that only checks it still works")
    arguments = parser.parse_args()
    if arguments.smoke:
        arguments.rounds = 1
    directory = tempfile.mkdtemp(prefix="gantry-native-")
    master, http = start_master(directory, """http: 127.0.0.1:0
workerPort: {address: "127.0.0.1:0"}
builders:
  - {name: b1, steps: [{name: talk, shell: "seq 1 20000 | sed 's/^/line /'; sleep 1"}]}
schedulers:
  - {name: force, type: force, builderNames: [b1]}
pools: [{name: p, builders: [b1], maxWorkers: 1, idleTimeout: 3s}]
""")
    base = f"http://127.0.0.1:{http}"
    spawn_ms, idle, building = [], [], []
    try:
        wait(lambda: all_claimed(api(base, "/api/v2/schedulers")["schedulers"]))
        for round in range(1, arguments.rounds + 1):
            start = time.monotonic()
            brid = list(api(base, "/api/v2/forceschedulers/force",
                            {"jsonrpc": "2.0", "method": "force", "id": 1})["result"][1].values())[0]
            wait(lambda: api(base, f"/api/v2/builds?buildrequestid={brid}")["meta"]["total"] > 0, every=0.002)
            spawn_ms.append((time.monotonic() - start) * 1000)
            worker = pool_worker(directory)
            peak = 0
            while api(base, f"/api/v2/buildrequests/{brid}")["buildrequests"][0]["complete"] is False:
                peak = max(peak, rss_kib(worker))
                time.sleep(0.02)
            building.append(peak / 1024)
            time.sleep(1)
            idle.append(rss_kib(worker) / 1024)
            if not wait(lambda: pool_worker(directory) is None
                        and not api(base, "/api/v2/pools/p")["pools"][0]["workers"]):
                sys.exit("the idle pool worker did not retire")
            print(f"round {round}: queued → build started on a new pool worker {spawn_ms[-1]:.0f} ms, "
                  f"RSS building {building[-1]:.1f} MiB, idle {idle[-1]:.1f} MiB", flush=True)
    finally:
        master.terminate()
        master.wait(timeout=60)
    print(f"median: queued to build start on a new pool worker {statistics.median(spawn_ms):.0f} ms, "
          f"RSS idle {statistics.median(idle):.1f} MiB, building (peak) {statistics.median(building):.1f} MiB")


if __name__ == "__main__":
    main()
