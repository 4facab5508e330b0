#!/usr/bin/env python3
"""The native worker (`gantry worker`): its RSS idle and while building, and the time from a queued request to
the build starting on a worker spawned for it (process start, connection, attach, claim).

Each round forces a build while no worker is connected, then starts a fresh `gantry worker` and measures until
the build shows in the master's API; the build prints 20,000 lines, during which the worker's RSS is sampled.
"""
import argparse, json, os, signal, statistics, subprocess, sys, tempfile, time, urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gantry_process import gantry, start_master  # noqa: E402
from versus_buildbot import free_port, rss_kib, wait  # noqa: E402


def api(base, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    with urllib.request.urlopen(urllib.request.Request(base + path, data=data), timeout=30) as answer:
        return json.loads(answer.read())


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=10)
    arguments = parser.parse_args()
    directory = tempfile.mkdtemp(prefix="gantry-native-")
    worker_port = free_port()
    master, http = start_master(directory, f"""http: 127.0.0.1:0
workerPort: {{address: "127.0.0.1:{worker_port}"}}
workers: [{{name: wk1, password: pass}}]
builders:
  - {{name: b1, workers: [wk1], steps: [{{name: talk, shell: "seq 1 20000 | sed 's/^/line /'; sleep 1"}}]}}
schedulers:
  - {{name: force, type: force, builderNames: [b1]}}
""")
    base = f"http://127.0.0.1:{http}"
    with open(os.path.join(directory, "pass"), "w") as f:
        f.write("pass\n")
    spawn_ms, idle, building = [], [], []
    try:
        wait(lambda: all(s["master"] for s in api(base, "/api/v2/schedulers")["schedulers"]))
        for round in range(1, arguments.rounds + 1):
            brid = list(api(base, "/api/v2/forceschedulers/force",
                            {"jsonrpc": "2.0", "method": "force", "id": 1})["result"][1].values())[0]
            start = time.monotonic()
            worker = subprocess.Popen(
                [gantry(), "worker", "--master", f"127.0.0.1:{worker_port}", "--name", "wk1", "--password-file",
                 os.path.join(directory, "pass"), "--basedir", os.path.join(directory, "wk1")],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            wait(lambda: api(base, f"/api/v2/builds?buildrequestid={brid}")["meta"]["total"] > 0, every=0.002)
            spawn_ms.append((time.monotonic() - start) * 1000)
            peak = 0
            while api(base, f"/api/v2/buildrequests/{brid}")["buildrequests"][0]["complete"] is False:
                peak = max(peak, rss_kib(worker.pid))
                time.sleep(0.02)
            building.append(peak / 1024)
            time.sleep(2)
            idle.append(rss_kib(worker.pid) / 1024)
            worker.send_signal(signal.SIGTERM)
            worker.wait(timeout=30)
            wait(lambda: not api(base, "/api/v2/workers/wk1")["workers"][0]["connected_to"])
            print(f"round {round}: queued → build started on a new worker {spawn_ms[-1]:.0f} ms, "
                  f"RSS building {building[-1]:.1f} MiB, idle {idle[-1]:.1f} MiB", flush=True)
    finally:
        master.send_signal(signal.SIGTERM)
        master.wait(timeout=30)
    print(f"median: spawn to build start {statistics.median(spawn_ms):.0f} ms, "
          f"RSS idle {statistics.median(idle):.1f} MiB, building (peak) {statistics.median(building):.1f} MiB")


if __name__ == "__main__":
    main()
