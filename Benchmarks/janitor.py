#!/usr/bin/env python3
"""The retention janitor's time on a database of finished builds.

Usage: Benchmarks/janitor.py [--database URL] [--builds 100000] [--smoke]
Creates the schema with `gantry upgrade-master`, then fills it in bulk with SQL: --builds finished builds, finished
between 40 and 400 days ago, each with its buildset (a property, a source stamp), its claimed request, two
properties and two steps, each step with a stdio log of three chunks of five lines; and a change with two files and
a property for every tenth build. Then it runs `gantry cleanupdb` three times and prints what each deleted and how
long its pass took (and the compaction, on SQLite): with --logs 7d (every log emptied), with --builds 30d
(everything deleted), and once more (nothing left to do). The database defaults to a fresh SQLite file; for
PostgreSQL give an empty schema (postgres://...?schema=NAME), which psql fills. --smoke: 20 builds, a seconds-long
check that it still works.
"""
import argparse, os, re, sqlite3, subprocess, sys, tempfile, time
from urllib.parse import parse_qs, urlsplit, urlunsplit

from gantry_process import gantry

DAY = 86_400
LINE = "x" * 59


def fill_statements(builds, now, postgres):
    """The SQL that fills an empty schema with `builds` finished builds and everything that hangs on them."""
    text = "\n".join(f"{LINE} {n}" for n in range(5))
    content = f"convert_to('{text}', 'UTF8')" if postgres else f"CAST('{text}' AS BLOB)"
    changes = max(builds // 10, 1)
    # Build i finished between 40 and 400 days ago, oldest first; its change is the one of its tenth.
    finished = f"({now - 400 * DAY} + i * {360 * DAY // builds})"
    numbers = "n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {})"
    each = "WITH RECURSIVE " + numbers.format(builds) + " "
    each_change = "WITH RECURSIVE " + numbers.format(changes) + " "
    per = lambda count: f", k(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM k WHERE k < {count}) "
    return [
        "INSERT INTO masters (id, name, name_hash, active, last_active) VALUES (1, 'bench', 'bench', FALSE, 0)",
        "INSERT INTO builders (id, name, name_hash) VALUES (1, 'bench', 'bench')",
        each_change + "INSERT INTO sourcestamps (id, ss_hash, branch, revision, created_at) "
        f"SELECT i, 'bench' || i, 'main', 'r' || i, {now - 400 * DAY} FROM n",
        each_change + "INSERT INTO changes (changeid, author, comments, branch, revision, when_timestamp, "
        f"sourcestampid) SELECT i, 'bench', 'change ' || i, 'main', 'r' || i, {now - 400 * DAY} + i, i FROM n",
        each_change + per(2) + "INSERT INTO change_files (changeid, filename) "
        "SELECT i, 'src/file' || k || '.c' FROM n, k",
        each_change + "INSERT INTO change_properties (changeid, property_name, property_value) "
        "SELECT i, 'ci', '[\"yes\", \"Change\"]' FROM n",
        each + "INSERT INTO buildsets (id, reason, submitted_at, complete, complete_at, results) "
        f"SELECT i, 'bench', {finished} - 60, TRUE, {finished}, 0 FROM n",
        each + "INSERT INTO buildset_properties (buildsetid, property_name, property_value) "
        "SELECT i, 'reason', '[\"bench\", \"Scheduler\"]' FROM n",
        each + "INSERT INTO buildset_sourcestamps (buildsetid, sourcestampid) "
        f"SELECT i, (i - 1) % {changes} + 1 FROM n",
        each + "INSERT INTO buildrequests (id, buildsetid, builderid, complete, results, submitted_at, complete_at) "
        f"SELECT i, i, 1, TRUE, 0, {finished} - 60, {finished} FROM n",
        each + "INSERT INTO buildrequest_claims (brid, masterid, claimed_at) "
        f"SELECT i, 1, {finished} - 60 FROM n",
        each + "INSERT INTO builds (id, number, builderid, buildrequestid, masterid, started_at, complete_at, "
        f"state_string, results) SELECT i, i, 1, i, 1, {finished} - 60, {finished}, 'finished', 0 FROM n",
        each + per(2) + "INSERT INTO build_properties (buildid, name, value, source) "
        "SELECT i, 'p' || k, '\"value\"', 'bench' FROM n, k",
        each + per(2) + "INSERT INTO steps (id, number, name, buildid, started_at, complete_at, results) "
        f"SELECT (i - 1) * 2 + k, k - 1, 'step' || k, i, {finished} - 60, {finished}, 0 FROM n, k",
        each + per(2) + "INSERT INTO logs (id, name, slug, stepid, complete, num_lines, type) "
        "SELECT (i - 1) * 2 + k, 'stdio', 'stdio', (i - 1) * 2 + k, TRUE, 15, 's' FROM n, k",
        # Two logs of three chunks each: k - 1 counts the build's six chunks.
        each + per(6) + "INSERT INTO logchunks (logid, first_line, last_line, content) "
        f"SELECT (i - 1) * 2 + (k - 1) / 3 + 1, ((k - 1) % 3) * 5, ((k - 1) % 3) * 5 + 4, {content} FROM n, k",
    ]


def fill(url, statements):
    """Runs `statements` in one transaction on the database at `url` (SQLite directly, PostgreSQL through psql)."""
    if url.startswith("sqlite:"):
        connection = sqlite3.connect(url[len("sqlite:"):])
        with connection:
            for statement in statements:
                connection.execute(statement)
        connection.close()
        return
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    environment = dict(os.environ)
    if "schema" in query:
        environment["PGOPTIONS"] = f"-c search_path={query['schema'][0]}"
    target = urlunsplit(("postgresql", parts.netloc, parts.path,
                         f"sslmode={query['sslmode'][0]}" if "sslmode" in query else "", ""))
    script = "BEGIN;\n" + ";\n".join(statements) + ";\nCOMMIT;\n"
    subprocess.run(["psql", "--quiet", "--set", "ON_ERROR_STOP=1", target], input=script.encode(), check=True,
                   env=environment, stdout=subprocess.DEVNULL)


def cleanup(url, *options):
    """Runs `gantry cleanupdb`; returns its output and the seconds its pass took."""
    done = subprocess.run([gantry(), "cleanupdb", "--db", url, *options], capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"cleanupdb failed:\n{done.stderr}")
    return done.stdout, float(re.search(r"the pass took ([0-9.]+) s", done.stdout).group(1))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database")
    parser.add_argument("--builds", type=int, default=100_000)
    parser.add_argument("--smoke", action="store_true", help="a seconds-long run that only checks it still works")
    args = parser.parse_args()
    if args.smoke:
        args.builds = 20
    with tempfile.TemporaryDirectory() as directory:
        url = args.database or f"sqlite:{directory}/janitor.sqlite"
        subprocess.run([gantry(), "upgrade-master", "--db", url], check=True, stdout=subprocess.DEVNULL)
        start = time.monotonic()
        fill(url, fill_statements(args.builds, int(time.time()), not url.startswith("sqlite:")))
        print(f"{args.builds} finished builds stored in {time.monotonic() - start:.1f} s")
        if url.startswith("sqlite:"):
            print(f"database file: {os.path.getsize(url[len('sqlite:'):]) / 2**20:.0f} MiB")
        for title, options in [("logs older than 7 days", ["--logs", "7d"]),
                               ("builds older than 30 days", ["--builds", "30d"]),
                               ("nothing left", ["--builds", "30d"])]:
            output, seconds = cleanup(url, *options)
            print(f"\n== {title}: pass {seconds:.1f} s\n{output}", end="")
        if url.startswith("sqlite:"):
            print(f"\ndatabase file: {os.path.getsize(url[len('sqlite:'):]) / 2**20:.1f} MiB")


if __name__ == "__main__":
    main()
