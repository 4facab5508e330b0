#!/usr/bin/env python3
"""How soon the builds of a SIGKILLed master run again: two masters on PostgreSQL, each with two native workers
of one builder; two forced builds that sleep; the master running the most of them is SIGKILLed, and the time
until each of its builds has been started again on the survivor is measured through the survivor's HTTP API.
Runs N rounds (default 5) on the configuration's defaults and prints each and the median.

Usage: Benchmarks/build_failover.py POSTGRES_URL [--rounds 5] [--heartbeat 5s] [--expire-after 30s] [--claim-poll 5s]
                                   [--smoke]
Needs a built `gantry` (swift build -c release; falls back to the debug build) and a PostgreSQL database that
the masters may share; every round uses names of its own.
"""
import json, os, signal, socket, subprocess, sys, tempfile, time, urllib.request

from gantry_process import cluster_arguments, http_port, timed_rounds


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(port, path):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}") as answer:
        return json.load(answer)


def round_(binary, url, args, number):
    tag = f"bf{number}-{os.getpid()}"
    names = [f"{tag}-m{k}" for k in range(2)]
    workers = {names[0]: [f"{tag}-w0", f"{tag}-w1"], names[1]: [f"{tag}-w2", f"{tag}-w3"]}
    every = [w for ws in workers.values() for w in ws]
    processes = []
    with tempfile.TemporaryDirectory() as directory:
        try:
            ports, logs = {}, {}
            for name in names:
                ports[name] = free_port()
                config = os.path.join(directory, f"{name}.yaml")
                with open(config, "w") as f:
                    f.write("\n".join([
                        f"name: {name}", f"database: {url}", "http: 127.0.0.1:0",
                        f"heartbeat: {args.heartbeat}", f"expireAfter: {args.expire_after}",
                        f"claimPoll: {args.claim_poll}", f'workerPort: {{address: "127.0.0.1:{ports[name]}"}}',
                        "workers: [" + ", ".join(f"{{name: {w}, password: p}}" for w in every) + "]",
                        f"builders: [{{name: {tag}, collapseRequests: false, workers: [{', '.join(every)}], "
                        f"steps: [{{name: s, shell: 'sleep 60'}}]}}]",
                        f"schedulers: [{{name: {tag}-force, type: force, builderNames: [{tag}]}}]", ""]))
                logs[name] = os.path.join(directory, f"{name}.log")
                processes.append((name, subprocess.Popen([binary, "master", "--config", config],
                                                         stdout=subprocess.DEVNULL, stderr=open(logs[name], "w"))))
            http = {name: http_port(logs[name]) for name in names}
            password = os.path.join(directory, "password")
            with open(password, "w") as f:
                f.write("p\n")
            for name in names:
                for worker in workers[name]:
                    processes.append((worker, subprocess.Popen(
                        [binary, "worker", "--master", f"127.0.0.1:{ports[name]}", "--name", worker,
                         "--password-file", password, "--basedir", os.path.join(directory, worker)],
                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)))
            witness = http[names[1]]
            end = time.monotonic() + 60
            while sum(len(w["connected_to"]) for w in get(witness, f"/api/v2/workers")["workers"]
                      if w["name"] in every) < 4 or not any(
                    s["master"] for s in get(witness, "/api/v2/schedulers")["schedulers"] if s["name"] == f"{tag}-force"):
                if time.monotonic() > end:
                    sys.exit("workers or scheduler never ready")
                time.sleep(0.05)
            for _ in range(2):
                request = urllib.request.Request(
                    f"http://127.0.0.1:{witness}/api/v2/forceschedulers/{tag}-force",
                    data=b'{"jsonrpc": "2.0", "method": "force", "id": 1}', method="POST",
                    headers={"Content-Type": "application/json"})
                urllib.request.urlopen(request).read()
            masters = {m["masterid"]: m["name"] for m in get(witness, "/api/v2/masters")["masters"]}
            end = time.monotonic() + 60
            while True:
                running = [b for b in get(witness, "/api/v2/builds?complete=false")["builds"]
                           if masters.get(b["masterid"]) in names]
                if len(running) == 2:
                    break
                if time.monotonic() > end:
                    sys.exit(f"the two builds never ran at once: {running}")
                time.sleep(0.05)
            counts = {n: sum(1 for b in running if masters[b["masterid"]] == n) for n in names}
            victim = max(names, key=lambda n: counts[n])
            survivor = next(n for n in names if n != victim)
            lost = {b["buildrequestid"] for b in running if masters[b["masterid"]] == victim}
            dict(processes)[victim].send_signal(signal.SIGKILL)
            killed = time.monotonic()
            port = http[survivor]
            while True:
                again = {b["buildrequestid"] for b in get(port, "/api/v2/builds?complete=false")["builds"]
                         if masters.get(b["masterid"]) == survivor}
                if lost <= again:
                    return time.monotonic() - killed, len(lost)
                if time.monotonic() - killed > 120:
                    sys.exit("lost builds not started again within 120 s")
                time.sleep(0.02)
        finally:
            for _, process in processes:
                process.send_signal(signal.SIGKILL)
                process.wait()


def main():
    args = cluster_arguments(__doc__)
    timed_rounds(args, "2 masters, 4 native workers, 2 builds", lambda binary, number: round_(binary, args.url, args, number), lambda lost, seconds: f"{lost} lost build(s) running again in {seconds:.2f} s")


if __name__ == "__main__":
    main()
