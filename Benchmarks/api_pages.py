#!/usr/bin/env python3
"""The master's start with N pending build requests, and the data API's pages of builds and requests over a long
history.

A master on a new SQLite database (one builder `b` on worker `w1`, a force scheduler) forces one request, so its
master, builder, worker and scheduler rows exist, and stops. The file is then filled in bulk with Python's sqlite3:
--builds finished builds (each with its complete buildset, its complete request and that request's claim) and
--pending pending requests (each with its buildset, unclaimed). The master is started again on it, with no worker
connected so the requests stay pending, and timed until /api/v2/builders answers (`start_s`) and until its force
scheduler is claimed again, that is, until its services have started (`ready_s`). Then each page (the newest and a
deep page of builds, a builder's builds, the pending and all requests, one build, the buildsets) is fetched --rounds
times after one warm-up, each time on a new connection; the median and p90 are printed, and one JSON line. The
fill's time is printed too but is not a result.

Target (the issue): start with 100,000 pending in <= 2 s, and each page in <= 50 ms over 1,000,000 builds.
"""
import argparse, json, os, shutil, sqlite3, statistics, sys, tempfile, time
import urllib.error

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gantry_process import all_claimed, start_master, stop_processes  # noqa: E402
from versus_buildbot import api, wait  # noqa: E402

CONFIG = """http: 127.0.0.1:0
workerPort: {address: "127.0.0.1:0"}
workers: [{name: w1, password: pass}]
builders:
  - {name: b, workers: [w1], steps: [{name: true, shell: [true]}]}
schedulers:
  - {name: force, type: force, builderNames: [b]}
"""


def fill(path, builds, pending):
    """Adds the finished builds and the pending requests next to the one request the master wrote; returns the id
    of the build in the middle."""
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA foreign_keys = ON")
    db.execute("PRAGMA synchronous = OFF")
    one = lambda query: db.execute(query).fetchone()[0]
    masterid, builderid = one("SELECT id FROM masters"), one("SELECT id FROM builders WHERE name = 'b'")
    workerid = one("SELECT id FROM workers WHERE name = 'w1'")
    # The forced request's origin and scheduler: the ones the master gives every request of this scheduler.
    origin, schedulerid = db.execute("SELECT origin, schedulerid FROM buildrequests JOIN buildsets "
                                     "ON buildsets.id = buildrequests.buildsetid").fetchone()
    bs, br, bd = (one(f"SELECT COALESCE(MAX(id), 0) FROM {t}") for t in ("buildsets", "buildrequests", "builds"))
    number = one(f"SELECT last_build_number FROM builders WHERE id = {builderid}")
    now = int(time.time())
    ago = lambda i: now - builds + i  # build i finished i seconds after the oldest, the newest a second ago
    db.execute("BEGIN")
    db.executemany("INSERT INTO buildsets (id, reason, submitted_at, complete, complete_at, results, schedulerid) "
                   "VALUES (?, 'bench', ?, 1, ?, 0, ?)",
                   ((bs + i, ago(i) - 60, ago(i), schedulerid) for i in range(1, builds + 1)))
    db.executemany("INSERT INTO buildrequests (id, buildsetid, builderid, complete, results, submitted_at, "
                   "complete_at, origin) VALUES (?, ?, ?, 1, 0, ?, ?, ?)",
                   ((br + i, bs + i, builderid, ago(i) - 60, ago(i), origin) for i in range(1, builds + 1)))
    # A finished request keeps the claim of the master that built it, as the master leaves it.
    db.executemany("INSERT INTO buildrequest_claims (brid, masterid, claimed_at) VALUES (?, ?, ?)",
                   ((br + i, masterid, ago(i) - 60) for i in range(1, builds + 1)))
    db.executemany("INSERT INTO builds (id, number, builderid, buildrequestid, workerid, masterid, started_at, "
                   "complete_at, state_string, results) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'finished', 0)",
                   ((bd + i, number + i, builderid, br + i, workerid, masterid, ago(i) - 60, ago(i))
                    for i in range(1, builds + 1)))
    db.execute("UPDATE builders SET last_build_number = ? WHERE id = ?", (number + builds, builderid))
    bs, br = bs + builds, br + builds
    db.executemany("INSERT INTO buildsets (id, reason, submitted_at, schedulerid) VALUES (?, 'bench', ?, ?)",
                   ((bs + i, now, schedulerid) for i in range(1, pending + 1)))
    db.executemany("INSERT INTO buildrequests (id, buildsetid, builderid, submitted_at, origin) "
                   "VALUES (?, ?, ?, ?, ?)", ((br + i, bs + i, builderid, now, origin) for i in range(1, pending + 1)))
    db.execute("COMMIT")
    db.close()
    return bd + builds // 2


def scheduler_claimed(base):
    return all_claimed(api(base, "/api/v2/schedulers")["schedulers"])


def percentile90(values):
    return sorted(values)[max(int(len(values) * 0.9) - 1, 0)]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--builds", type=int, default=1_000_000)
    parser.add_argument("--pending", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=20, help="timed fetches of each page")
    parser.add_argument("--smoke", action="store_true", help="a seconds-long run that only checks it still works")
    args = parser.parse_args()
    if args.smoke:
        args.builds, args.pending, args.rounds = 2000, 200, 3
    directory = tempfile.mkdtemp(prefix="gantry-pages-")
    path = os.path.join(directory, "state.sqlite")
    master = None
    try:
        master, http = start_master(directory, CONFIG, f"sqlite:{path}")
        base = f"http://127.0.0.1:{http}"
        if not wait(lambda: scheduler_claimed(base)):
            sys.exit("the force scheduler was not claimed")
        api(base, "/api/v2/forceschedulers/force", {"jsonrpc": "2.0", "method": "force", "id": 1})
        stop_processes(master, [])
        master = None

        begin = time.monotonic()
        middle = fill(path, args.builds, args.pending)
        print(f"fill: {args.builds} builds, {args.pending} pending in {time.monotonic() - begin:.1f} s "
              f"({os.path.getsize(path) / 2**20:.0f} MiB)", flush=True)

        begin = time.monotonic()
        master, http = start_master(directory, CONFIG, f"sqlite:{path}")
        base = f"http://127.0.0.1:{http}"
        if not wait(lambda: api(base, "/api/v2/builders") is not None, every=0.005):
            sys.exit(f"the master did not answer:\n{open(os.path.join(directory, 'master.log')).read()}")
        start = time.monotonic() - begin
        # The API answers before the master has cleaned up after its previous run and started its services; the
        # force scheduler claimed again says it has, and the pages are timed only then.
        if not wait(lambda: scheduler_claimed(base), limit=600):
            sys.exit("the restarted master did not claim its force scheduler")
        ready = time.monotonic() - begin
        pending = args.pending + 1  # and the forced one
        waiting = api(base, "/api/v2/buildrequests?complete=false&limit=1")["meta"]["total"]
        print(f"start with {waiting} pending: API answers after {start:.2f} s, services started after {ready:.2f} s",
              flush=True)

        builderid = next(b["builderid"] for b in api(base, "/api/v2/builders")["builders"] if b["name"] == "b")
        # Each page with the key of its items and how many it should hold.
        pages = [("/api/v2/builds?limit=50&order=-buildid", "builds", 50),
                 (f"/api/v2/builds?limit=50&offset={args.builds // 2}&order=-buildid", "builds", 50),
                 (f"/api/v2/builders/{builderid}/builds?limit=50&order=-number", "builds", 50),
                 ("/api/v2/buildrequests?complete=false&limit=50&order=-buildrequestid", "buildrequests", 50),
                 ("/api/v2/buildrequests?limit=50&order=-buildrequestid", "buildrequests", 50),
                 (f"/api/v2/builds/{middle}", "builds", 1),
                 ("/api/v2/buildsets?limit=50&order=-bsid", "buildsets", 50)]
        timings, failures = {}, []
        for page, key, count in pages:
            try:
                answer = api(base, page)
                if len(answer[key]) != count:
                    raise ValueError(f"{len(answer[key])} {key}, not {count}")
                times = []
                for _ in range(args.rounds):
                    begin = time.monotonic()
                    api(base, page)
                    times.append((time.monotonic() - begin) * 1000)
                timings[page] = {"median_ms": round(statistics.median(times), 2),
                                 "p90_ms": round(percentile90(times), 2)}
            except (urllib.error.HTTPError, ValueError) as error:
                detail = error.read().decode()[:300] if isinstance(error, urllib.error.HTTPError) else ""
                failures.append(f"{page}: {error} {detail}")

        print(f"\n{'page':72} {'median ms':>10} {'p90 ms':>8}")
        for page, timing in timings.items():
            print(f"{page:72} {timing['median_ms']:10.2f} {timing['p90_ms']:8.2f}")
        print(json.dumps({"builds": args.builds, "pending": waiting, "start_s": round(start, 2),
                          "ready_s": round(ready, 2), "pages": timings}))
        if waiting != pending:
            failures.append(f"{waiting} requests pending, not {pending}")
        if failures:
            sys.exit("failed:\n" + "\n".join(failures))
    finally:
        if master:
            stop_processes(master, [])
        shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    main()
