#!/usr/bin/env python3
"""Changes per second through the GitHub change hook of one `gantry master`.

Usage: Benchmarks/hooks.py [--database URL] [--pushes 2000] [--commits 5] [--clients 8] [--smoke]
Starts a master (the release build if there is one, else the debug build) with a GitHub hook, sends signed push
events, each with --commits commits, from --clients concurrent connections, and reports stored changes per second
and the latency of one push (median and p99). The database defaults to a fresh SQLite file; for PostgreSQL give
an empty schema (postgres://...?schema=NAME). --smoke: 8 pushes of 2 commits from 2 clients, a seconds-long check
that it still works.
"""
import argparse, hashlib, hmac, http.client, json, os, signal, statistics, sys, tempfile, time
from concurrent.futures import ThreadPoolExecutor

from gantry_process import ROOT, gantry, start_master
SECRET = b"benchmark-secret"


def push(number, commits):
    return json.dumps({
        "ref": "refs/heads/main",
        "repository": {"html_url": "https://github.com/acme/bench", "full_name": "acme/bench"},
        "commits": [{
            "id": f"{number:08x}{k:032x}", "distinct": True, "message": f"change {number}.{k}",
            "timestamp": "2026-11-23T10:00:00Z", "url": f"https://github.com/acme/bench/commit/{number}.{k}",
            "author": {"name": "Bench", "email": "bench@example.com"}, "modified": [f"src/file{k}.c"],
        } for k in range(commits)],
    }).encode()


def send(port, body):
    signature = "sha256=" + hmac.new(SECRET, body, hashlib.sha256).hexdigest()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    start = time.monotonic()
    connection.request("POST", "/change_hook/github", body,
                       {"X-GitHub-Event": "push", "X-Hub-Signature-256": signature, "Content-Type": "application/json"})
    answer = connection.getresponse()
    stored = len(json.loads(answer.read())["changes"])
    connection.close()
    if answer.status != 200:
        sys.exit(f"hook answered {answer.status}")
    return time.monotonic() - start, stored


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database")
    parser.add_argument("--pushes", type=int, default=2000)
    parser.add_argument("--commits", type=int, default=5)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--smoke", action="store_true", help="a seconds-long run that only checks it still works")
    args = parser.parse_args()
    if args.smoke:
        args.pushes, args.commits, args.clients = 8, 2, 2
    with tempfile.TemporaryDirectory() as directory:
        binary = gantry()
        master, port = start_master(
            directory, f"name: hook-bench\nhttp: 127.0.0.1:0\nchangeHooks: {{github: {{secret: {SECRET.decode()}}}}}\n",
            args.database)
        try:
            bodies = [push(n, args.commits) for n in range(args.pushes)]
            start = time.monotonic()
            with ThreadPoolExecutor(args.clients) as pool:
                results = list(pool.map(lambda body: send(port, body), bodies))
            elapsed = time.monotonic() - start
        finally:
            master.send_signal(signal.SIGTERM)
            master.wait()
    latencies = sorted(r[0] for r in results)
    stored = sum(r[1] for r in results)
    print(f"{os.path.relpath(binary, ROOT)}; database {'PostgreSQL' if args.database else 'SQLite file'}; "
          f"{args.pushes} pushes x {args.commits} commits from {args.clients} clients")
    print(f"{stored} changes in {elapsed:.1f} s: {stored / elapsed:.0f} changes/s")
    print(f"push latency: median {statistics.median(latencies) * 1000:.1f} ms, "
          f"p99 {latencies[int(len(latencies) * 0.99) - 1] * 1000:.1f} ms")


if __name__ == "__main__":
    main()
