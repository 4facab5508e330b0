#!/usr/bin/env python3
"""Many workers on one master (or a cluster): one Python process (asyncio) holds N worker-protocol connections to
a `gantry master`, each answering as a buildbot-worker 4.3 does over msgpack_experimental_v7 and running every
command at once (rc 0, no process spawned), so what shows is the master's own cost per connected worker and build.

The master runs on SQLite (or PostgreSQL: --database URL) with workers sw00001..swNNNNN, one builder on all of
them with a `true` step, and a force scheduler. Measured through its HTTP API and /proc:

* RSS with no worker connected, after all N attached, and the KiB each connected worker adds;
* attach time: from the first connection until /api/v2/workers shows all N connected;
* idle CPU (user + system) over --idle-seconds with all connected (keepalives only), as % of one core;
* throughput: --builds requests forced by 8 clients at once, until none is incomplete: builds/s and master CPU
  ms per build (and the swarm's own, to tell when the generator was the limit);
* request-to-start latency, median and p99, after that: --latency-samples requests forced one at a time, each
  timed from the force answer until /api/v2/builds?buildrequestid=ID (polled every 2 ms) shows its build, and let
  finish before the next. (In the throughput burst a request waits for those before it: that wait is builds/s.)

--masters N (N > 1 needs a PostgreSQL --database) starts N masters on the one database, each named mK with
ports of its own and the same workers, builder and scheduler; worker k connects to master k mod N, all builds are
forced through the first master, and any master with a free worker starts them. RSS is then per master (_mK), idle
CPU and CPU per build are summed over the masters, and builds_mK counts the builds each started. A PostgreSQL URL
without `schema=` gets a new schema, created and dropped with psql; one with `schema=` must name an empty schema.

Prints one JSON line, then a table; exits 1 if anything failed (not all attached, builds not done in time or not
successful, a dropped connection, a refused message). --smoke: 20 workers, 20 builds, 2 idle seconds, for CI
(with --masters 2 --database URL, a seconds-long cluster run).

Needs Python 3.11+ with the PyPI packages `websockets` (14 or later) and `msgpack` (the buildbot-worker venv
plus `pip install websockets` will do), and a built gantry (the release build if there is one).
"""
import argparse, asyncio, base64, collections, concurrent.futures, io, itertools, json, math, multiprocessing, os
import random, re
import resource, shlex, shutil, statistics, subprocess, sys, tarfile, tempfile, time, urllib.parse

try:
    import msgpack, websockets
except ImportError as missing:
    sys.exit(f"{missing}: this needs the PyPI packages websockets and msgpack (pip install websockets msgpack)")

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gantry_process import ROOT, gantry, http_port, stop_processes  # noqa: E402
from versus_buildbot import api, cpu_seconds, incomplete, rss_kib  # noqa: E402

PASSWORD = "swarm-password"
AGENT = "AutobahnPython/26.10.2"  # the real worker's WebSocket client
ENVIRON = {"HOME": "/tmp", "LANG": "C.UTF-8", "PATH": "/usr/local/bin:/usr/bin:/bin"}
COMMANDS = ["shell", "uploadFile", "upload_file", "uploadDirectory", "upload_directory", "downloadFile",
            "download_file", "mkdir", "rmdir", "cpdir", "stat", "glob", "listdir", "rmfile"]
ALIASES = {"uploadFile": "upload_file", "uploadDirectory": "upload_directory", "downloadFile": "download_file"}


def empty_directory_tar():
    """What the worker uploads for an empty directory: a PAX tar whose one member is the root, named ''."""
    buffer, root = io.BytesIO(), tarfile.TarInfo("")
    root.type, root.mode, root.mtime = tarfile.DIRTYPE, 0o755, int(time.time())
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as archive:
        archive.addfile(root)
    return buffer.getvalue()


def lines(text, now):
    """The worker's line triple: text, the index of each newline, the time each line arrived."""
    offsets = [i for i, c in enumerate(text) if c == "\n"]
    return [text, offsets, [now] * len(offsets)]


def process_header(argv, workdir, timeout=None, max_time=None, env=None):
    """The header the worker writes before it runs a process: `argv` is a list, or a text for /bin/sh."""
    text, shown = (shlex.join(argv), [w.encode() for w in argv]) if isinstance(argv, list) else (argv, argv.encode())
    header = (f"{text}\n in dir {workdir}" + (f" (timeout {timeout} secs)" if timeout else "")
              + (f" (maxTime {max_time} secs)" if max_time else "") + f"\n watching logfiles {{}}\n argv: {shown!r}\n")
    if env is not None:
        header += " environment:\n" + "".join(f"  {k}={v}\n" for k, v in sorted(env.items()))
    return header + " using PTY: False\n"


def command_updates(name, args, basedir, started):
    """The `update` entries the worker sends for command `name` when it succeeds (at once, here)."""
    now = time.time()
    elapsed, done = now - started, f"elapsedTime={now - started:.6f}\n"
    if name == "shell":
        env = None
        if args.get("logEnviron", True):
            extra = {k: v for k, v in (args.get("env") or {}).items() if isinstance(v, str)}
            env = {**ENVIRON, **extra, "PWD": args.get("workdir")}
        header = process_header(args.get("command", ""), args.get("workdir"), args.get("timeout"),
                                args.get("maxTime"), env)
        return [["header", lines(header, now)], ["rc", 0], ["header", lines(done, now)], ["elapsed", elapsed]]
    if name in ("rmdir", "cpdir"):  # processes: rm -rf per path, or one cp
        runs = ([["rm", "-rf", p] for p in args.get("paths") or []] if name == "rmdir"
                else [["cp", "-R", "-P", "-p", "-v", args.get("from_path", ""), args.get("to_path", "")]])
        header = "".join(process_header(run, basedir, 120) + done for run in runs)
        return [["header", lines(header, now)], ["rc", 0], ["elapsed", elapsed]]
    found = {"listdir": [["files", []]], "glob": [["files", []]],  # stat: a directory
             "stat": [["stat", [0o40755, 1, 1, 2, 0, 0, 4096, int(now), int(now), int(now)]]]}
    return found.get(name, []) + [["rc", 0], ["elapsed", elapsed]]


class Swarm:
    """N simulated workers in this event loop: one WebSocket and one coroutine each, worker k on master k mod M."""

    def __init__(self, urls, concurrency):
        self.urls, self.gate = urls, asyncio.Semaphore(concurrency)  # the gate bounds handshakes in flight
        self.counts, self.stopping, self.tasks, self.tar = collections.Counter(), False, [], empty_directory_tar()

    def start(self, names, first=0):
        """Starts `names`, the workers numbered from `first` on."""
        self.tasks = [asyncio.create_task(self.worker(name, self.urls[(first + k) % len(self.urls)]))
                      for k, name in enumerate(names)]

    def cpu_seconds(self):
        return own_cpu()

    def rss_kib(self):
        return rss_kib(os.getpid())

    async def stop(self):
        self.stopping = True
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)

    async def worker(self, name, url):
        """Connects and serves as the worker does: retries with its backoff (1 s, x1.5, at most 60 s, plus up to
        1 s of jitter) until the master asks it to shut down."""
        token, delay = base64.b64encode(f"{name}:{PASSWORD}".encode()).decode(), 1.0
        while not self.stopping:
            try:
                async with self.gate:  # no ping task and no compression: the worker uses neither
                    ws = await websockets.connect(
                        url, additional_headers={"Authorization": f"Basic {token}"}, user_agent_header=AGENT,
                        compression=None, ping_interval=None, max_size=None, open_timeout=5)
            except (OSError, asyncio.TimeoutError, websockets.InvalidHandshake):
                self.counts["connect_retries"] += 1
                await asyncio.sleep(delay + random.random())
                delay = min(delay * 1.5, 60)
                continue
            delay = 1.0
            self.counts["connections"] += 1
            try:
                if await self.session(name, ws):
                    return
            finally:
                ws.transport.abort()  # the worker drops TCP without a close frame
            if not self.stopping:
                self.counts["dropped"] += 1
                await asyncio.sleep(1 + random.random())

    async def session(self, name, ws):
        """Answers the master's requests on one connection; True when it asked the worker to shut down. The
        worker never sends keepalives (only the master does), so neither does this."""
        basedir = f"/swarm/{name}"
        numbers = itertools.count()  # this side's request numbers, from 0 on each connection
        waiting, transfers = {}, set()  # the transfer requests awaiting the master's answer, by number

        async def request(op, command_id, wait=False, **fields):
            number = next(numbers)
            if wait:
                waiting[number] = asyncio.get_running_loop().create_future()
            await ws.send(msgpack.packb({"op": op, **fields, "command_id": command_id, "seq_number": number}))
            return await waiting[number] if wait else None

        async def respond(number, result=None, error=None):
            answer = {"op": "response", "seq_number": number, "result": error or result}
            await ws.send(msgpack.packb({**answer, "is_exception": True} if error else answer))

        async def finish(command_id, updates, failure=None):
            await request("update", command_id, args=updates)
            await request("complete", command_id, args=failure)

        async def transfer(kind, command_id, args, started):
            """A transfer with no files: an empty file up, an empty directory up (a tar), or a download read to
            its end or maxsize (the worker's rc 1). A refused request fails the command, as on the worker."""
            answers, rc, blocksize, maxsize = [], 0, args.get("blocksize") or 65536, args.get("maxsize")
            ask = lambda op, **fields: request(op, command_id, True, **fields)  # noqa: E731
            if kind == "upload_file":
                answers.append(await ask("update_upload_file_close"))
            elif kind == "upload_directory":
                for at in range(0, len(self.tar), blocksize):
                    answers.append(await ask("update_upload_directory_write", args=self.tar[at:at + blocksize]))
                answers.append(await ask("update_upload_directory_unpack"))
            else:
                got = 0
                while maxsize is None or got < maxsize:
                    length = blocksize if maxsize is None else min(blocksize, maxsize - got)
                    answers.append(await ask("update_read_file", length=length))
                    if "is_exception" in answers[-1] or not answers[-1].get("result"):
                        break
                    got += len(answers[-1]["result"])
                rc = int(maxsize is not None and got >= maxsize)
                answers.append(await ask("update_read_file_close"))
            failure = next((a["result"] for a in answers if "is_exception" in a), None)
            now, path = time.time(), args.get("path")
            updates = [["rc", 1 if failure else rc], ["elapsed", now - started]]
            if kind != "download_file":
                updates.insert(0, ["header", lines(f"sending {path}\n", now)])
            elif rc:
                updates.append(["stderr", lines(f"Maximum filesize reached, truncating file '{path}'\n", now)])
            await finish(command_id, updates, str(failure) if failure else None)

        try:
            async for raw in ws:
                if isinstance(raw, str):
                    continue  # text frames are ignored, as the worker does
                message = msgpack.unpackb(raw)
                op, number = message.get("op"), message.get("seq_number")
                if op == "response":
                    self.counts["refused"] += "is_exception" in message
                    if number in waiting:
                        waiting.pop(number).set_result(message)
                    continue
                if op is None or number is None:
                    continue
                self.counts[f"op_{op}"] += 1
                # Nothing runs long enough to interrupt, and settings shape output, which there is none of.
                if op in ("print", "keepalive", "interrupt_command", "set_worker_settings"):
                    await respond(number)
                elif op == "get_worker_info":
                    await respond(number, {
                        "admin": "worker swarm\n", "host": "worker swarm\n", "environ": ENVIRON, "system": "posix",
                        "basedir": basedir, "numcpus": 1, "version": "4.3.0",
                        "worker_commands": {c: "3.3" for c in COMMANDS}, "delete_leftover_dirs": 0})
                elif op == "shutdown":
                    await respond(number)
                    await asyncio.sleep(0.2)  # the worker stops 0.2 s after answering, and does not come back
                    return True
                elif op != "start_command":
                    await respond(number, error=f"Command {op} does not exist.")
                elif message.get("command_name") not in COMMANDS:
                    await respond(number, error=f"(command {message.get('command_id')}): unrecognized WorkerCommand "
                                                f"'{message.get('command_name')}'")
                else:
                    command_id, args, started = message.get("command_id"), message.get("args") or {}, time.time()
                    command = ALIASES.get(message["command_name"], message["command_name"])
                    self.counts[f"command_{command}"] += 1
                    if command in ALIASES.values():  # a transfer waits on answers, which this loop reads
                        await respond(number)
                        task = asyncio.create_task(transfer(command, command_id, args, started))
                        transfers.add(task)  # one ended by a lost connection needs no report:
                        task.add_done_callback(lambda t: transfers.discard(t) or t.cancelled() or t.exception())
                    elif command == "shell":  # a process: the start is answered first, then its output
                        await respond(number)
                        await finish(command_id, command_updates(command, args, basedir, started))
                    else:  # the file-system commands end before the worker answers the start
                        await finish(command_id, command_updates(command, args, basedir, started))
                        await respond(number)
        except websockets.ConnectionClosed:
            pass
        finally:
            for task in transfers:
                task.cancel()
        return False


def serve_slice(names, first, urls, concurrency, pipe):
    """One process of a --processes swarm: a Swarm of `names` (numbered from `first`) until the parent sends
    anything on `pipe`, then its counts back."""
    async def run():
        swarm = Swarm(urls, concurrency)
        swarm.start(names, first)
        await asyncio.get_running_loop().run_in_executor(None, pipe.recv)
        await swarm.stop()
        pipe.send(dict(swarm.counts))
    asyncio.run(run())


class SwarmProcesses:
    """A swarm spread over processes, each holding a slice of the workers: one process may hold no more sockets
    than its descriptor limit. The same interface as Swarm."""

    def __init__(self, urls, concurrency, processes):
        self.urls, self.concurrency, self.count = urls, concurrency, processes
        self.counts, self.children = collections.Counter(), []

    def start(self, names):
        context, size = multiprocessing.get_context("spawn"), math.ceil(len(names) / self.count)
        for first in range(0, len(names), size):
            ours, theirs = context.Pipe()
            child = context.Process(target=serve_slice, args=(
                names[first:first + size], first, self.urls, max(1, self.concurrency // self.count), theirs))
            child.start()
            self.children.append((child, ours))

    async def stop(self):
        for _, pipe in self.children:
            pipe.send("stop")
        for child, pipe in self.children:
            self.counts.update(await asyncio.to_thread(pipe.recv))
            child.join()

    def cpu_seconds(self):
        return sum(cpu_seconds(child.pid) for child, _ in self.children)

    def rss_kib(self):
        return sum(rss_kib(child.pid) for child, _ in self.children)


def master_config(workers, keepalive=None):
    names = [f"sw{i:05d}" for i in range(1, workers + 1)]
    return names, "".join([
        "http: 127.0.0.1:0\n",
        'workerPort: {address: "127.0.0.1:0"' + (f", keepalive: {keepalive}" if keepalive else "") + "}\n",
        "workers:\n", "".join(f"  - {{name: {n}, password: {PASSWORD}}}\n" for n in names),
        f"builders:\n  - {{name: swarm, workers: [{', '.join(names)}], collapseRequests: false,\n",
        '     steps: [{name: run, shell: ["true"]}]}\n',
        "schedulers:\n  - {name: force, type: force, builderNames: [swarm]}\n"])


def worker_port(log):
    """The port in the master's `worker port listening` line, logged before the HTTP one http_port waits for."""
    match = re.search(r"gantry\.worker_port=\S+:(\d+)", open(log).read())
    if not match:
        raise RuntimeError(f"no worker port in {log}")
    return int(match.group(1))


def start_masters(directory, configs, masters, deadline):
    """Starts a master on each config, adding each to `masters` as it starts (so that every path stops it);
    returns each one's HTTP and worker ports."""
    paths = [os.path.join(directory, f"master{k}") for k in range(len(configs))]
    for config, path in zip(configs, paths):
        with open(path + ".yaml", "w") as f:
            f.write(config)
        masters.append(subprocess.Popen([gantry(), "master", "--config", path + ".yaml"],
                                        stdout=subprocess.DEVNULL, stderr=open(path + ".log", "w")))
    return [(http_port(path + ".log", deadline), worker_port(path + ".log")) for path in paths]


def psql(url, statement):
    """Runs `statement` through psql on the database of `url`, less Gantry's own `schema` option."""
    parts = urllib.parse.urlsplit(url)
    query = urllib.parse.urlencode([(k, v) for k, v in urllib.parse.parse_qsl(parts.query) if k != "schema"])
    subprocess.run(["psql", "--quiet", "--set", "ON_ERROR_STOP=1", "--command",
                    f"SET client_min_messages = warning; {statement}", parts._replace(query=query).geturl()],
                   check=True, stdout=subprocess.DEVNULL)


async def wait(masters, condition, limit, every):
    """Polls `condition` (blocking HTTP, so in a thread: the swarm keeps answering) until true or `limit` s."""
    end = time.monotonic() + limit
    while time.monotonic() < end:
        for master in masters:
            if master.poll() is not None:
                raise RuntimeError(f"a master exited with status {master.returncode}")
        try:
            if await asyncio.to_thread(condition):
                return True
        except OSError:
            pass
        await asyncio.sleep(every)
    return False


def own_cpu():
    return sum(resource.getrusage(resource.RUSAGE_SELF)[:2])  # user + system


async def measure(args, masters, base, names, urls, result, failures):
    settle, n, wanted, count = (1 if args.smoke else 3), len(names), set(names), len(masters)
    tags = [f"_m{k}" if count > 1 else "" for k in range(count)]  # the keys of per-master figures
    cpu_all = lambda: sum(cpu_seconds(m.pid) for m in masters)  # noqa: E731

    def workers(connected=False):
        listed = api(base, "/api/v2/workers?field=name&field=connected_to")["workers"]
        return sum(1 for w in listed if w["name"] in wanted and (w["connected_to"] or not connected))

    def ready():  # the workers registered, every master up, and the force scheduler claimed by one
        return (workers() == n and len(api(base, "/api/v2/masters?active=true")["masters"]) == count
                and any(s["master"] for s in api(base, "/api/v2/schedulers?name=force")["schedulers"]))

    if not await wait(masters, ready, args.timeout, 0.2):
        raise RuntimeError("the masters did not register the workers and claim the scheduler")
    await asyncio.sleep(settle)
    for tag, master in zip(tags, masters):
        result[f"rss_idle_mib{tag}"] = rss_kib(master.pid) / 1024
    swarm = (Swarm(urls, args.connect_concurrency) if args.processes == 1
             else SwarmProcesses(urls, args.connect_concurrency, args.processes))
    try:
        start = time.monotonic()
        swarm.start(names)
        # A poll reads all N workers: rarer with more of them, so that polling does not become the load.
        if not await wait(masters, lambda: workers(connected=True) == n, args.timeout, max(0.1, n / 10000)):
            raise RuntimeError(f"not all workers attached within {args.timeout} s")
        result["attach_s"] = time.monotonic() - start
        await asyncio.sleep(settle)
        for k, (tag, master) in enumerate(zip(tags, masters)):
            result[f"rss_attached_mib{tag}"] = rss_kib(master.pid) / 1024
            added = result[f"rss_attached_mib{tag}"] - result[f"rss_idle_mib{tag}"]
            result[f"kib_per_worker{tag}"] = added * 1024 / len(names[k::count])
        result["swarm_rss_mib"] = swarm.rss_kib() / 1024

        cpu = cpu_all()
        await asyncio.sleep(args.idle_seconds)
        result["idle_cpu_percent"] = (cpu_all() - cpu) / args.idle_seconds * 100

        succeeded = "/api/v2/builds?complete=true&results=0&limit=1"
        before = (await asyncio.to_thread(api, base, succeeded))["meta"]["total"]
        cpu, own, start = cpu_all(), swarm.cpu_seconds(), time.monotonic()

        def force(_):
            try:
                return api(base, "/api/v2/forceschedulers/force", {"jsonrpc": "2.0", "method": "force", "id": 1})
            except OSError as error:
                return {"error": str(error)}

        clients = concurrent.futures.ThreadPoolExecutor(8)
        try:
            answers = await asyncio.to_thread(lambda: list(clients.map(force, range(args.builds))))
        finally:  # on Ctrl-C the requests not sent yet are dropped
            clients.shutdown(wait=False, cancel_futures=True)
        if any("result" not in answer for answer in answers):
            failures.append("a force request was refused")
        if not await wait(masters, lambda: incomplete(base) == 0, args.timeout, 0.1):
            raise RuntimeError(f"builds still incomplete after {args.timeout} s")
        elapsed = time.monotonic() - start
        result["builds_per_s"] = args.builds / elapsed
        result["cpu_ms_per_build"] = (cpu_all() - cpu) / args.builds * 1000
        result["swarm_cpu_ms_per_build"] = (swarm.cpu_seconds() - own) / args.builds * 1000
        done = (await asyncio.to_thread(api, base, succeeded))["meta"]["total"] - before
        if done != args.builds:
            failures.append(f"{done} of {args.builds} builds succeeded")
        if count > 1:
            for master in (await asyncio.to_thread(api, base, "/api/v2/masters"))["masters"]:
                path = f"/api/v2/builds?masterid={master['masterid']}&limit=1"
                result[f"builds_{master['name']}"] = (await asyncio.to_thread(api, base, path))["meta"]["total"]

        latencies = []  # one request at a time, each from the force answer until its build shows
        for _ in range(args.latency_samples):
            answer = await asyncio.to_thread(force, None)
            if "result" not in answer:
                raise RuntimeError(f"a force request was refused: {answer}")
            request, asked = list(answer["result"][1].values())[0], time.monotonic()
            shown = lambda: api(base, f"/api/v2/builds?buildrequestid={request}")["meta"]["total"]  # noqa: E731
            if not await wait(masters, shown, args.timeout, 0.002):
                raise RuntimeError(f"build request {request} not started after {args.timeout} s")
            latencies.append(time.monotonic() - asked)
            if not await wait(masters, lambda: incomplete(base) == 0, args.timeout, 0.01):
                raise RuntimeError(f"build request {request} still incomplete after {args.timeout} s")
        if latencies:
            result["start_latency_median_ms"] = statistics.median(latencies) * 1000
            result["start_latency_p99_ms"] = sorted(latencies)[math.ceil(len(latencies) * 0.99) - 1] * 1000
    finally:
        await swarm.stop()
        result["swarm_counts"] = dict(sorted(swarm.counts.items()))
        failures.extend(f"{swarm.counts[k]} {k}" for k in ("dropped", "refused") if swarm.counts[k])


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", type=int, default=10000)
    parser.add_argument("--builds", type=int, default=2000)
    parser.add_argument("--idle-seconds", type=float, default=30)
    parser.add_argument("--connect-concurrency", type=int, default=200, help="WebSocket handshakes at once")
    parser.add_argument("--database", help="a PostgreSQL URL (default: SQLite in a temporary directory)")
    parser.add_argument("--latency-samples", type=int, default=100, help="requests timed to their build's start")
    parser.add_argument("--masters", type=int, default=1, help="masters on the one database (more needs PostgreSQL)")
    parser.add_argument("--keepalive", help="the master's workerPort.keepalive, e.g. 10s (default: its own)")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds each phase may take")
    parser.add_argument("--processes", type=int, default=1, help="swarm processes the workers are spread over")
    parser.add_argument("--smoke", action="store_true", help="a seconds-long run for CI")
    args = parser.parse_args()
    postgres = (args.database or "").startswith(("postgres://", "postgresql://"))
    if args.masters < 1 or args.masters > 1 and not postgres:
        parser.error("--masters above 1 needs --database with a PostgreSQL URL")
    if args.smoke:
        args.workers, args.builds, args.idle_seconds, args.latency_samples, args.timeout = 20, 20, 2, 5, 120
    # A socket per worker here and in the master, which inherits the limit.
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    if args.processes < 1:
        parser.error("--processes must be at least 1")
    # Each swarm process holds its slice of the workers, each master its share of them.
    most = math.ceil(args.workers / min(args.processes, args.masters))
    if hard != resource.RLIM_INFINITY and hard < most + 200:
        sys.exit(f"{most} workers in one process need more file descriptors than the hard limit, {hard}")

    directory = tempfile.mkdtemp(prefix="gantry-swarm-")
    names, config = master_config(args.workers, args.keepalive)
    result = {"workers": args.workers, "builds": args.builds, "masters": args.masters,
              "database": "postgresql" if args.database else "sqlite", "binary": os.path.relpath(gantry(), ROOT)}
    failures, masters, database, schema = [], [], args.database, None
    if postgres and "schema=" not in database:  # a new schema of this run's own
        schema = f"swarm_{os.getpid()}"
        psql(database, f"CREATE SCHEMA {schema}")
        database += ("&" if "?" in database else "?") + f"schema={schema}"
    try:
        configs = [f"name: m{k}\n" + config + (f"database: {database}\n" if database else "")
                   for k in range(args.masters)]
        ports = start_masters(directory, configs, masters, min(args.timeout, 300))
        urls = [f"ws://127.0.0.1:{worker}" for _, worker in ports]
        asyncio.run(measure(args, masters, f"http://127.0.0.1:{ports[0][0]}", names, urls, result, failures))
    except RuntimeError as error:
        failures.append(str(error))
    except KeyboardInterrupt:
        failures.append("interrupted")
    finally:
        for master in masters:
            stop_processes(master, [])
        shutil.rmtree(directory, ignore_errors=True)
        if schema:
            psql(args.database, f"DROP SCHEMA {schema} CASCADE")
    result["failures"] = failures
    print(json.dumps({k: round(v, 2) if isinstance(v, float) else v for k, v in result.items()}))
    for key, value in result.items():
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            print(f"{key:24} {value:12,.2f}" if isinstance(value, float) else f"{key:24} {value:9,}")
    if failures:
        sys.exit("FAILED: " + "; ".join(failures))


if __name__ == "__main__":
    main()
