#!/usr/bin/env python3
"""Whether a long queue slows the master: builds/s and master CPU per build with Q requests waiting, and the
master's start with them.

For each queue size Q, on a new SQLite database: a master with one builder (a `true` step, collapseRequests
false, so each request is one build) and its native workers not yet connected; Q requests forced through the
API (8 clients); the master restarted (its start with Q waiting is timed until its API answers); then the
workers (`gantry worker`) connect, and the first `--measure` builds are timed, with the master's CPU time
(user + system, from /proc) divided by them. Flat means the same figures for every Q.
"""
import argparse, concurrent.futures, json, os, shutil, sys, tempfile, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gantry_process import all_claimed, gantry, start_master, stop_processes  # noqa: E402
from versus_buildbot import api, cpu_seconds, wait  # noqa: E402

import subprocess  # noqa: E402


def config(workers):
    names = ", ".join(f"w{i}" for i in range(1, workers + 1))
    return f"""http: 127.0.0.1:0
workerPort: {{address: "127.0.0.1:0"}}
workers: [{", ".join(f"{{name: w{i}, password: pass}}" for i in range(1, workers + 1))}]
builders:
  - {{name: b, workers: [{names}], collapseRequests: false, steps: [{{name: true, shell: [true]}}]}}
schedulers:
  - {{name: force, type: force, builderNames: [b]}}
"""


def worker_port(directory):
    """The worker port the master's log names."""
    import re
    end = time.monotonic() + 30
    while time.monotonic() < end:
        match = re.search(r"gantry\.worker_port=\S+:(\d+)", open(os.path.join(directory, "master.log")).read())
        if match:
            return int(match.group(1))
        time.sleep(0.02)
    sys.exit("no worker port in the master's log")


def completed(base):
    return api(base, "/api/v2/buildrequests?complete=true&limit=1")["meta"]["total"]


def measure(queue, workers, count):
    directory = tempfile.mkdtemp(prefix="gantry-queue-")
    database = f"sqlite://{directory}/state.sqlite"
    master, http = start_master(directory, config(workers), database)
    base = f"http://127.0.0.1:{http}"
    started = []
    try:
        wait(lambda: all_claimed(api(base, "/api/v2/schedulers")["schedulers"]))
        force = {"jsonrpc": "2.0", "method": "force", "id": 1}
        fill = time.monotonic()
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda _: api(base, "/api/v2/forceschedulers/force", force), range(queue)))
        fill = time.monotonic() - fill
        stop_processes(master, [])
        begin = time.monotonic()
        master, http = start_master(directory, config(workers), database)
        base = f"http://127.0.0.1:{http}"
        wait(lambda: api(base, "/api/v2/builders") is not None, every=0.005)
        start_seconds = time.monotonic() - begin
        port = worker_port(directory)
        password = os.path.join(directory, "password")
        with open(password, "w") as f:
            f.write("pass\n")
        cpu, begin = cpu_seconds(master.pid), time.monotonic()
        for i in range(1, workers + 1):
            started.append(subprocess.Popen(
                [gantry(), "worker", "--master", f"127.0.0.1:{port}", "--name", f"w{i}", "--password-file",
                 password, "--basedir", os.path.join(directory, f"w{i}")],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        target = min(count, queue)
        if not wait(lambda: completed(base) >= target, limit=1800, every=0.1):
            sys.exit(f"{target} builds did not complete with {queue} queued")
        seconds = time.monotonic() - begin
        return {"queued": queue, "force_per_s": queue / fill, "start_s": start_seconds, "builds": target,
                "builds_per_s": target / seconds, "cpu_ms_per_build": (cpu_seconds(master.pid) - cpu) / target * 1000}
    finally:
        stop_processes(master, started)
        shutil.rmtree(directory, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--queues", type=int, nargs="+", default=[200, 10000])
    parser.add_argument("--measure", type=int, default=1000, help="builds timed at each queue size")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--smoke", action="store_true", help="a seconds-long run that only checks it still works")
    arguments = parser.parse_args()
    if arguments.smoke:
        arguments.queues, arguments.measure = [5, 20], 5
    results = [measure(q, arguments.workers, arguments.measure) for q in arguments.queues]
    for result in results:
        print(json.dumps({k: round(v, 2) for k, v in result.items()}), flush=True)
    first = results[0]
    print(f"\n{'queued':>8} {'builds/s':>9} {'CPU ms/build':>13} {'vs first':>9} {'start s':>8}")
    for result in results:
        print(f"{result['queued']:8d} {result['builds_per_s']:9.1f} {result['cpu_ms_per_build']:13.2f} "
              f"{result['cpu_ms_per_build'] / first['cpu_ms_per_build']:8.2f}x {result['start_s']:8.2f}")


if __name__ == "__main__":
    main()
