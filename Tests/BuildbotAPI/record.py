#!/usr/bin/env python3
"""Record the shapes of a real Buildbot 4.3 master's data API (`/api/v2`), its `/config`, its `/ws` protocol and
what its React UI asks of them, as fixtures for Gantry's API tests.

Usage:
    /tmp/bbw/bin/python3 Tests/BuildbotAPI/record.py --venv /tmp/bbw \
        --out Tests/GantryAPITests/Fixtures/buildbot-4.3-api.json [--chromium PATH] [--keep]

VENV is a virtualenv holding buildbot, buildbot-worker and buildbot-www 4.3 (its `bin/buildbot` and
`bin/buildbot-worker` are used, and Playwright from it when present). The script:

1. makes a master in a temporary directory: SQLite; worker `w1`/`p1`; the www plugin without auth and with the
   base change hook; a project and a codebase; a PB change source; builders `runtests` (a step under a master
   lock, a step setting a property, a step adding a URL and a test result set) and `other` (driven by a
   Triggerable nothing triggers); a ForceScheduler `force` with one extra parameter of each kind
   text/list/bool/int; a SingleBranchScheduler `commits` on branch `main`. It starts the master and a
   `buildbot-worker`, posts one change to `/change_hook/base`, forces one build over JSON-RPC and waits for both
   builds to finish;
2. GETs every route in ENDPOINTS and EXTRA_ENDPOINTS with the ids of the objects made, and records for each its
   status, collection key, the sorted keys of the first element and, from all elements, those of the dicts
   nested in them (`a.b` for a dict, `a[]` for a list of dicts, `a[type=T]` per type when the items have
   different `type`s, except in /application.spec); plus `/config` and the config the index page injects;
3. speaks the WebSocket protocol at `/ws` with a small hand-written client: subscribes to `builds/*/*`, forces a
   build, records the messages, pings, unsubscribes, tries the error cases, then subscribes to WS_PATHS and
   records everything one more forced build produces;
4. when Chromium is at hand (--chromium, $GANTRY_TEST_CHROMIUM or `chromium` on PATH), opens the React UI's
   build, log, builder and home pages and records their REST requests and WebSocket frames in order;
5. writes OUT (keys sorted, indented) with `buildbot`, `endpoints`, `extra_endpoints`, `ids`, `config_keys`,
   `index_config_keys`, `facts`, `ws` and `ui_pages`, and next to it `buildbot-4.3-answers.json` with the raw
   answers (log text trimmed), as long as it stays under ANSWERS_LIMIT.

Every process it starts (master, worker, browser) is stopped on every path out, and the temporary directory
removed unless --keep is given.
"""
import argparse
import base64
import contextlib
import json
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

BUILDBOT_VERSION = "4.3.0"
REVISION = "0123456789abcdef0123456789abcdef01234567"
# What the React UI (axios) sends; with `application/json` in Accept Buildbot answers compact JSON as
# `application/json`, without it indented JSON as `text/plain`.
AXIOS_ACCEPT = "application/json, text/plain, */*"
ANSWERS_LIMIT = 300_000  # bytes; the raw answers are only written when they fit
LOG_TRIM = 400  # characters kept of each log chunk / raw log in the answers file

# The routes to record, with `{placeholder}`s filled from the ids of the objects made (see `ids` in scenario()).
ENDPOINTS = [
    "/builders",
    "/builders/{builderid}",
    "/builders/{builderid}/builds",
    "/builders/{builderid}/builds/{number}",
    "/builders/{builderid}/buildrequests",
    "/builders/{builderid}/workers",
    "/builders/{builderid}/masters",
    "/builders/{builderid}/forceschedulers",
    "/builds",
    "/builds/{buildid}",
    "/builds?property=*",
    "/builds/{buildid}/steps",
    "/builds/{buildid}/steps/{number}",
    "/builds/{buildid}/properties",
    "/builds/{buildid}/changes",
    "/steps/{stepid}",
    "/steps/{stepid}/logs",
    "/logs/{logid}",
    "/logs/{logid}/contents",
    "/logs/{logid}/raw",
    "/logs/{logid}/raw_inline",
    "/buildrequests",
    "/buildrequests/{id}",
    "/buildrequests?property=*",
    "/buildrequests/{id}/builds",
    "/buildsets",
    "/buildsets/{id}",
    "/buildsets?property=*",
    "/buildsets/{id}/properties",
    "/changes",
    "/changes/{changeid}",
    "/changes/{changeid}/builds",
    "/sourcestamps",
    "/sourcestamps/{id}",
    "/masters",
    "/masters/{id}",
    "/masters/{id}/builders",
    "/masters/{id}/workers",
    "/masters/{id}/builders/{builderid}/workers",
    "/workers",
    "/workers/{id}",
    "/workers/{id}/builds",
    "/schedulers",
    "/forceschedulers",
    "/forceschedulers/{name}",
    "/changesources",
    "/projects",
    "/codebases",
    "/test_result_sets",
    "/application.spec",
]

# Further routes the React UI or Buildbot's own route table use; recorded the same way. The empty route is
# `/api/v2` itself, `/` is `/api/v2/`.
EXTRA_ENDPOINTS = [
    "/",
    "",
    "/builders/{buildername}",
    "/builders/{builderid}/builds/{number}/steps",
    "/builders/{builderid}/builds/{number}/steps/{stepnumber}/logs",
    "/builders/{builderid}/builds/{number}/steps/{stepnumber}/logs/{slug}",
    "/builders/{builderid}/builds/{number}/properties",
    "/builds/{buildid}/steps/{stepnumber}/logs",
    "/builds/{buildid}/steps/{stepnumber}/logs/{slug}",
    "/builds/{buildid}/steps/{stepnumber}/logs/{slug}/contents",
    "/builds/{buildid}/steps/{linkstepnumber}",
    "/steps/{stepid}/logs/{slug}",
    "/steps/{stepid}/logs/{slug}/contents",
    "/logs/{logid}/contents?offset=0&limit=1",
    "/builds?builderid={builderid}&number__eq={number}",
    "/builds?order=-number&limit=1",
    "/builds?field=buildid&field=number",
    "/builds?complete=true",
    "/builds/{buildid}/test_result_sets",
    "/steps/{linkstepid}/test_result_sets",
    "/test_result_sets/{test_result_setid}",
    "/test_result_sets/{test_result_setid}/results",
    "/builders/{builderid}/test_result_sets",
    "/buildrequests?buildsetid={id}",
    "/buildsets?rebuilt_buildid={buildid}",
    "/buildsets/{id}/builders/{builderid}/buildrequests",
    "/workers/{workername}",
    "/workers/{id}/builders",
    "/masters/{id}/builders/{builderid}",
    "/schedulers/{schedulerid}",
    "/changesources/{changesourceid}",
    "/projects/{projectid}",
    "/projects/{projectid}/builders",
    "/builds/{missing}",
    "/nosuchthing",
]

# The paths subscribed to before the last forced build. First those the React UI's build page subscribes to, in
# their wildcard form (the UI subscribes `restPath + "/*"` for one object, `restPath + "/*/*"` for a collection
# and `.../properties/*` for properties, with the real ids); then the other forms of routing keys Buildbot
# publishes the same events under, and two paths that stay silent during a build.
WS_PATHS = [
    "builders/*/*",
    "builds/*/*",
    "projects/*/*",
    "buildrequests/*/*",
    "builds/*/properties/*",
    "workers/*/*",
    "buildsets/*/*",
    "builds/*/steps/*/*",
    "steps/*/logs/*/*",
    "builders/*/builds/*/*",
    "workers/*/builds/*/*",
    "builders/*/buildrequests/*/*",
    "buildsets/*/builders/*/buildrequests/*/*",
    "steps/*/*",
    "logs/*/*",
    "test_result_sets/*/*",
    "builds/*/changes/*/*",
    "changes/*/*",
]

MASTER_CFG = r'''# -*- python -*-
from buildbot.plugins import changes, schedulers, steps, util, worker
from buildbot.process import buildstep
from buildbot.process.codebase import Codebase
from buildbot.process.project import Project
from twisted.internet import defer


class LinkAndTests(buildstep.BuildStep):
    """Adds a URL to itself and one test result set with two results."""

    name = "link"

    @defer.inlineCallbacks
    def run(self):
        yield self.addURL("docs", "https://example.org/docs")
        setid = yield self.addTestResultSet("unit tests", "pass_fail", "boolean")
        # Values are strings; for pass_fail "1" is a pass and "0" a failure.
        self.addTestResult(setid, "1", test_name="test_ok", test_code_path="tests/test_a.py", line=3,
                           duration_ns=1000)
        self.addTestResult(setid, "0", test_name="test_bad", test_code_path="tests/test_a.py", line=9)
        return util.SUCCESS


lock = util.MasterLock("one-at-a-time")

c = BuildmasterConfig = {}
c["title"] = "Recorder"
c["titleURL"] = "https://example.org/"
c["buildbotURL"] = "http://127.0.0.1:@WWW_PORT@/"
c["db"] = {"db_url": "sqlite:///state.sqlite"}
c["protocols"] = {"pb": {"port": "tcp:@PB_PORT@:interface=127.0.0.1"}}
c["workers"] = [worker.Worker("w1", "p1")]
c["buildbotNetUsageData"] = None
c["projects"] = [Project(name="demo", slug="demo", description="The demo project")]
c["codebases"] = [Codebase(name="main-code", project="demo")]
c["change_source"] = [changes.PBChangeSource(user="changes", passwd="changes-pw")]

runtests = util.BuildFactory()
runtests.addStep(steps.ShellCommand(name="hello", command="echo hello", locks=[lock.access("exclusive")]))
runtests.addStep(steps.SetProperty(name="set answer", property="answer", value="42"))
runtests.addStep(LinkAndTests())

other = util.BuildFactory()
other.addStep(steps.ShellCommand(name="other", command="echo other"))

c["builders"] = [
    util.BuilderConfig(name="runtests", workernames=["w1"], factory=runtests,
                       description="Runs the tests", tags=["ci"], project="demo"),
    util.BuilderConfig(name="other", workernames=["w1"], factory=other),
]

c["schedulers"] = [
    schedulers.ForceScheduler(
        name="force",
        builderNames=["runtests"],
        codebases=[""],
        properties=[
            util.StringParameter(name="greeting", label="Greeting", default="hi"),
            util.ChoiceStringParameter(name="flavor", label="Flavor", choices=["plain", "spicy"], default="plain"),
            util.BooleanParameter(name="verbose", label="Verbose", default=False),
            util.IntParameter(name="count", label="Count", default=1),
        ],
    ),
    schedulers.SingleBranchScheduler(
        name="commits",
        change_filter=util.ChangeFilter(branch="main"),
        treeStableTimer=None,
        builderNames=["runtests"],
    ),
    # Only so that `other` has a scheduler; nothing triggers it.
    schedulers.Triggerable(name="other-trigger", builderNames=["other"]),
]

c["www"] = {
    "port": "tcp:@WWW_PORT@:interface=127.0.0.1",
    "plugins": {},
    "change_hook_dialects": {"base": True},
}
'''


# ----------------------------------------------------------------------------------------------------------------
# Processes


def free_port():
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Processes:
    """The processes started here (in sessions of their own); stop() ends each of them by its own id."""

    def __init__(self):
        self.procs = []

    def start(self, name, argv, cwd, logpath):
        log = open(logpath, "wb")
        proc = subprocess.Popen(argv, cwd=cwd, env=clean_env(cwd), stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
        log.close()
        self.procs.append((name, proc))
        return proc

    def stop(self):
        for name, proc in reversed(self.procs):
            if proc.poll() is not None:
                continue
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                print(f"{name} did not stop on SIGTERM; killing it", file=sys.stderr)
                proc.kill()
                proc.wait(timeout=10)
        self.procs = []


def clean_env(home):
    """A minimal environment: a step's log header lists the worker's whole environment, and the logs end up in
    the fixtures, so nothing of this machine's environment is passed on."""
    return {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": home, "LANG": "C.UTF-8"}


def run(argv, cwd):
    result = subprocess.run(argv, cwd=cwd, env=clean_env(cwd), capture_output=True, text=True, timeout=300)
    if result.returncode != 0:
        raise RuntimeError(f"{argv} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result.stdout


# ----------------------------------------------------------------------------------------------------------------
# HTTP


class HTTP:
    def __init__(self, base):
        self.base = base.rstrip("/")

    def request(self, method, path, body=None, headers=None, timeout=30):
        req = urllib.request.Request(self.base + path, data=body, method=method, headers=headers or {})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                return resp.status, dict(resp.headers.items()), resp.read()
        except urllib.error.HTTPError as err:
            return err.code, dict(err.headers.items()), err.read()

    def get_json(self, path, accept=None):
        status, _, body = self.request("GET", path, headers={"Accept": accept} if accept else None)
        if status != 200:
            raise RuntimeError(f"GET {path}: {status} {body[:300]!r}")
        return json.loads(body)

    def api(self, path):
        return self.get_json("/api/v2" + path, AXIOS_ACCEPT)

    def force(self, params, rpc_id):
        body = json.dumps({"method": "force", "jsonrpc": "2.0", "id": rpc_id, "params": params}).encode()
        status, headers, answer = self.request("POST", "/api/v2/forceschedulers/force", body,
                                               {"Content-Type": "application/json"})
        return status, json.loads(answer)


def wait_for(what, predicate, timeout=180, interval=0.5):
    deadline = time.monotonic() + timeout
    last_error = None
    while time.monotonic() < deadline:
        try:
            value = predicate()
            if value:
                return value
        except (OSError, RuntimeError, ValueError, KeyError, IndexError) as err:
            last_error = err
        time.sleep(interval)
    raise TimeoutError(f"timed out waiting for {what} (last error: {last_error})")


# ----------------------------------------------------------------------------------------------------------------
# A minimal WebSocket client (RFC 6455, text frames, client-side masking).


class WebSocket:
    def __init__(self, host, port, path="/ws", timeout=30):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        key = base64.b64encode(os.urandom(16)).decode()
        request = (f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                   f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
                   f"Origin: http://{host}:{port}\r\n\r\n")
        self.sock.sendall(request.encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(1)
            if not chunk:
                raise ConnectionError("connection closed during the handshake")
            head += chunk
        lines = head.decode("latin-1").split("\r\n")
        self.handshake_status = lines[0]
        self.handshake_headers = {}
        for line in lines[1:]:
            if ":" in line:
                name, value = line.split(":", 1)
                self.handshake_headers[name.strip()] = value.strip()
        if " 101 " not in lines[0]:
            raise ConnectionError(f"handshake refused: {lines[0]}")

    def _recv_exact(self, n):
        data = b""
        while len(data) < n:
            chunk = self.sock.recv(n - len(data))
            if not chunk:
                raise ConnectionError("connection closed")
            data += chunk
        return data

    def _send_frame(self, opcode, payload):
        header = bytes([0x80 | opcode])
        n = len(payload)
        if n < 126:
            header += bytes([0x80 | n])
        elif n < 65536:
            header += bytes([0x80 | 126]) + struct.pack("!H", n)
        else:
            header += bytes([0x80 | 127]) + struct.pack("!Q", n)
        mask = os.urandom(4)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.sock.sendall(header + mask + masked)

    def send_text(self, text):
        self._send_frame(0x1, text.encode())

    def recv_text(self, timeout):
        """The next text message, or None after `timeout` seconds without one."""
        self.sock.settimeout(timeout)
        message = b""
        while True:
            try:
                b0, b1 = self._recv_exact(2)
            except socket.timeout:
                if message:
                    raise
                return None
            opcode, n = b0 & 0x0F, b1 & 0x7F
            if n == 126:
                n = struct.unpack("!H", self._recv_exact(2))[0]
            elif n == 127:
                n = struct.unpack("!Q", self._recv_exact(8))[0]
            mask = self._recv_exact(4) if b1 & 0x80 else None
            payload = self._recv_exact(n)
            if mask:
                payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
            if opcode == 0x9:  # ping
                self._send_frame(0xA, payload)
                continue
            if opcode == 0xA:  # pong
                continue
            if opcode == 0x8:
                raise ConnectionError("server closed the WebSocket")
            message += payload
            if b0 & 0x80:
                return message.decode()

    def close(self):
        with contextlib.suppress(OSError):
            self._send_frame(0x8, struct.pack("!H", 1000))
        self.sock.close()


class Transcript:
    """Every frame sent and received, in order, with the parsed JSON and the exact text."""

    def __init__(self, ws):
        self.ws = ws
        self.entries = []

    def note(self, text):
        self.entries.append({"note": text})

    def send(self, message):
        text = json.dumps(message, separators=(",", ":"))
        self.ws.send_text(text)
        self.entries.append({"dir": "send", "raw": text, "json": message})

    def recv(self, timeout=15):
        text = self.ws.recv_text(timeout)
        if text is None:
            return None
        message = json.loads(text)
        self.entries.append({"dir": "recv", "raw": text, "json": message})
        return message

    def recv_until(self, predicate, timeout=60, limit=200):
        """Receive until predicate(message) holds (returns that message) or the time/limit runs out."""
        deadline = time.monotonic() + timeout
        count = 0
        while time.monotonic() < deadline and count < limit:
            message = self.recv(timeout=max(0.1, deadline - time.monotonic()))
            if message is None:
                return None
            count += 1
            if predicate(message):
                return message
        return None


# ----------------------------------------------------------------------------------------------------------------
# Shapes


def collection_key(answer):
    if not isinstance(answer, dict):
        return None
    for key in answer:
        if key != "meta":
            return key
    return None


def merge(items):
    """One dict standing for all of `items` (dicts): nested dicts merged, lists of dicts concatenated."""
    merged = {}
    for item in items:
        for key, value in item.items():
            if key not in merged or merged[key] in (None, [], {}):
                merged[key] = value
            elif isinstance(value, dict) and isinstance(merged[key], dict):
                merged[key] = merge([merged[key], value])
            elif isinstance(value, list) and isinstance(merged[key], list):
                merged[key] = merged[key] + value
    return merged


def is_dict_list(value):
    return isinstance(value, list) and value and all(isinstance(x, dict) for x in value)


def nested_shapes(value, path, out, by_type=True):
    """Record the sorted keys of every dict nested in the dict `value` under its dotted path: `a.b` for a dict,
    `a[]` for a list of dicts (the union of its items' keys) and, when those items have different `type`s,
    `a[type=T]` for each."""
    for key, item in value.items():
        sub = f"{path}.{key}" if path else key
        if isinstance(item, dict):
            out[sub] = sorted(item)
            nested_shapes(item, sub, out, by_type)
        elif is_dict_list(item):
            out[sub + "[]"] = sorted(set().union(*item))
            kinds = {}
            for x in item:
                if by_type and isinstance(x.get("type"), str):
                    kinds.setdefault(x["type"], set()).update(x)
            if len(kinds) > 1:
                for kind, kind_keys in kinds.items():
                    out[f"{sub}[type={kind}]"] = sorted(kind_keys)
            nested_shapes(merge(item), sub + "[]", out, by_type)
    return out


def shape_of(status, headers, body, by_type=True):
    entry = {"status": status, "content_type": headers.get("Content-Type")}
    if "Content-Disposition" in headers:
        entry["content_disposition"] = headers["Content-Disposition"]
    try:
        answer = json.loads(body)
    except ValueError:
        entry["body_text"] = body[:200].decode("utf-8", "replace")
        return entry, body.decode("utf-8", "replace")
    if status != 200:
        entry["error_body"] = answer
        return entry, answer
    key = collection_key(answer)
    entry["collection"] = key
    if isinstance(answer, dict) and "meta" in answer:
        entry["meta"] = answer["meta"]
    items = answer.get(key) if isinstance(answer, dict) else answer
    if isinstance(items, list):
        entry["count"] = len(items)
        if items and isinstance(items[0], dict):
            entry["keys"] = sorted(items[0])
            union = set().union(*(set(x) for x in items if isinstance(x, dict)))
            if union != set(items[0]):
                entry["keys_union"] = sorted(union)
            # Nested shapes from all elements, so that an empty list in the first one hides nothing.
            entry["nested"] = nested_shapes(merge(x for x in items if isinstance(x, dict)), "", {}, by_type)
        elif items:
            entry["first"] = items[0]
    elif isinstance(items, dict):
        entry["keys"] = sorted(items)
        entry["nested"] = nested_shapes(items, "", {}, by_type)
    return entry, answer


def trim_answer(answer):
    """The answer with long log text cut to LOG_TRIM characters."""
    if isinstance(answer, str):
        return answer if len(answer) <= LOG_TRIM else answer[:LOG_TRIM] + "…"
    if isinstance(answer, dict):
        return {k: (trim_answer(v) if k in ("content", "logchunks") or isinstance(v, (dict, list)) else v)
                for k, v in answer.items()}
    if isinstance(answer, list):
        return [trim_answer(x) for x in answer]
    return answer


# ----------------------------------------------------------------------------------------------------------------
# The scenario


def make_master(venv, tmp, procs):
    buildbot = os.path.join(venv, "bin", "buildbot")
    buildbot_worker = os.path.join(venv, "bin", "buildbot-worker")
    www_port, pb_port = free_port(), free_port()
    while pb_port == www_port:
        pb_port = free_port()
    master_dir = os.path.join(tmp, "master")
    worker_dir = os.path.join(tmp, "worker")
    run([buildbot, "create-master", "--db", "sqlite:///state.sqlite", master_dir], tmp)
    with open(os.path.join(master_dir, "master.cfg"), "w") as f:
        f.write(MASTER_CFG.replace("@WWW_PORT@", str(www_port)).replace("@PB_PORT@", str(pb_port)))
    run([buildbot, "checkconfig", master_dir], tmp)
    procs.start("master", [buildbot, "start", "--nodaemon", master_dir], tmp, os.path.join(tmp, "master.out"))
    http = HTTP(f"http://127.0.0.1:{www_port}")
    wait_for("the master's web server", lambda: http.api("/masters")["masters"])
    run([buildbot_worker, "create-worker", worker_dir, f"127.0.0.1:{pb_port}", "w1", "p1"], tmp)
    procs.start("worker", [buildbot_worker, "start", "--nodaemon", worker_dir], tmp, os.path.join(tmp, "worker.out"))
    wait_for("worker w1 to connect", lambda: http.api("/workers/w1")["workers"][0]["connected_to"])
    return http, www_port


def builder_id(http, name):
    return http.api(f"/builders/{name}")["builders"][0]["builderid"]


def wait_for_builds_of(http, buildrequestids, timeout=180):
    """Wait until every one of the build requests is complete and return their builds."""

    def done():
        builds = []
        for brid in buildrequestids:
            br = http.api(f"/buildrequests/{brid}")["buildrequests"][0]
            if not br["complete"]:
                return None
            found = http.api(f"/buildrequests/{brid}/builds")["builds"]
            if not found or not all(b["complete"] for b in found):
                return None
            builds.extend(found)
        return builds

    return wait_for("builds to finish", done, timeout=timeout)


def force_params(builderid, n):
    return {"builderid": builderid, "username": "alice <alice@example.org>", "reason": f"forced {n}",
            "greeting": "hello", "flavor": "spicy", "verbose": True, "count": 3, "branch": "main",
            "revision": "", "repository": "", "project": ""}


def record(venv, out, chromium=None, keep=False):
    procs = Processes()
    tmp = tempfile.mkdtemp(prefix="buildbot-4.3-record-")
    try:
        return scenario(venv, out, tmp, procs, chromium)
    except BaseException:
        for name in ("master.out", "worker.out", "master/twistd.log", "worker/twistd.log"):
            path = os.path.join(tmp, name)
            if os.path.exists(path):
                with open(path, errors="replace") as f:
                    print(f"--- {name} (tail) ---\n" + "".join(f.readlines()[-40:]), file=sys.stderr)
        raise
    finally:
        procs.stop()
        if keep:
            print(f"kept {tmp}", file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)


def scenario(venv, out, tmp, procs, chromium):
    http, www_port = make_master(venv, tmp, procs)
    runtests = builder_id(http, "runtests")
    facts = {}

    # One change through the base hook, one forced build.
    form = urllib.parse.urlencode({
        "repository": "https://example.org/repo.git", "branch": "main", "revision": REVISION,
        "author": "Bob <bob@example.org>", "comments": "Fix the tests", "files": json.dumps(["a.txt", "src/b.c"]),
        "project": "demo", "category": "feature", "revlink": f"https://example.org/repo/commit/{REVISION}",
        "properties": json.dumps({"ticket": "T-1"}), "when_timestamp": "1700000000",
    }).encode()
    status, headers, body = http.request("POST", "/change_hook/base", form,
                                         {"Content-Type": "application/x-www-form-urlencoded"})
    facts["change_hook_answer"] = {"status": status, "content_type": headers.get("Content-Type"),
                                   "body": body.decode("utf-8", "replace")}
    change = wait_for("the change", lambda: http.api("/changes")["changes"])[0]
    change_brs = wait_for("the change's build request",
                          lambda: http.api(f"/builders/{runtests}/buildrequests")["buildrequests"])
    status, answer = http.force(force_params(runtests, 1), 1)
    facts["force_rpc_answer"] = {"status": status, "body": answer}
    if status != 200:
        raise RuntimeError(f"force failed: {status} {answer}")
    forced_bsid, forced_brids = answer["result"]
    brids = [br["buildrequestid"] for br in change_brs] + list(forced_brids.values())
    builds = wait_for_builds_of(http, brids)
    forced_build = next(b for b in builds if b["buildrequestid"] == forced_brids[str(runtests)])
    change_build = next(b for b in builds if b["buildid"] != forced_build["buildid"])
    facts["force_rpc_error_answer"] = dict(zip(("status", "body"), http.force({"builderid": runtests,
                                                                                "count": "many"}, 2)))

    # The ids every route needs.
    steps = http.api(f"/builds/{forced_build['buildid']}/steps")["steps"]
    hello = next(s for s in steps if s["name"] == "hello")
    link = next(s for s in steps if s["name"] == "link")
    logs = http.api(f"/steps/{hello['stepid']}/logs")["logs"]
    stdio = next(l for l in logs if l["slug"] == "stdio")
    forced_br = http.api(f"/buildrequests/{forced_brids[str(runtests)]}")["buildrequests"][0]
    master = http.api("/masters")["masters"][0]
    w1 = http.api("/workers/w1")["workers"][0]
    sourcestamps = http.api("/sourcestamps")["sourcestamps"]
    scheds = http.api("/schedulers")["schedulers"]
    changesources = http.api("/changesources")["changesources"]
    projects = http.api("/projects")["projects"]
    trs = http.api(f"/steps/{link['stepid']}/test_result_sets")["test_result_sets"]
    ids = {
        "builderid": runtests, "buildername": "runtests", "number": forced_build["number"],
        "buildid": forced_build["buildid"], "stepid": hello["stepid"], "logid": stdio["logid"],
        "slug": stdio["slug"], "stepnumber": hello["number"], "linkstepnumber": link["number"],
        "linkstepid": link["stepid"], "id": None, "changeid": change["changeid"], "name": "force",
        "workername": "w1", "missing": 999999,
        "schedulerid": scheds[0]["schedulerid"] if scheds else 0,
        "changesourceid": changesources[0]["changesourceid"] if changesources else 0,
        "projectid": projects[0]["projectid"] if projects else 0,
        "test_result_setid": trs[0]["test_result_setid"] if trs else 0,
    }
    # `{id}` means a different object depending on the resource it follows.
    id_by_resource = {"buildrequests": forced_br["buildrequestid"], "buildsets": forced_bsid,
                      "sourcestamps": sourcestamps[0]["ssid"], "masters": master["masterid"],
                      "workers": w1["workerid"]}
    # The builds/{buildid}/changes route needs the build the change triggered.
    change_routes = {"/builds/{buildid}/changes", "/changes/{changeid}/builds"}

    def fill(route):
        values = dict(ids)
        resource = (route.split("?")[0].split("/") + [""])[1]
        values["id"] = id_by_resource.get(resource, 0)
        if route in change_routes:
            values["buildid"] = change_build["buildid"]
        return route.format(**values)

    endpoints, answers, concrete = {}, {}, {}
    for group, routes in (("endpoints", ENDPOINTS), ("extra_endpoints", EXTRA_ENDPOINTS)):
        shapes = {}
        for route in routes:
            path = fill(route)
            status, headers, body = http.request("GET", "/api/v2" + path, headers={"Accept": AXIOS_ACCEPT})
            entry, answer = shape_of(status, headers, body, by_type=route != "/application.spec")
            entry["path"] = "/api/v2" + path
            shapes[route] = entry
            answers[route] = trim_answer(answer)
        if group == "endpoints":
            endpoints = shapes
        else:
            concrete = shapes

    spec = answers.get("/application.spec")
    if isinstance(spec, dict):
        specs = spec.get(collection_key(spec)) or []
        endpoints["/application.spec"]["paths"] = [s.get("path") for s in specs if isinstance(s, dict)]

    # The frontend's config: GET /config, and what the index page injects.
    status, headers, body = http.request("GET", "/config")
    config = json.loads(body) if status == 200 else {}
    answers["GET /config"] = config
    facts["config"] = config
    # The same endpoint without `application/json` in Accept (as curl or a browser tab would ask).
    status, headers, body = http.request("GET", "/api/v2/masters")
    facts["without_json_accept"] = {"route": "/masters", "status": status,
                                    "content_type": headers.get("Content-Type"),
                                    "body": body.decode("utf-8", "replace")}
    status, headers, index_html = http.request("GET", "/")
    index_html = index_html.decode("utf-8", "replace")
    injected = re.search(r"window\.buildbotFrontendConfig = (\{.*?\});\s*</script>", index_html, re.S)
    index_config = json.loads(injected.group(1)) if injected else {}
    facts["index_html"] = {
        "status": status, "content_type": headers.get("Content-Type"),
        "injects_buildbotFrontendConfig": bool(injected),
        "script_tags": re.findall(r"<script[^>]*>", index_html),
        "stylesheets": re.findall(r"<link[^>]*stylesheet[^>]*>", index_html),
    }
    answers["GET / (index.html)"] = index_html

    ws_transcript = record_ws(http, www_port, runtests, facts)
    ui = record_ui(www_port, chromium, runtests, forced_build["number"], hello["number"], stdio["slug"])
    if ui is None:
        print("Playwright or Chromium missing: the UI's own requests are not recorded", file=sys.stderr)

    fixture = {
        "buildbot": BUILDBOT_VERSION,
        "endpoints": endpoints,
        "extra_endpoints": concrete,
        "ids": {**ids, "id_by_resource": id_by_resource, "change_buildid": change_build["buildid"]},
        "config_keys": sorted(config),
        "config_nested": nested_shapes(config, "", {}),
        "index_config_keys": sorted(index_config),
        "facts": facts,
        "ws": ws_transcript,
        "ui_pages": ui,
    }
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    with open(out, "w") as f:
        json.dump(fixture, f, indent=2, sort_keys=True, ensure_ascii=False)
        f.write("\n")
    answers_path = os.path.join(os.path.dirname(os.path.abspath(out)), "buildbot-4.3-answers.json")
    text = answers_text(answers)
    if text is not None:
        with open(answers_path, "w") as f:
            f.write(text)
        print(f"wrote {answers_path} ({len(text.encode())} bytes)")
    else:
        print(f"not writing {answers_path}: over {ANSWERS_LIMIT} bytes however written", file=sys.stderr)
        sizes = sorted(((len(json.dumps(v)), k) for k, v in answers.items()), reverse=True)[:5]
        print("largest answers: " + ", ".join(f"{k} ({n})" for n, k in sizes), file=sys.stderr)
    print(f"wrote {out}")


def answers_text(answers):
    """The answers file's text: indented when that fits in ANSWERS_LIMIT, else one compact line per route;
    None when even that does not fit."""
    document = {"buildbot": BUILDBOT_VERSION, "answers": answers}
    text = json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    if len(text.encode()) <= ANSWERS_LIMIT:
        return text
    lines = [f"  {json.dumps(route, ensure_ascii=False)}: "
             f"{json.dumps(answers[route], sort_keys=True, ensure_ascii=False, separators=(',', ':'))}"
             for route in sorted(answers)]
    text = (f'{{\n  "buildbot": {json.dumps(BUILDBOT_VERSION)},\n  "answers": {{\n  '
            + ",\n  ".join(lines) + "\n  }\n}\n")
    json.loads(text)  # still one JSON document
    return text if len(text.encode()) <= ANSWERS_LIMIT else None


def record_ui(www_port, chromium, builderid, number, stepnumber, slug):
    """What Buildbot's own React UI does when some of its pages are opened, each in a fresh tab: its HTTP
    requests (REST and others) and its WebSocket frames, in order, captured with Playwright driving `chromium`.
    On the build page the step `stepnumber` is then clicked open, which shows its log. Returns None when
    Playwright or Chromium is missing."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return None
    if not chromium or not os.path.exists(chromium):
        return None
    base = f"http://127.0.0.1:{www_port}"
    build_page = f"/#/builders/{builderid}/builds/{number}"
    pages = [
        # name, route, selector to wait for, selector to click then
        ("build", build_page, f"#bb-step-{stepnumber}", f"#bb-step-{stepnumber} > div"),
        ("log", f"{build_page}/steps/{stepnumber}/logs/{slug}", None, None),
        ("builder", f"/#/builders/{builderid}", None, None),
        ("home", "/#/", None, None),
    ]

    def short(url):
        return url[len(base):] if url.startswith(base) else url

    result = {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-gpu"])
        try:
            for name, route, wait_selector, click_selector in pages:
                events = []

                def on_websocket(ws, events=events):
                    events.append({"ws_open": short(ws.url)})
                    ws.on("framesent", lambda payload: events.append({"ws_send": payload}))
                    ws.on("framereceived", lambda payload: events.append({"ws_recv": payload}))

                page = browser.new_page()
                page.on("request", lambda request, events=events: events.append(
                    {"http": request.method, "url": short(request.url), "resource": request.resource_type}))
                page.on("websocket", on_websocket)
                page.on("response", lambda response, events=events: response.status >= 400 and events.append(
                    {"http_error": response.status, "url": short(response.url)}))
                events.append({"note": f"open {route}"})
                page.goto(base + route)
                if wait_selector:
                    page.wait_for_selector(wait_selector, timeout=60_000)
                page.wait_for_timeout(3000)
                if click_selector:
                    events.append({"note": f"click {click_selector}"})
                    page.click(click_selector)
                    page.wait_for_timeout(3000)
                page.close()
                events.append({"note": "tab closed"})
                result[name] = {"route": route, "events": events}
        finally:
            browser.close()
    return result


def record_ws(http, www_port, runtests, facts):
    ws = WebSocket("127.0.0.1", www_port)
    facts["ws_handshake"] = {"status_line": ws.handshake_status,
                             "headers": sorted(k for k in ws.handshake_headers)}
    t = Transcript(ws)
    try:
        t.note("subscribe to builds/*/*")
        t.send({"cmd": "startConsuming", "path": "builds/*/*", "_id": 1})
        t.recv_until(lambda m: m.get("_id") == 1, timeout=20)
        t.note("subscribing twice to the same path is acknowledged again")
        t.send({"cmd": "startConsuming", "path": "builds/*/*", "_id": 2})
        t.recv_until(lambda m: m.get("_id") == 2, timeout=20)

        t.note("force a build; the messages it produces on builds/*/*")
        status, answer = http.force(force_params(runtests, 2), 3)
        t.note(f"force answered {status}: {json.dumps(answer, sort_keys=True)}")
        received = 0
        while received < 20:
            message = t.recv(timeout=30)
            if message is None:
                break
            received += 1
            if message.get("k", "").endswith("/finished") and message.get("k", "").startswith("builds/"):
                break

        # Let the build's request and buildset complete too, so that the next part starts from a quiet master.
        wait_for("the buildset to complete", lambda: http.api(f"/buildsets/{answer['result'][0]}")["buildsets"][0]
                 ["complete"])
        while t.recv(timeout=2) is not None:
            pass

        t.note("ping")
        t.send({"cmd": "ping", "_id": 10})
        t.recv_until(lambda m: m.get("_id") == 10, timeout=20)
        t.note("stopConsuming")
        t.send({"cmd": "stopConsuming", "path": "builds/*/*", "_id": 11})
        t.recv_until(lambda m: m.get("_id") == 11, timeout=20)

        t.note("error cases: stopConsuming a path not consumed, unknown cmd, no _id, no cmd, missing argument")
        t.send({"cmd": "stopConsuming", "path": "builds/*/*", "_id": 12})
        t.recv_until(lambda m: m.get("_id") == 12, timeout=20)
        t.send({"cmd": "frobnicate", "_id": 13})
        t.recv_until(lambda m: m.get("_id") == 13, timeout=20)
        t.send({"cmd": "ping"})
        t.recv(timeout=10)
        t.send({"_id": 14})
        t.recv(timeout=10)
        t.send({"cmd": "startConsuming", "_id": 15})
        t.recv_until(lambda m: m.get("_id") == 15, timeout=20)

        t.note("subscribe to WS_PATHS")
        next_id = 20
        for path in WS_PATHS:
            t.send({"cmd": "startConsuming", "path": path, "_id": next_id})
            t.recv_until(lambda m, i=next_id: m.get("_id") == i, timeout=20)
            next_id += 1
        t.note("force another build; everything it produces on those paths")
        status, answer = http.force(force_params(runtests, 3), 4)
        t.note(f"force answered {status}: {json.dumps(answer, sort_keys=True)}")
        bsid = answer["result"][0]
        t.recv_until(lambda m: m.get("k") == f"buildsets/{bsid}/complete", timeout=120, limit=400)
        while t.recv(timeout=2) is not None:  # stragglers
            pass
        for path in WS_PATHS:
            t.send({"cmd": "stopConsuming", "path": path, "_id": next_id})
            t.recv_until(lambda m, i=next_id: m.get("_id") == i, timeout=20)
            next_id += 1
    finally:
        ws.close()
    return t.entries


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--venv", required=True, help="virtualenv with buildbot, buildbot-worker, buildbot-www")
    parser.add_argument("--out", required=True, help="the fixture to write")
    parser.add_argument("--chromium", default=os.environ.get("GANTRY_TEST_CHROMIUM") or shutil.which("chromium"),
                        help="Chromium for recording what the React UI requests (default: $GANTRY_TEST_CHROMIUM "
                             "or `chromium` on PATH; without one that part is skipped)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory (for debugging)")
    args = parser.parse_args()
    record(os.path.abspath(args.venv), args.out, chromium=args.chromium, keep=args.keep)


if __name__ == "__main__":
    main()
