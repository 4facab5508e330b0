#!/usr/bin/env python3
"""Database bytes per log line: a build's stdio stored raw, as appended, and once its log is finished and settled.

Usage: Benchmarks/log_bytes.py [--lines 200000] [--storage database|files] [--smoke]
Starts a master on a fresh SQLite file with a local pool of one native worker, forces one build whose step prints
LINES lines of typical build output (compiler progress, warnings, test results, link steps; the same on every run),
and reads the database file directly. It copies the database once every line has arrived but before the step ends
(the log as appended) and again once the log is settled (its chunks merged, or with `--storage files` moved into a
file), and makes a third copy of the first with every chunk stored raw (`compressed = 0`), as Gantry stored logs
before compression. For each it prints the chunks, the bytes of chunk content per line and the bytes of the whole
file per line after VACUUM (and the log file's bytes per line), and it checks that the settled log holds the same
lines, byte for byte. It also prints how long the log took to settle after the build ended. --smoke: 1,000 lines,
a seconds-long check that it still works.
"""
import argparse, json, os, shutil, sqlite3, struct, sys, tempfile, time, urllib.request, zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gantry_process import ROOT, all_claimed, gantry, start_master  # noqa: E402

END = "LOG-BYTES-BENCHMARK-END"

# The step's command: deterministic build output, then the end marker, then a pause long enough for the worker's
# last update (sent at most 5 s after its output) and for the copy taken before the step ends (12 s; 7 s for the
# small copy of --smoke).
GENERATOR = r'''
import random, sys
count = int(sys.argv[1])
r = random.Random(1)
modules = ["core", "net", "storage", "api", "ui", "sched", "wire", "config"]
out = sys.stdout
for i in range(count):
    k = r.random(); m = r.choice(modules); f = r.randrange(400)
    if k < 0.45:
        line = f"[{100 * i // count:3d}%] Building CXX object src/{m}/CMakeFiles/{m}.dir/{m}_{f}.cpp.o"
    elif k < 0.55:
        line = (f"/home/build/worker/src/{m}/{m}_{f}.cpp:{r.randrange(1, 2000)}:{r.randrange(1, 80)}: "
                f"warning: unused variable 'tmp{r.randrange(50)}' [-Wunused-variable]")
    elif k < 0.85:
        line = (f"Test Case '-[{m.capitalize()}Tests.{m.capitalize()}Suite test_{m}_{f}_{r.randrange(100)}]' "
                f"passed ({r.randrange(1, 999) / 1000:.3f} seconds).")
    else:
        line = f"[{i}/{count}] Linking CXX executable bin/{m}_tool_{f}"
    out.write(line + "\n")
out.write("''' + END + r'''\n")
out.flush()
'''


def api(base, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    with urllib.request.urlopen(urllib.request.Request(base + path, data=data), timeout=30) as answer:
        return json.loads(answer.read())


def wait(condition, limit, what):
    end = time.monotonic() + limit
    while time.monotonic() < end:
        if condition():
            return
        time.sleep(0.1)
    sys.exit(f"gave up waiting for {what}")


def text(content, compressed):
    return zlib.decompress(content) if compressed == 1 else content


def query(path, sql, *args):
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
    try:
        return connection.execute(sql, args).fetchall()
    finally:
        connection.close()


def the_log(path):
    rows = query(path, "SELECT id, num_lines, complete FROM logs WHERE name = 'stdio'")
    return rows[0] if rows else None


def last_line_arrived(path):
    log = the_log(path)
    if not log:
        return False
    rows = query(path, "SELECT content, compressed FROM logchunks WHERE logid = ? ORDER BY first_line DESC LIMIT 1",
                 log[0])
    return bool(rows) and END.encode() in text(*rows[0])


def build_finished(path):
    log = the_log(path)
    return bool(log and log[2]) and query(path, "SELECT COUNT(*) FROM builds WHERE complete_at IS NOT NULL")[0][0] == 1


def log_settled(path):
    log = the_log(path)
    return bool(log) and query(path, "SELECT compacted FROM logs WHERE id = ?", log[0])[0][0] == 1


def archive_lines(path):
    """The lines of a log file: its chunks as the index at its end locates them."""
    with open(path, "rb") as f:
        data = f.read()
    index, count = struct.unpack(">qq", data[-26:-10])
    lines = []
    for n in range(count):
        first, last, offset, length, codec = struct.unpack(">qqqqB", data[index + 33 * n:index + 33 * (n + 1)])
        lines.append(text(data[offset:offset + length], codec))
    return b"\n".join(lines)


def copy(source, destination):
    """A consistent copy of the live database."""
    live = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
    target = sqlite3.connect(destination)
    live.backup(target)
    target.close()
    live.close()


def measure(path, label, logid):
    connection = sqlite3.connect(path)
    connection.execute("VACUUM")
    num_lines = connection.execute("SELECT num_lines FROM logs WHERE id = ?", (logid,)).fetchone()[0]
    chunks, stored, compressed = (value or 0 for value in connection.execute(
        "SELECT COUNT(*), SUM(LENGTH(content)), SUM(compressed = 1) FROM logchunks WHERE logid = ?",
        (logid,)).fetchone())
    pages = connection.execute("PRAGMA page_count").fetchone()[0] * connection.execute("PRAGMA page_size").fetchone()[0]
    lines = b"\n".join(text(content, method) for content, method in connection.execute(
        "SELECT content, compressed FROM logchunks WHERE logid = ? ORDER BY first_line", (logid,)))
    connection.close()
    print(f"{label:<34} {chunks:>7} chunks ({compressed} compressed) {stored / num_lines:8.2f} B/line content"
          f" {pages / num_lines:8.2f} B/line file ({pages / 1e6:.1f} MB)")
    return lines


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=int, default=200_000)
    parser.add_argument("--storage", choices=["database", "files"], default="database")
    parser.add_argument("--smoke", action="store_true", help="a seconds-long run that only checks it still works")
    args = parser.parse_args()
    if args.smoke:
        args.lines = 1000
    directory = tempfile.mkdtemp(prefix="gantry-log-bytes-")
    database = os.path.join(directory, "gantry.sqlite")
    files = os.path.join(directory, "logs")
    os.mkdir(files)
    storage = f"logStorage: {{type: files, directory: {files}}}" if args.storage == "files" else ""
    generator = os.path.join(directory, "output.py")
    with open(generator, "w") as f:
        f.write(GENERATOR)
    master, http = start_master(directory, f"""http: 127.0.0.1:0
workerPort: {{address: "127.0.0.1:0"}}
builders:
  - {{name: b1, steps: [{{name: build, shell: "python3 {generator} {args.lines}; sleep {7 if args.smoke else 12}"}}]}}
schedulers:
  - {{name: force, type: force, builderNames: [b1]}}
pools: [{{name: p, builders: [b1], maxWorkers: 1}}]
{storage}
""", f"sqlite:{database}")
    base = f"http://127.0.0.1:{http}"
    try:
        wait(lambda: all_claimed(api(base, "/api/v2/schedulers")["schedulers"]), 60, "the scheduler")
        api(base, "/api/v2/forceschedulers/force", {"jsonrpc": "2.0", "method": "force", "id": 1})
        wait(lambda: last_line_arrived(database), 600, "the step's output")
        appended = os.path.join(directory, "appended.sqlite")
        copy(database, appended)
        wait(lambda: build_finished(database), 300, "the build to finish")
        ended = time.monotonic()
        wait(lambda: log_settled(database), 300, "the log to settle")
        settled_after = time.monotonic() - ended
        finished = os.path.join(directory, "finished.sqlite")
        copy(database, finished)
    finally:
        master.terminate()
        master.wait(timeout=60)
    raw = os.path.join(directory, "raw.sqlite")
    shutil.copy(appended, raw)
    connection = sqlite3.connect(raw)
    for rowid, content in connection.execute("SELECT rowid, content FROM logchunks WHERE compressed = 1").fetchall():
        connection.execute("UPDATE logchunks SET content = ?, compressed = 0 WHERE rowid = ?",
                           (zlib.decompress(content), rowid))
    connection.commit()
    connection.close()

    logid, num_lines, _ = the_log(finished)
    print(f"{os.path.relpath(gantry(), ROOT)}; SQLite; one stdio log of {num_lines} lines "
          f"({args.lines} of build output)")
    before = measure(raw, "before: raw chunks as appended", logid)
    measure(appended, "as appended, compressed", logid)
    after = measure(finished, f"after: settled ({args.storage})", logid)
    if args.storage == "files":
        archive = query(finished, "SELECT archive FROM logs WHERE id = ?", logid)[0][0]
        after = archive_lines(archive)
        print(f"{'the log file':<34} {os.path.getsize(archive) / num_lines:8.2f} B/line")
    print(f"settled {settled_after:.1f} s after the build ended")
    # The finished log also holds the lines the master wrote after the copy (the command's end).
    same = after[:len(before)] == before
    print(f"lines identical once settled: {'yes' if same else 'NO'}; text {len(before) / num_lines:.2f} B/line")
    shutil.rmtree(directory)
    if not same:
        sys.exit(1)


if __name__ == "__main__":
    main()
