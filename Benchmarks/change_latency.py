#!/usr/bin/env python3
"""Change -> build request latency through a SingleBranch scheduler of one `gantry master`.

Usage: Benchmarks/change_latency.py [--database URL] [--changes 200] [--smoke]
Starts a master (the release build if there is one, else the debug build) with the base change hook and a
SingleBranch scheduler without a tree-stable timer, sends one change at a time, and measures from sending the
change until its build request is visible in the HTTP API (polled every millisecond); it reports the median and
p99. The database defaults to a fresh SQLite file; for PostgreSQL give an empty schema (postgres://...?schema=NAME).
--smoke: 5 changes, a seconds-long check that it still works.
"""
import argparse, http.client, json, os, signal, statistics, sys, tempfile, time, urllib.parse

from gantry_process import ROOT, gantry, start_master


def call(port, method, path, body=None, headers=None):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request(method, path, body, headers or {})
    answer = connection.getresponse()
    data = json.loads(answer.read())
    connection.close()
    if answer.status != 200:
        sys.exit(f"{method} {path} answered {answer.status}: {data}")
    return data


def requests(port):
    return call(port, "GET", "/api/v2/buildrequests?limit=0")["meta"]["total"]


def send(port, revision):
    """A change of `revision` on main, through the base hook."""
    body = urllib.parse.urlencode({"author": "bench", "branch": "main", "revision": revision,
                                   "files": json.dumps([f"src/{revision}.c"])})
    call(port, "POST", "/change_hook/base", body, {"Content-Type": "application/x-www-form-urlencoded"})


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database")
    parser.add_argument("--changes", type=int, default=200)
    parser.add_argument("--smoke", action="store_true", help="a seconds-long run that only checks it still works")
    args = parser.parse_args()
    if args.smoke:
        args.changes = 5
    with tempfile.TemporaryDirectory() as directory:
        binary = gantry()
        master, port = start_master(
            directory,
            "name: latency-bench\nhttp: 127.0.0.1:0\nclaimPoll: 1s\nchangeHooks: {base: {}}\n"
            "builders: [{name: bench}]\n"
            "schedulers: [{name: main, type: singleBranch, branch: main, builderNames: [bench]}]\n",
            args.database)
        try:
            # The scheduler reads only the changes after the newest there was when it first ran, a moment after it
            # shows as claimed: a first change, sent again until it makes a request, shows it reading.
            while not any(s["master"] for s in call(port, "GET", "/api/v2/schedulers")["schedulers"]):
                time.sleep(0.01)
            while requests(port) == 0:
                send(port, "warm-up")
                deadline = time.monotonic() + 5
                while requests(port) == 0 and time.monotonic() < deadline:
                    time.sleep(0.01)
            latencies = []
            for number in range(args.changes):
                before = requests(port)
                start = time.monotonic()
                send(port, f"r{number}")
                while requests(port) == before:
                    time.sleep(0.001)
                latencies.append(time.monotonic() - start)
        finally:
            master.send_signal(signal.SIGTERM)
            master.wait()
    latencies.sort()
    print(f"{os.path.relpath(binary, ROOT)}; database {'PostgreSQL' if args.database else 'SQLite file'}; {args.changes} changes")
    print(f"change -> build request: median {statistics.median(latencies) * 1000:.1f} ms, "
          f"p99 {latencies[max(int(len(latencies) * 0.99) - 1, 0)] * 1000:.1f} ms")


if __name__ == "__main__":
    main()
