#!/usr/bin/env python3
"""What authentication costs a request: one `gantry master` on SQLite, asked for one small resource
(`GET /api/v2/masters/1`) over one kept-alive connection, the same number of times each way.

Usage: Benchmarks/auth.py [--requests 3000] [--password-requests 30] [--cost 12] [--smoke]

Compared: a master without `auth`; the same master with `auth` asked anonymously, with an API token (a lookup of
its SHA-256 in the database), with the web UI's session cookie (a lookup, and a write when the expiry slides), and
with HTTP Basic, which checks a bcrypt hash of --cost on every request (the cost a login pays once). It prints
requests per second and the median and 99th-percentile latency of each, and asserts nothing. --smoke: 20
requests each way (2 with Basic, of cost 4) after as many to warm up, a seconds-long check that it still works.
"""
import argparse, base64, http.client, os, re, statistics, subprocess, sys, tempfile, time, shutil, urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gantry_process import ROOT, gantry, start_master, stop_processes  # noqa: E402

PASSWORD = "benchmark-password"


def bcrypt_hash(cost):
    """A hash of PASSWORD made by `gantry hash-password`."""
    made = subprocess.run([gantry(), "hash-password", "--cost", str(cost)], input=PASSWORD + "\n",
                          capture_output=True, text=True, check=True)
    return made.stdout.strip()


def timed(port, count, headers):
    """Sends `count` requests over one connection; their latencies in seconds."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    latencies = []
    for _ in range(count):
        started = time.perf_counter()
        connection.request("GET", "/api/v2/masters/1", headers=headers)
        answer = connection.getresponse()
        answer.read()
        latencies.append(time.perf_counter() - started)
        assert answer.status == 200, (answer.status, headers)
    connection.close()
    return latencies


def log_in(port):
    """The session cookie a login through the form gets."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    body = urllib.parse.urlencode({"user": "bench", "password": PASSWORD})
    connection.request("POST", "/login", body=body, headers={"Content-Type": "application/x-www-form-urlencoded"})
    answer = connection.getresponse()
    answer.read()
    cookie = answer.getheader("Set-Cookie") or ""
    assert answer.status == 303 and cookie, (answer.status, cookie)
    return cookie.split(";")[0]


def row(name, latencies):
    total = sum(latencies)
    ordered = sorted(latencies)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    print(f"| {name} | {len(latencies)} | {len(latencies) / total:,.0f} | {statistics.median(latencies) * 1000:.2f} "
          f"| {p99 * 1000:.2f} |")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--password-requests", type=int, default=30)
    parser.add_argument("--cost", type=int, default=12)
    parser.add_argument("--smoke", action="store_true", help="a seconds-long run that only checks it still works")
    args = parser.parse_args()
    if args.smoke:
        args.requests, args.password_requests, args.cost = 20, 2, 4
    directory = tempfile.mkdtemp(prefix="gantry-auth-bench-")
    try:
        print(f"{os.path.relpath(gantry(), ROOT)}; GET /api/v2/masters/1 over one connection\n")
        print("| caller | requests | requests/s | median ms | p99 ms |")
        print("| --- | ---: | ---: | ---: | ---: |")
        open_dir = os.path.join(directory, "open")
        os.makedirs(open_dir)
        master, port = start_master(open_dir, "http: 127.0.0.1:0\n")
        try:
            timed(port, min(200, args.requests), {})
            row("no `auth`", timed(port, args.requests, {}))
        finally:
            stop_processes(master, [])

        auth_dir = os.path.join(directory, "auth")
        os.makedirs(auth_dir)
        config = (f"http: 127.0.0.1:0\nauth:\n  users:\n"
                  f"    - {{name: bench, password: \"{bcrypt_hash(args.cost)}\", roles: [admin]}}\n")
        master, port = start_master(auth_dir, config)
        try:
            made = subprocess.run(
                [gantry(), "tokens", "create", "--db", f"sqlite:{auth_dir}/gantry.sqlite", "--user", "bench",
                 "--role", "admin"], capture_output=True, text=True, check=True)
            token = made.stdout.strip()
            cookie = log_in(port)
            timed(port, min(200, args.requests), {})
            row("anonymous", timed(port, args.requests, {}))
            row("API token", timed(port, args.requests, {"Authorization": f"Bearer {token}"}))
            row("session cookie", timed(port, args.requests, {"Cookie": cookie}))
            basic = base64.b64encode(f"bench:{PASSWORD}".encode()).decode()
            row(f"Basic, bcrypt cost {args.cost}",
                timed(port, args.password_requests, {"Authorization": f"Basic {basic}"}))
        finally:
            stop_processes(master, [])
    finally:
        shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    main()
