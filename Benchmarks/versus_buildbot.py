#!/usr/bin/env python3
"""Gantry against Buildbot 4.3 on the same four buildbot-workers, one after the other in one run.

Each master runs on SQLite with one builder (a trivial `true` step on four workers) and a force scheduler, and
is measured through its HTTP API, which has the same shape on both:

* RSS with no worker connected, and what each connected worker adds;
* force → build started: one request at a time on idle workers, until its build shows in the API;
* throughput: N requests forced at once (8 clients), until none is incomplete; with the master's CPU time
  (user + system, from /proc) divided by the builds.

Needs a virtual environment with buildbot==4.3.0, buildbot-www==4.3.0 and buildbot-worker==4.3.0
(--venv, default: $BUILDBOT_VENV) and a built gantry (the release build if there is one). --smoke: one worker, 2
latency rounds, 5 requests and 1 s instead of 3 for the RSS to settle, a check that it still works in the seconds
the masters take to start.
"""
import argparse, concurrent.futures, json, os, shutil, socket, statistics, subprocess, sys, tempfile, time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gantry_process import gantry, stop_processes  # noqa: E402

WORKERS = [f"wk{i}" for i in range(1, 5)]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def api(base, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(base + path, data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as answer:
        return json.loads(answer.read())


def wait(condition, limit=120, every=0.05):
    end = time.monotonic() + limit
    while time.monotonic() < end:
        try:
            if condition():
                return True
        except OSError:
            pass
        time.sleep(every)
    return False


def rss_kib(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def cpu_seconds(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Gantry:
    name = "Gantry"
    force_params = {}

    def start(self, directory, http, worker_port):
        config = os.path.join(directory, "master.yaml")
        with open(config, "w") as f:
            f.write(f"""name: bench
http: 127.0.0.1:{http}
workerPort: {{address: "127.0.0.1:{worker_port}"}}
workers: [{", ".join(f"{{name: {w}, password: pass}}" for w in WORKERS)}]
builders:
  - {{name: build, workers: [{", ".join(WORKERS)}], steps: [{{name: true, shell: [true]}}]}}
schedulers:
  - {{name: force, type: force, builderNames: [build]}}
""")
        return subprocess.Popen([gantry(), "master", "--config", config], stdout=subprocess.DEVNULL,
                                stderr=open(os.path.join(directory, "master.log"), "w"))


class Buildbot:
    name = "Buildbot 4.3"
    force_params = {"builderid": "1"}

    def __init__(self, venv):
        self.venv = venv

    def start(self, directory, http, worker_port):
        basedir = os.path.join(directory, "master")
        subprocess.run([os.path.join(self.venv, "bin", "buildbot"), "create-master", "-q", basedir], check=True)
        with open(os.path.join(basedir, "master.cfg"), "w") as f:
            f.write(f"""from buildbot.plugins import *
c = BuildmasterConfig = {{}}
c['workers'] = [worker.Worker(name, "pass") for name in {WORKERS!r}]
c['protocols'] = {{'msgpack_experimental_v7': {{'port': {worker_port}}}}}
c['schedulers'] = [schedulers.ForceScheduler(name="force", builderNames=["build"])]
factory = util.BuildFactory()
factory.addStep(steps.ShellCommand(name="true", command=["true"]))
c['builders'] = [util.BuilderConfig(name="build", workernames={WORKERS!r}, factory=factory)]
c['www'] = dict(port={http}, plugins={{}})
c['db'] = {{'db_url': "sqlite:///state.sqlite"}}
c['buildbotNetUsageData'] = None
c['buildbotURL'] = "http://127.0.0.1:{http}/"
""")
        return subprocess.Popen([os.path.join(self.venv, "bin", "buildbot"), "start", "--nodaemon", basedir],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def start_workers(venv, directory, worker_port):
    processes = []
    for name in WORKERS:
        basedir = os.path.join(directory, "workers", name)
        if not os.path.exists(basedir):
            os.makedirs(os.path.dirname(basedir), exist_ok=True)
            subprocess.run([os.path.join(venv, "bin", "buildbot-worker"), "create-worker", "-q",
                            "--protocol=msgpack_experimental_v7", basedir, f"127.0.0.1:{worker_port}", name, "pass"],
                           check=True)
        processes.append(subprocess.Popen([os.path.join(venv, "bin", "buildbot-worker"), "start", "--nodaemon",
                                           basedir], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    return processes


def incomplete(base):
    return api(base, "/api/v2/buildrequests?complete=false&limit=1")["meta"]["total"]


def force(base, master):
    answer = api(base, "/api/v2/forceschedulers/force",
                 {"jsonrpc": "2.0", "method": "force", "params": master.force_params, "id": 1})
    return list(answer["result"][1].values())[0]


def measure(master, venv, requests, latency_rounds, settle):
    directory = tempfile.mkdtemp(prefix="gantry-versus-")
    http, worker_port = free_port(), free_port()
    base = f"http://127.0.0.1:{http}"
    process = master.start(directory, http, worker_port)
    workers = []
    try:
        if not wait(lambda: api(base, "/api/v2/builders") is not None, limit=60):
            sys.exit(f"{master.name} did not answer on {base}")
        time.sleep(settle)
        result = {"rss_idle_mib": rss_kib(process.pid) / 1024}
        workers = start_workers(venv, directory, worker_port)

        def connected():
            return sum(1 for w in api(base, "/api/v2/workers")["workers"] if w["connected_to"]) == len(WORKERS)

        if not wait(connected, limit=90):
            sys.exit(f"the workers did not connect to {master.name}")
        time.sleep(settle)
        result["rss_per_worker_mib"] = (rss_kib(process.pid) / 1024 - result["rss_idle_mib"]) / len(WORKERS)

        latencies = []
        for _ in range(latency_rounds):
            start = time.monotonic()
            brid = force(base, master)
            wait(lambda: api(base, f"/api/v2/builds?buildrequestid={brid}")["meta"]["total"] > 0, every=0.002)
            latencies.append(time.monotonic() - start)
            wait(lambda: incomplete(base) == 0, every=0.01)
        result["latency_median_ms"] = statistics.median(latencies) * 1000
        result["latency_p90_ms"] = sorted(latencies)[int(len(latencies) * 0.9) - 1] * 1000

        for count in requests:
            cpu, start = cpu_seconds(process.pid), time.monotonic()
            with concurrent.futures.ThreadPoolExecutor(8) as pool:
                list(pool.map(lambda _: force(base, master), range(count)))
            if not wait(lambda: incomplete(base) == 0, limit=1800, every=0.1):
                sys.exit(f"{master.name}: {count} requests did not complete")
            elapsed = time.monotonic() - start
            result[f"builds_per_s_{count}"] = count / elapsed
            result[f"cpu_ms_per_build_{count}"] = (cpu_seconds(process.pid) - cpu) / count * 1000
        return result
    finally:
        stop_processes(process, workers, 30)
        shutil.rmtree(directory, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--venv", default=os.environ.get("BUILDBOT_VENV"), help="buildbot 4.3 virtual environment")
    parser.add_argument("--requests", type=int, nargs="+", default=[200, 1000])
    parser.add_argument("--latency-rounds", type=int, default=20)
    parser.add_argument("--workers", type=int, default=4, help="connected workers (RSS per worker is the average)")
    parser.add_argument("--smoke", action="store_true", help="a short run that only checks it still works")
    arguments = parser.parse_args()
    if arguments.smoke:
        arguments.requests, arguments.latency_rounds, arguments.workers = [5], 2, 1
    # Seconds for a master's RSS to settle after its start and after the workers connect.
    settle = 1 if arguments.smoke else 3
    global WORKERS
    WORKERS = [f"wk{i}" for i in range(1, arguments.workers + 1)]
    if not arguments.venv:
        sys.exit("--venv (or BUILDBOT_VENV) must name a virtual environment with buildbot 4.3")
    results = {}
    for master in (Gantry(), Buildbot(arguments.venv)):
        results[master.name] = measure(master, arguments.venv, arguments.requests, arguments.latency_rounds, settle)
        print(master.name, json.dumps({k: round(v, 2) for k, v in results[master.name].items()}), flush=True)
    ours, theirs = results["Gantry"], results["Buildbot 4.3"]
    print(f"\n{'metric':28} {'Gantry':>10} {'Buildbot':>10} {'ratio':>8}")
    for key in ours:
        # Throughput is better higher; everything else better lower. The ratio says how many times better.
        ratio = ours[key] / theirs[key] if key.startswith("builds_per_s") else theirs[key] / max(ours[key], 1e-9)
        print(f"{key:28} {ours[key]:10.2f} {theirs[key]:10.2f} {ratio:7.1f}x")


if __name__ == "__main__":
    main()
