#!/usr/bin/env python3
"""The web UI's pages and the event feed of one `gantry master` on SQLite, with a large configuration.

Usage: Benchmarks/web_ui.py [--builders 4000] [--builds 500] [--log-lines 1000000] [--repeat 5] [--window 1000]
                            [--clients 100] [--load 400] [--seconds 60] [--smoke]

Starts a master (the release build if there is one, else the debug build) with --builders builders (tagged
group-00 to group-39, a `true` step each), four native workers for them and one more that builds nothing (its
pauses are the feed's probes), and seeds it through its own paths: a force of the first --builds builders, run to
the end, and a builder printing --log-lines coloured lines. Then it measures, each request on a new connection, the
median of --repeat:

* the builders page: the first page, a later one, a search by name and a tag (and the API's builder list, for
  comparison): time to the first byte of the answer and to its end, and its size;
* the log viewer on the big log, at its start and with ?from= its middle, and its windows of --window lines through
  /api/v2/logs/{id}/contents at the start, middle and end; a search for a line near its end; the raw download;
* the event feed: --clients clients on /api/v2/events while --load builds run (for at most --seconds): events
  written and delivered per second (every client together), and the delay from a write to its delivery, probed
  by pausing the spare worker five times a second. The write commits before its answer, so commit to delivery
  lies between the delay counted from the answer and the one counted from sending the request; both are shown.

The clients run in this process, on the same machine as the master. It prints a table and asserts nothing about
the times; it exits 1 if a request was not answered 200 or no client got the feed. --smoke: 10 builders, 2 builds,
a 1,000-line log, 2 clients, one request each, a seconds-long check that it still works.
"""
import argparse, asyncio, http.client, itertools, json, os, re, shutil, socket, statistics, subprocess
import sys, tempfile, threading, time, urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gantry_process import ROOT, all_claimed, gantry, start_master, stop_processes  # noqa: E402

WORKERS = ["w1", "w2", "w3", "w4"]
PROBE = "probe"
NEEDLE = "needle"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def config(builders, worker_port, log_lines):
    workers = ", ".join(f"{{name: {name}, password: pass}}" for name in WORKERS + [PROBE])
    names = [f"builder-{number:04d}" for number in range(1, builders + 1)]
    lines = [
        "name: web-ui-bench", "http: 127.0.0.1:0", f'workerPort: {{address: "127.0.0.1:{worker_port}"}}',
        f"workers: [{workers}]", "builders:",
    ]
    for number, name in enumerate(names, start=1):
        lines.append(f"  - {{name: {name}, tags: [group-{number % 40:02d}], workers: [{', '.join(WORKERS)}]"
                     f", description: builder number {number}, steps: [{{name: noop, shell: [true]}}]}}")
    # The needle is split in the command, which the log's header echoes, so the search finds the output's line.
    lines += [
        "  - name: biglog", f"    workers: [{', '.join(WORKERS)}]", "    steps:", "      - name: print",
        "        shell: |",
        f"          awk -v lines={log_lines} 'BEGIN {{ n = \"nee\" \"dle\"; for (i = 1; i <= lines; i++)",
        "            if (i == int(lines * 0.9)) printf \"\\033[1;31m%s\\033[0m at %d\\n\", n, i",
        "            else printf \"\\033[36m%07d\\033[0m a line of the big log \\033[35m%d\\033[0m\\n\", i, i }'",
        "schedulers:",
        f"  - {{name: force, type: force, builderNames: [{', '.join(names)}]}}",
        "  - {name: force-biglog, type: force, builderNames: [biglog]}",
    ]
    return "\n".join(lines) + "\n"


def api(port, path, body=None):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    headers = {"Content-Type": "application/json"}
    connection.request("POST" if body is not None else "GET", path, json.dumps(body) if body is not None else None,
                       headers)
    answer = connection.getresponse()
    data = answer.read()
    connection.close()
    if answer.status != 200:
        sys.exit(f"{path} answered {answer.status}: {data[:500]!r}")
    return json.loads(data)


def call(port, path, method, **params):
    return api(port, path, {"jsonrpc": "2.0", "method": method, "id": 1, "params": params})["result"]


def wait(condition, what, limit=1800, every=0.1):
    end = time.monotonic() + limit
    while not condition():
        if time.monotonic() > end:
            sys.exit(f"timed out waiting for {what}")
        time.sleep(every)


def incomplete(port):
    return api(port, "/api/v2/buildrequests?complete=false&limit=1")["meta"]["total"]


def timed_get(port, path):
    """One GET on a new connection: status, seconds to the first byte of the answer and to its end, bytes."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    start = time.monotonic()
    connection.request("GET", path)
    answer = connection.getresponse()
    first = time.monotonic() - start
    size = 0
    while chunk := answer.read(1 << 16):
        size += len(chunk)
    total = time.monotonic() - start
    connection.close()
    return answer.status, first, total, size


def measure_get(port, path, repeat):
    runs = [timed_get(port, path) for _ in range(repeat)]
    statuses = sorted({run[0] for run in runs})
    return {
        "status": "/".join(map(str, statuses)),
        "first_ms": statistics.median(run[1] for run in runs) * 1000,
        "total_ms": statistics.median(run[2] for run in runs) * 1000,
        "bytes": statistics.median(run[3] for run in runs),
    }


class Feed:
    """What the feed's clients saw: events per client, and when each probe first reached each client."""

    def __init__(self):
        self.counts, self.arrivals, self.connected, self.failures = [], {}, 0, []
        self.first_id, self.last_id = None, None


async def client(port, feed, index, stop):
    """One EventSource-like client: reads the stream, counts its events and notes the probes' arrivals."""
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port, limit=1 << 22)
    except OSError as error:
        feed.failures.append(str(error))
        return
    writer.write(b"GET /api/v2/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n")
    await writer.drain()
    status = await reader.readline()
    headers = {}
    while (line := await reader.readline()) not in (b"\r\n", b""):
        key, _, value = line.decode().partition(":")
        headers[key.strip().lower()] = value.strip()
    if b" 200 " not in status:
        feed.failures.append(status.decode().strip())
        writer.close()
        return
    feed.connected += 1
    chunked = "chunked" in headers.get("transfer-encoding", "").lower()
    buffer = b""
    try:
        while not stop.is_set():
            if chunked:
                size = int((await reader.readline()).split(b";")[0] or b"0", 16)
                if size == 0:
                    break
                data = (await reader.readexactly(size + 2))[:-2]
            else:
                data = await reader.read(1 << 16)
                if not data:
                    break
            now = time.monotonic()
            buffer += data
            *blocks, buffer = buffer.split(b"\n\n")
            for block in blocks:
                if block.startswith(b":"):
                    continue
                feed.counts[index] += 1
                if index == 0:
                    match = re.search(rb"(?m)^id: ?(\d+)", block)
                    if match:
                        feed.first_id = feed.first_id or int(match[1])
                        feed.last_id = int(match[1])
                probe = re.search(rb"probe-(\d+)", block)
                if probe:  # the first event naming it: an unpause may still show the reason
                    feed.arrivals.setdefault(int(probe[1]), {}).setdefault(index, now)
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


def probe_loop(port, workerid, numbers, sent, stop):
    """Pauses the spare worker with a numbered reason (`numbers`, until `stop`) five times a second, unpausing it
    between, and records when each pause was sent and answered."""
    for number in numbers:
        if stop.is_set():
            return
        start = time.monotonic()
        call(port, f"/api/v2/workers/{workerid}", "pause", reason=f"probe-{number}")
        sent[number] = (start, time.monotonic())
        call(port, f"/api/v2/workers/{workerid}", "unpause")
        time.sleep(max(0.0, 0.2 - (time.monotonic() - start)))


async def feed_under_load(port, master_pid, clients, load, seconds):
    feed = Feed()
    feed.counts = [0] * clients
    stop = asyncio.Event()
    tasks = [asyncio.create_task(client(port, feed, index, stop)) for index in range(clients)]
    workerid = api(port, f"/api/v2/workers?name={PROBE}")["workers"][0]["workerid"]
    # Probes until each client has seen one: then every stream is open (a server may send its headers only with
    # the first event). Probes of this warm-up are not counted.
    numbers, deadline = itertools.count(), time.monotonic() + 30
    while time.monotonic() < deadline:
        await asyncio.to_thread(probe_loop, port, workerid, [next(numbers)], {}, threading.Event())
        reached = {index for arrivals in feed.arrivals.values() for index in arrivals}
        if len(reached) + len(feed.failures) >= clients:
            break
    if feed.connected == 0:
        stop.set()
        for task in tasks:
            task.cancel()
        return {"unavailable": feed.failures[0] if feed.failures else "no client connected"}
    feed.counts = [0] * clients
    feed.arrivals.clear()
    feed.first_id = None

    cpu_before = cpu_seconds(master_pid)
    start = time.monotonic()
    names = [f"builder-{n:04d}" for n in range(1, load + 1)]
    await asyncio.to_thread(call, port, "/api/v2/forceschedulers/force", "force", builderNames=names)
    sent, probes_stop = {}, threading.Event()
    prober = asyncio.create_task(
        asyncio.to_thread(probe_loop, port, workerid, numbers, sent, probes_stop))
    while time.monotonic() - start < seconds:
        await asyncio.sleep(0.5)
        if await asyncio.to_thread(incomplete, port) == 0:
            break
    probes_stop.set()
    await prober
    elapsed, cpu = time.monotonic() - start, cpu_seconds(master_pid) - cpu_before
    counts, written = list(feed.counts), (feed.last_id - feed.first_id + 1) if feed.first_id else 0
    await asyncio.sleep(1)  # the last probes' deliveries
    stop.set()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)

    from_send, from_answer = [], []
    for number, (sent_at, answered_at) in sent.items():
        for arrived in feed.arrivals.get(number, {}).values():
            from_send.append(arrived - sent_at)
            from_answer.append(arrived - answered_at)
    return {
        "clients": feed.connected, "seconds": elapsed, "written_per_s": written / elapsed,
        "delivered_per_s": sum(counts) / elapsed, "per_client_min": min(counts), "per_client_max": max(counts),
        "probe_deliveries": len(from_send), "expected_deliveries": len(sent) * feed.connected,
        "from_send": from_send, "from_answer": from_answer, "master_cpu": cpu / elapsed,
    }


def cpu_seconds(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))] if ordered else float("nan")


def print_feed(feed, load):
    if "unavailable" in feed:
        print(f"event feed: unavailable ({feed['unavailable']})")
        return
    print(f"event feed: {feed['clients']} clients for {feed['seconds']:.1f} s while {load} builds ran; "
          f"master CPU {feed['master_cpu'] * 100:.0f}%")
    print(f"  events written        {feed['written_per_s']:>10,.0f} /s")
    print(f"  events delivered      {feed['delivered_per_s']:>10,.0f} /s in total "
          f"(per client {feed['per_client_min']:,} to {feed['per_client_max']:,} events)")
    print(f"  probes delivered      {feed['probe_deliveries']:>10,} of {feed['expected_deliveries']:,}")
    for label, values in (("write sent → delivered", feed["from_send"]),
                          ("write answered → delivered", feed["from_answer"])):
        median = statistics.median(values) if values else float("nan")
        print(f"  {label:<27} median {median * 1000:7.1f} ms, p99 {percentile(values, 0.99) * 1000:7.1f} ms, "
              f"max {max(values, default=float('nan')) * 1000:7.1f} ms")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--builders", type=int, default=4000)
    parser.add_argument("--builds", type=int, default=500, help="builders given one build before measuring")
    parser.add_argument("--log-lines", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--window", type=int, default=1000, help="lines per log window")
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--load", type=int, default=400, help="builds forced while the feed is measured")
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--smoke", action="store_true", help="a seconds-long run that only checks it still works")
    args = parser.parse_args()
    if args.smoke:
        args.builders, args.builds, args.log_lines, args.repeat, args.window = 10, 2, 1000, 1, 100
        args.clients, args.load, args.seconds = 2, 2, 5
    binary = gantry()
    directory = tempfile.mkdtemp(prefix="gantry-web-ui-")
    worker_port = free_port()
    started = time.monotonic()
    master, port = start_master(directory, config(args.builders, worker_port, args.log_lines))
    workers = []
    try:
        print(f"master answering after {time.monotonic() - started:.1f} s with {args.builders} builders", flush=True)
        for name in WORKERS + [PROBE]:
            password = os.path.join(directory, f"{name}.pass")
            with open(password, "w") as f:
                f.write("pass\n")
            workers.append(subprocess.Popen(
                [binary, "worker", "--master", f"127.0.0.1:{worker_port}", "--name", name, "--password-file",
                 password, "--basedir", os.path.join(directory, name), "--exit-with-parent"],
                stdout=subprocess.DEVNULL, stderr=open(os.path.join(directory, f"{name}.log"), "w")))
        wait(lambda: sum(bool(w["connected_to"]) for w in api(port, "/api/v2/workers")["workers"]) == len(workers),
             "the workers to connect", limit=60)
        wait(lambda: all_claimed(api(port, "/api/v2/schedulers")["schedulers"]), "the schedulers",
             limit=60)

        started = time.monotonic()
        seeded = [f"builder-{n:04d}" for n in range(1, min(args.builds, args.builders) + 1)]
        if seeded:
            call(port, "/api/v2/forceschedulers/force", "force", builderNames=seeded)
        call(port, "/api/v2/forceschedulers/force-biglog", "force")
        wait(lambda: incomplete(port) == 0, "the seeding builds", every=0.5)
        print(f"seeded {len(seeded)} builds and a {args.log_lines:,}-line log in "
              f"{time.monotonic() - started:.1f} s", flush=True)
        biglog = api(port, "/api/v2/builders?name=biglog")["builders"][0]["builderid"]
        build = api(port, f"/api/v2/builds?builderid={biglog}")["builds"][0]
        step = api(port, f"/api/v2/builds/{build['buildid']}/steps")["steps"][0]
        log = api(port, f"/api/v2/steps/{step['stepid']}/logs")["logs"][0]
        logid, lines = log["logid"], log["num_lines"]
        middle, window = lines // 2, args.window
        matching = sum("builder-00" in f"builder-{n:04d}" for n in range(1, args.builders + 1))

        rows = [
            ("/builders, first page", "/builders"),
            ("/builders, page 20", "/builders?page=20"),
            ("/builders?q= one name", f"/builders?q=builder-{args.builders:04d}"),
            (f"/builders?q= {matching} names", "/builders?q=builder-00"),
            ("/builders?tag= one of 40", "/builders?tag=group-07"),
            ("/api/v2/builders (all)", "/api/v2/builders"),
            (f"/logs/{{id}}, {lines:,} lines", f"/logs/{logid}"),
            ("/logs/{id}?from= middle", f"/logs/{logid}?from={middle}"),
            (f"contents, {window} at start", f"/api/v2/logs/{logid}/contents?offset=0&limit={window}"),
            (f"contents, {window} in middle", f"/api/v2/logs/{logid}/contents?offset={middle}&limit={window}"),
            (f"contents, {window} at end",
             f"/api/v2/logs/{logid}/contents?offset={max(0, lines - window)}&limit={window}"),
            ("search, match at 90%", f"/api/v2/logs/{logid}/search?{urllib.parse.urlencode({'q': NEEDLE})}&from=-1"),
            ("raw download", f"/api/v2/logs/{logid}/raw"),
        ]
        results = [(label, measure_get(port, path, args.repeat if "raw" not in path else 1)) for label, path in rows]

        feed = asyncio.run(feed_under_load(port, master.pid, args.clients, min(args.load, args.builders),
                                           args.seconds))
    finally:
        stop_processes(master, workers, 60)
        shutil.rmtree(directory, ignore_errors=True)

    print(f"\n{os.path.relpath(binary, ROOT)}; SQLite; {args.builders} builders, {len(seeded)} seeded builds, "
          f"median of {args.repeat} requests on new connections")
    print(f"{'request':<30} {'status':>7} {'first byte':>11} {'total':>10} {'bytes':>12}")
    for label, result in results:
        print(f"{label:<30} {result['status']:>7} {result['first_ms']:>8.1f} ms {result['total_ms']:>7.1f} ms "
              f"{result['bytes']:>12,.0f}")
    print()
    print_feed(feed, min(args.load, args.builders))
    failed = [label for label, result in results if result["status"] != "200"]
    failed += ["the event feed"] if "unavailable" in feed else []
    if failed:
        sys.exit(f"failed: {', '.join(failed)}")


if __name__ == "__main__":
    main()
