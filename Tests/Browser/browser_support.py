"""What the browser tests (suite.py, buildbot_ui.py) share: a `gantry master` on SQLite with two native workers,
its data API, the scenarios' screenshots and checks, and the run itself: Chromium launched, the cluster stopped
and its logs kept whatever happens.

Not a script: the scripts beside it import it (a script's own folder is on Python's path).
"""
import base64, json, os, shutil, signal, socket, subprocess, sys, tempfile, time, traceback
import urllib.error, urllib.request

from playwright.sync_api import expect, sync_playwright


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(condition, what, timeout=60):
    """Polls `condition` (connection errors count as not yet) until it returns something true, and returns it."""
    end = time.monotonic() + timeout
    while True:
        try:
            value = condition()
            if value:
                return value
        except (OSError, urllib.error.URLError):
            pass
        if time.monotonic() > end:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.1)


class API:
    """The master's data API, for setting scenes up and checking what the pages claim; as `user` when given."""

    def __init__(self, base, user=None, password=None):
        self.base = base
        self.headers = {}
        if user:
            credentials = base64.b64encode(f"{user}:{password}".encode()).decode()
            self.headers["Authorization"] = f"Basic {credentials}"

    def get(self, path):
        request = urllib.request.Request(self.base + path, headers=self.headers)
        with urllib.request.urlopen(request, timeout=30) as answer:
            return json.loads(answer.read())

    def call(self, path, method, **params):
        body = json.dumps({"jsonrpc": "2.0", "method": method, "id": 1, "params": params}).encode()
        request = urllib.request.Request(self.base + path, data=body,
                                         headers=self.headers | {"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as answer:
            return json.loads(answer.read())["result"]

    def one(self, collection, **filters):
        query = "&".join(f"{key}={value}" for key, value in filters.items())
        items = self.get(f"/api/v2/{collection}?{query}")[collection]
        assert len(items) == 1, f"expected one of {collection} with {filters}, got {items}"
        return items[0]

    def connected(self, worker):
        return any(w["connected_to"] for w in self.get(f"/api/v2/workers?name={worker}")["workers"])

    def force(self, scheduler, **params):
        """Forces `scheduler` and returns the request id of its one builder."""
        _, requests = self.call(f"/api/v2/forceschedulers/{scheduler}", "force", **params)
        return next(iter(requests.values()))

    def build(self, buildid):
        return self.get(f"/api/v2/builds/{buildid}")["builds"][0]

    def builds(self, builderid):
        """The builder's builds, newest first."""
        return self.get(f"/api/v2/builds?builderid={builderid}&order=-number")["builds"]

    def newest_build(self, builderid):
        builds = self.get(f"/api/v2/builds?builderid={builderid}&order=-number&limit=1")["builds"]
        return builds[0] if builds else None

    def steps(self, build):
        return self.get(f"/api/v2/builds/{build['buildid']}/steps")["steps"]

    def build_of(self, request, timeout=60):
        def started():
            builds = self.get(f"/api/v2/builds?buildrequestid={request}")["builds"]
            return builds[0] if builds else None
        return wait_until(started, f"a build of request {request}", timeout)

    def finished(self, build, timeout=120):
        def complete():
            current = self.build(build["buildid"])
            return current if current["complete"] else None
        return wait_until(complete, f"build {build['buildid']} to finish", timeout)

    def log_of(self, build, step_name):
        step = next(s for s in self.steps(build) if s["name"] == step_name)
        return self.get(f"/api/v2/steps/{step['stepid']}/logs")["logs"][0]


class Child:
    """A process of the test's, its output in a log file."""

    def __init__(self, arguments, log):
        self.log = log
        self.process = subprocess.Popen(arguments, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                        stderr=open(log, "w"))

    def running(self):
        return self.process.poll() is None

    def stop(self, grace=20):
        """SIGTERM, then SIGKILL after `grace` seconds; says whether it stopped on SIGTERM."""
        if not self.running():
            return True
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(grace)
            return True
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            return False


class Cluster:
    """One master on SQLite and the native workers w1 and w2, in a temporary folder, on ports fixed up front so
    the master can be restarted on the same port and database.

    `config` is the master's configuration, with @HTTP@, @WORKERPORT@ and @HOLD@ for the HTTP port, the worker
    port and the hold file, and @NAME@ for each NAME of `tokens`; it must declare w1 and w2 with the passwords
    pass-w1 and pass-w2. `api` reaches the master as `user` when given. The processes run with
    `--exit-with-parent`, so none outlives the test even when it is killed.
    """

    WORKERS = ("w1", "w2")

    def __init__(self, gantry, config, tokens=None, user=None, password=None):
        self.gantry = os.path.abspath(gantry)
        self.directory = tempfile.mkdtemp(prefix="gantry-browser-")
        self.http, self.worker_port = free_port(), free_port()
        self.base = f"http://127.0.0.1:{self.http}"
        self.api = API(self.base, user, password)
        # A step may wait while this file exists (the demo builds do, two minutes at most): time to watch it run.
        self.hold = os.path.join(self.directory, "hold")
        self.config = os.path.join(self.directory, "master.yaml")
        values = {"HTTP": self.http, "WORKERPORT": self.worker_port, "HOLD": self.hold} | (tokens or {})
        for name, value in values.items():
            config = config.replace(f"@{name}@", str(value))
        with open(self.config, "w") as f:
            f.write(config)
        self.master, self.workers, self.starts = None, [], 0

    def start(self):
        self.start_master()
        for name in self.WORKERS:
            password = os.path.join(self.directory, f"{name}.pass")
            with open(password, "w") as f:
                f.write(f"pass-{name}\n")
            self.workers.append(Child([
                self.gantry, "worker", "--master", f"127.0.0.1:{self.worker_port}", "--name", name,
                "--password-file", password, "--basedir", os.path.join(self.directory, name), "--exit-with-parent",
            ], os.path.join(self.directory, f"{name}.log")))
        for name in self.WORKERS:
            wait_until(lambda: self.api.connected(name), f"worker {name} to connect")

    def start_master(self):
        self.starts += 1
        self.master = Child([self.gantry, "master", "--config", self.config, "--exit-with-parent"],
                            os.path.join(self.directory, f"master-{self.starts}.log"))

        def ready():
            if not self.master.running():
                raise AssertionError(f"the master exited:\n{open(self.master.log).read()}")
            schedulers = self.api.get("/api/v2/schedulers")["schedulers"]
            return schedulers and all(s["master"] for s in schedulers)
        wait_until(ready, "the master to serve its API and run its schedulers")

    def restart_master(self, while_stopped=lambda: None):
        """Stops the master (SIGTERM; it must end within 20 s), calls `while_stopped`, and starts the master again
        on the same port and database."""
        stopped = self.master.stop()
        try:
            assert stopped, "the master did not stop within 20 s of SIGTERM"
            while_stopped()
        finally:
            self.start_master()

    def close(self, artifacts):
        """Stops the processes, copies their logs into `artifacts`, and removes the cluster's folder."""
        for child in [self.master] + self.workers:
            if child:
                child.stop()
        for name in os.listdir(self.directory):
            if name.endswith(".log"):
                shutil.copy(os.path.join(self.directory, name), os.path.join(artifacts, name))
        shutil.rmtree(self.directory, ignore_errors=True)


def new_context(browser, **options):
    """A browser context of the size and patience every scenario expects."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, **options)
    context.set_default_timeout(30_000)
    return context


class Scenarios:
    """A script's scenarios against `cluster`: running one, and the screenshots and checks they share."""

    screenshot_prefix = ""

    def __init__(self, cluster, artifacts):
        self.cluster, self.api, self.artifacts = cluster, cluster.api, artifacts

    def screenshot(self, page, name):
        page.screenshot(path=os.path.join(self.artifacts, f"{self.screenshot_prefix}{name}.png"), full_page=True)

    @staticmethod
    def mark(page):
        """Marks the page's window; `still_marked` says no navigation replaced it (updates arrived in place)."""
        page.evaluate("() => { window.__testMarker = 'untouched' }")

    @staticmethod
    def still_marked(page):
        assert page.evaluate("() => window.__testMarker") == "untouched", "the page was reloaded, not updated"

    def attempt(self, name, scenario, context, errors):
        """Runs `scenario` and says whether it passed: it raised nothing and `errors`, the uncaught errors of the
        pages' scripts, stayed empty. A failure is printed, and every page open in `context` kept as a screenshot
        to see why."""
        started = time.monotonic()
        try:
            scenario()
            if errors:
                raise AssertionError("uncaught errors in the pages' scripts:\n" + "\n".join(errors))
            print(f"ok {name} ({time.monotonic() - started:.1f} s)", flush=True)
            return True
        except Exception:
            print(f"FAILED {name} ({time.monotonic() - started:.1f} s)\n{traceback.format_exc()}", flush=True)
            for number, page in enumerate(context.pages):
                try:
                    self.screenshot(page, f"failed-{name}-{number}")
                except Exception as error:
                    print(f"(no screenshot of {page.url}: {error})")
            return False


def run(cluster, chromium, artifacts, scenarios):
    """Starts `cluster` and Chromium (the executable `chromium`), and exits with status 0 when
    `scenarios(browser)`, which returns the names of the scenarios that failed, returns none. The cluster is
    closed, its logs kept in `artifacts`, whatever happens."""
    # Started by a test process, the script may inherit a mask blocking signals: clear it, so SIGTERM reaches it
    # and the processes it starts (the master, the workers, Chromium) begin with none blocked.
    signal.pthread_sigmask(signal.SIG_SETMASK, [])
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    expect.set_options(timeout=30_000)
    os.makedirs(artifacts, exist_ok=True)
    try:
        cluster.start()
        with sync_playwright() as playwright:
            # Playwright only drives the Chromium it is given: no browser is downloaded.
            browser = playwright.chromium.launch(executable_path=chromium,
                                                 args=["--no-sandbox", "--disable-dev-shm-usage"])
            try:
                failed = scenarios(browser)
            finally:
                browser.close()
    finally:
        cluster.close(artifacts)
    print(f"failed: {', '.join(failed)}" if failed else "all scenarios passed")
    sys.exit(1 if failed else 0)


def parse_arguments(parser):
    """Parses the command line with `parser` and --chromium, which is $GANTRY_TEST_CHROMIUM unless given."""
    parser.add_argument("--chromium", default=os.environ.get("GANTRY_TEST_CHROMIUM"))
    arguments = parser.parse_args()
    if not arguments.chromium:
        parser.error("give --chromium or set GANTRY_TEST_CHROMIUM")
    return arguments
