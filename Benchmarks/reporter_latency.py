#!/usr/bin/env python3
"""Build finished -> commit status received, under a burst of builds, for the GitHub reporter of one master.

Usage: Benchmarks/reporter_latency.py [--builds 200] [--workers 4] [--database URL] [--smoke]

Starts a fake of GitHub's status endpoint (it records when each status arrives) and one `gantry master` (the release
build if there is one, else the debug build) with a local pool of native workers, a builder whose one step is `true`
(collapseRequests false, so each commit is one build), an anyBranch scheduler, and a `github` reporter pointed at
the fake (no rate limit). It sends the changes of --builds commits at once through the base hook, watches the builds
finish on the master's event stream (`builds/*/finished`, read as it arrives), and measures until the fake received
that commit's final status. It prints the median, p99 and maximum, the statuses received per build, and asserts
nothing; it exits 1 if a build's final status never arrived. --smoke: 4 builds on 2 workers, a seconds-long check
that it still works.
"""
import argparse, http.client, http.server, json, os, statistics, sys, tempfile, threading, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gantry_process import all_claimed, gantry, start_master, stop_processes  # noqa: E402

RECEIVED = {}  # sha -> [(state, description, monotonic time)]
LOCK = threading.Lock()


class FakeGitHub(http.server.BaseHTTPRequestHandler):
    """Answers `POST /repos/{owner}/{repo}/statuses/{sha}` as GitHub does (201), recording each status."""
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        sha = self.path.rsplit("/", 1)[-1]
        with LOCK:
            RECEIVED.setdefault(sha, []).append((body["state"], body["description"], time.monotonic()))
        answer = b'{"id": 1}'
        self.send_response(201)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args):
        pass


def api(port, path, body=None):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("POST" if body else "GET", path, json.dumps(body) if body else None,
                       {"Content-Type": "application/json"} if body else {})
    answer = connection.getresponse()
    data = json.loads(answer.read())
    connection.close()
    return data


def send(port, sha):
    """The change of commit `sha`, through the base hook."""
    api(port, "/change_hook/base", {"author": "bench", "revision": sha, "repository": "https://github.com/acme/app",
                                    "branch": "main"})


def requested(port):
    return api(port, "/api/v2/buildrequests?limit=0")["meta"]["total"] > 0


def watch_finished(port, finished, ready):
    """Records when each `builds/ID/finished` event arrives on the master's event stream."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=900)
    connection.request("GET", "/api/v2/events?path=builds/*/finished")
    answer = connection.getresponse()
    ready.set()
    while True:
        line = answer.fp.readline()
        if not line:
            return
        if line.startswith(b"event: builds/"):
            with LOCK:
                finished.setdefault(int(line.split(b"/")[1]), time.monotonic())


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--builds", type=int, default=200)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--database")
    parser.add_argument("--smoke", action="store_true", help="a seconds-long run that only checks it still works")
    args = parser.parse_args()
    if args.smoke:
        args.builds, args.workers = 4, 2
    fake = http.server.ThreadingHTTPServer(("127.0.0.1", 0), FakeGitHub)
    threading.Thread(target=fake.serve_forever, daemon=True).start()
    shas = [f"{n:040x}" for n in range(1, args.builds + 1)]
    with tempfile.TemporaryDirectory() as directory:
        os.environ["GANTRY_SECRET_github_token"] = "bench-token"
        master, port = start_master(directory, f"""name: reporter-bench
http: 127.0.0.1:0
publicURL: https://ci.example.com
changeHooks: {{base: {{}}}}
secrets: {{environmentPrefix: GANTRY_SECRET_}}
builders: [{{name: bench, collapseRequests: false, steps: [{{name: noop, shell: [true]}}]}}]
schedulers: [{{name: commits, type: anyBranch, builderNames: [bench]}}]
pools: [{{name: local, builders: [bench], maxWorkers: {args.workers}, idleTimeout: 60s}}]
reporters:
  - {{name: github, type: github, baseURL: "http://127.0.0.1:{fake.server_address[1]}", tokenSecret: github_token,
     maxPerMinute: 100000}}
""", args.database)
        try:
            deadline = time.monotonic() + 60
            while not all_claimed(api(port, "/api/v2/schedulers")["schedulers"]):
                if time.monotonic() > deadline:
                    sys.exit("the scheduler never ran")
                time.sleep(0.1)
            finished = {}  # build id -> monotonic time its finished event arrived
            ready = threading.Event()
            threading.Thread(target=watch_finished, args=(port, finished, ready), daemon=True).start()
            ready.wait(30)
            started = time.monotonic()
            # The scheduler reads only the changes after the newest there was when it first ran, a moment after it
            # shows as claimed: the first commit is sent again until it makes a request, then the others at once.
            while not requested(port):
                send(port, shas[0])
                deadline = time.monotonic() + 5
                while not requested(port) and time.monotonic() < deadline:
                    time.sleep(0.01)
            for sha in shas[1:]:
                send(port, sha)
            deadline = time.monotonic() + 600
            while time.monotonic() < deadline:
                with LOCK:
                    if len(finished) >= args.builds:
                        break
                time.sleep(0.05)
            burst = time.monotonic() - started
            # Each build's commit: its request's buildset's source stamp.
            revision_of = {}
            for build in api(port, "/api/v2/builds?limit=100000")["builds"]:
                request = api(port, f"/api/v2/buildrequests/{build['buildrequestid']}")["buildrequests"][0]
                buildset = api(port, f"/api/v2/buildsets/{request['buildsetid']}")["buildsets"][0]
                revision_of[build["buildid"]] = buildset["sourcestamps"][0]["revision"]
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                with LOCK:
                    done = sum(1 for sha in shas if any(s[0] != "pending" for s in RECEIVED.get(sha, [])))
                if done == args.builds:
                    break
                time.sleep(0.05)
            latencies = []
            with LOCK:
                for build, seen in finished.items():
                    final = [t for state, _, t in RECEIVED.get(revision_of[build], []) if state != "pending"]
                    if final:
                        latencies.append(max(0.0, final[-1] - seen))
                statuses = sum(len(v) for v in RECEIVED.values())
            ordered = sorted(latencies)
            print(f"{args.builds} builds on {args.workers} native workers in {burst:.1f} s "
                  f"({args.builds / burst:.1f} builds/s); {statuses} statuses received "
                  f"({statuses / args.builds:.2f} per build; pending ones superseded while queued are not sent)")
            print(f"build finished -> final status received: median {statistics.median(ordered) * 1000:.0f} ms, "
                  f"p99 {ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000:.0f} ms, "
                  f"max {ordered[-1] * 1000:.0f} ms ({len(ordered)} builds)")
            if len(ordered) < args.builds:
                sys.exit(f"{args.builds - len(ordered)} build(s) without a final status")
        finally:
            stop_processes(master, [])
            fake.shutdown()


if __name__ == "__main__":
    main()
