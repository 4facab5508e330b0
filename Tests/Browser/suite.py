#!/usr/bin/env python3
"""The web UI in a real browser: a `gantry master` on SQLite with two native workers, Chromium driven by
Playwright, and scenarios that click through the pages as a person would.

Usage: suite.py GANTRY ARTIFACTS [--chromium PATH] [--scenario NAME ...]

GANTRY is the built `gantry` executable; ARTIFACTS a folder for the screenshots (one full page of each main page,
and of every page open when a scenario fails) and the processes' logs. Chromium is $GANTRY_TEST_CHROMIUM unless
--chromium says otherwise; Playwright only drives it (no browser is downloaded). The scenarios run in order, each
in a browser context of its own; the exit status is 0 when all of them passed.

The master runs with `--exit-with-parent` and the workers likewise, so nothing outlives the suite even when it is
killed; every path out of the suite also stops them itself.
"""
import argparse, contextlib, os, re

from playwright.sync_api import expect

from browser_support import Cluster, Scenarios, new_context, parse_arguments, run, wait_until

# What the scenarios assume about the pages, beyond the markup the shared contract fixes (`#content`,
# `#live-status`, `body[data-feed]`, the log viewer's `#log` and its `.line`/`.ln`/`.text` lines):
#
# - A builder's page has its force form as a plain `<form method="post">` holding an input per parameter, named
#   after it (`count`, `greeting`), and a submit button; the page lists the builder's builds, each linking to
#   `/builders/{builderid}/builds/{number}` or `/builds/{buildid}`.
# - A build's page lists its steps, each in one of STEP_ROW's elements holding the step's name, a link to each of
#   its logs as `/logs/{logid}` and, once the step has ended, its result as text ("success").
# - The log viewer renders SGR colours as elements inside a line's `.text`, offers the search as a text input
#   matching LOG_SEARCH (Enter finds the next match and brings its line into view) and links the raw download.
#   Without JavaScript, `?from=N` shows a window of lines from N with links to the others (`from=`), and `?q=TEXT`
#   the window of the first match, its line marked `.hit`.
# - The workers page has, per worker, a pause form whose action names the worker (`/workers/{id}` or
#   `/workers/{name}`) with a `reason` field and a button labelled "Pause"; a paused worker's reason is shown.
# - `#live-status` reads "live" while the feed is connected and "reconnecting…" while it tries again.
STEP_ROW = "#content tr, #content li, #content .step"
LOG_SEARCH = "input[type='search'], input[name='q']"
LIVE = re.compile(r"\blive\b", re.IGNORECASE)
RECONNECTING = re.compile(r"reconnecting", re.IGNORECASE)
SUCCESS = re.compile(r"success", re.IGNORECASE)

# The pages with a fixed address, and the screenshots' names.
MAIN_PAGES = {
    "home": "/", "builders": "/builders", "grid": "/grid", "workers": "/workers", "pools": "/pools",
    "buildrequests": "/buildrequests", "changes": "/changes", "schedulers": "/schedulers", "masters": "/masters",
    "reporters": "/reporters", "audit": "/audit",
}
NAVIGATION = [
    "Home", "Builders", "Grid", "Workers", "Pools", "Requests", "Changes", "Schedulers", "Masters", "Reporters",
    "Audit",
]
# The users of CONFIG's `auth`: ada may do everything, dave (a developer) may force and rebuild only.
ADMIN, ADMIN_PASSWORD = "ada", "ada-secret"
DEVELOPER, DEVELOPER_PASSWORD = "dave", "dave-secret"
BIGLOG_LINES = 200_000
# The one line of biglog's output holding the search term; the term never appears in the command, which the
# log's header echoes, so it occurs exactly once.
NEEDLE_LINE, NEEDLE = 150_000, "QUOKKA"

CONFIG = r"""name: browser-suite
http: 127.0.0.1:@HTTP@
auth:
  users:
    - {name: ada, password: "$2b$04$4k57AdzuVTMzeeBwSzpoPOJiJ.FSoBkJccHU2hyc/y9RsWJwHujNe", roles: [admin]}
    - {name: dave, password: "$2b$04$99YCZfXlryExFWwZxPqXNeTfSFJDpBpdF9GMM1UiEfDtpoamCxc1O", roles: [developer]}
  rules:
    - {actions: [force, rebuild], roles: [developer, admin]}
    - {actions: "*", roles: [admin]}
claimPoll: 1s
workerPort: {address: "127.0.0.1:@WORKERPORT@", keepalive: 2s}
workers:
  - {name: w1, password: pass-w1}
  - {name: w2, password: pass-w2}
builders:
  - name: demo
    description: Greets a few times, slowly enough to watch it happen
    tags: [demo]
    workers: [w1, w2]
    steps:
      - name: greet
        shell: |
          printf '\033[1;34m%s\033[0m, %s lines follow\n' '%(prop:greeting)s' '%(prop:count)s'
          i=0
          while [ -e '@HOLD@' ] && [ $i -lt 1200 ]; do sleep 0.1; i=$((i + 1)); done
          for n in $(seq 1 '%(prop:count)s'); do
            printf '\033[32mline %s of %s\033[0m \033[2m(%s)\033[0m\n' "$n" '%(prop:count)s' '%(prop:greeting)s'
            sleep 1
          done
          printf '\033[33mdone\033[0m, said on stderr\n' >&2
  - name: biglog
    description: Prints @BIGLOG@ coloured lines
    tags: [logs]
    workers: [w1, w2]
    steps:
      - name: print
        shell: |
          awk -v lines=@BIGLOG@ -v needle=@NEEDLE_LINE@ 'BEGIN {
            term = "QUO" "KKA"
            for (i = 1; i <= lines; i++)
              if (i == needle) printf "\033[1;31mneedle %s\033[0m at output line %d\n", term, i
              else printf "\033[36m%06d\033[0m biglog line \033[35m%d\033[0m\n", i, i
          }'
schedulers:
  - name: force
    type: force
    builderNames: [demo]
    parameters:
      - {name: count, type: int, label: Count, default: 2}
      - {name: greeting, type: string, label: Greeting, default: hello}
  - {name: force-biglog, type: force, builderNames: [biglog]}
"""


class Suite(Scenarios):
    """The scenarios, each given a browser context of its own, against one cluster."""

    def __init__(self, cluster, browser, artifacts):
        super().__init__(cluster, artifacts)
        self.browser = browser

    def context(self, user=ADMIN, password=ADMIN_PASSWORD, **options):
        """A browser context logged in as `user` through the login form (none: anonymous)."""
        context = new_context(self.browser, base_url=self.cluster.base, **options)
        if user:
            self.log_in(context, user, password)
        return context

    @staticmethod
    def log_in(context, user, password):
        page = context.new_page()
        page.goto("/login?next=/builders")
        page.get_by_label("User").fill(user)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url("**/builders")
        expect(page.locator("#account-user")).to_have_text(user)
        page.close()

    def build_link(self, page, build):
        return page.locator(f"#content a[href='/builders/{build['builderid']}/builds/{build['number']}'], "
                            f"#content a[href='/builds/{build['buildid']}']")

    def step_row(self, page, name):
        return page.locator(STEP_ROW).filter(has_text=re.compile(rf"\b{name}\b")).filter(
            has=page.locator("a[href^='/logs/']")).last

    # The scenarios, in the order they run.

    def force_demo_and_watch(self, context):
        """Force `demo` from its builder's page; its build page shows the step end in success and its log viewer
        shows the lines as they are written, neither reloading."""
        open(self.cluster.hold, "w").close()
        try:
            self.watch_demo(context)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.remove(self.cluster.hold)

    def watch_demo(self, context):
        demo = self.api.one("builders", name="demo")
        page = context.new_page()
        page.goto(f"/builders/{demo['builderid']}")
        before = self.api.newest_build(demo["builderid"])
        form = page.locator("#content form[method='post' i]").filter(has=page.locator("input[name='count']"))
        form.locator("input[name='count']").fill("3")
        form.locator("input[name='greeting']").fill("bonjour")
        self.screenshot(page, "builder-force-form")
        form.get_by_role("button").last.click()
        page.wait_for_load_state()

        def forced():
            newest = self.api.newest_build(demo["builderid"])
            return newest if newest and (before is None or newest["buildid"] != before["buildid"]) else None
        build = wait_until(forced, "the forced build to start")
        link = self.build_link(page, build)
        expect(link.first).to_be_visible()
        link.first.click()
        page.wait_for_load_state()
        self.mark(page)
        row = self.step_row(page, "greet")
        expect(row).to_be_visible()
        expect(row).not_to_contain_text(SUCCESS)
        self.screenshot(page, "build-running")

        # The step is held after its first line: the viewer opens on a running log.
        viewer = context.new_page()
        viewer.goto(row.locator("a[href^='/logs/']").first.get_attribute("href"))
        log = viewer.locator("#log")
        expect(log).to_have_attribute("data-complete", "false")
        expect(viewer.locator("#log .line.o", has_text="bonjour, 3 lines follow")).to_have_count(1)
        expect(viewer.locator("#log .line", has_text="line 1 of 3")).to_have_count(0)
        self.mark(viewer)
        os.remove(self.cluster.hold)

        for n in (1, 2, 3):
            expect(viewer.locator("#log .line.o", has_text=f"line {n} of 3")).to_have_count(1, timeout=60_000)
        expect(viewer.locator("#log .line.e", has_text="said on stderr")).to_have_count(1, timeout=60_000)
        first = viewer.locator("#log .line.o", has_text="line 1 of 3").locator(".text")
        expect(first).to_have_text("line 1 of 3 (bonjour)")
        expect(first.locator("*").first).to_be_attached()
        self.still_marked(viewer)
        self.screenshot(viewer, "log-viewer-live")

        expect(row).to_contain_text(SUCCESS, timeout=60_000)
        self.still_marked(page)
        self.screenshot(page, "build-finished")
        assert self.api.build(build["buildid"])["results"] == 0

    def big_log(self, context):
        """A 200,000-line log: scroll to its middle, search a term that occurs once near line 150,000, and follow
        `#L` anchors; the window of lines in the page stays small."""
        build = self.api.finished(self.api.build_of(self.api.force("force-biglog")), timeout=300)
        log = self.api.log_of(build, "print")
        logid, lines = log["logid"], log["num_lines"]
        assert lines > BIGLOG_LINES, f"biglog's log has {lines} lines"
        search = f"/api/v2/logs/{logid}/search?q={NEEDLE.lower()}"
        needle = self.api.get(f"{search}&from=-1&direction=next")["line"]
        assert NEEDLE_LINE - 1 <= needle <= NEEDLE_LINE + 100, f"the search found line {needle}"
        assert self.api.get(f"{search}&from={needle}&direction=next")["line"] is None
        assert self.api.get(f"{search}&from={needle}&direction=previous")["line"] is None

        page = context.new_page()
        page.goto(f"/builds/{build['buildid']}")
        page.locator("#content a[href^='/logs/']").first.click()
        page.wait_for_load_state()
        viewer = page.locator("#log")
        expect(viewer).to_have_attribute("data-logid", str(logid))
        expect(viewer).to_have_attribute("data-num-lines", str(lines))
        expect(viewer).to_have_attribute("data-complete", "true")
        expect(page.locator(f"a[href*='/api/v2/logs/{logid}/raw']").first).to_be_attached()

        page.evaluate("""() => {
            const log = document.getElementById('log');
            const scroller = log.scrollHeight > log.clientHeight + 1 ? log : document.scrollingElement;
            scroller.scrollTop = (scroller.scrollHeight - scroller.clientHeight) / 2;
        }""")
        page.wait_for_function("""(total) => [...document.querySelectorAll('#log .line')].some(line => {
            const number = Number(line.id.slice(1));
            return number > total * 0.4 && number < total * 0.6;
        })""", arg=lines)
        rendered = page.locator("#log .line").count()
        assert rendered < 5_000, f"{rendered} lines in the page: the viewer is not windowed"
        self.screenshot(page, "log-viewer-middle")

        box = page.locator(LOG_SEARCH).first
        box.fill(NEEDLE.lower())
        box.press("Enter")
        found = page.locator(f"#L{needle}")
        expect(found).to_be_in_viewport()
        expect(found).to_contain_text(f"needle {NEEDLE}")
        expect(found).not_to_contain_text("[1;31m")
        self.screenshot(page, "log-viewer-search")

        found.locator("a.ln").click()
        expect(page).to_have_url(re.compile(rf"#L{needle}$"))
        expected = self.api.get(f"/api/v2/logs/{logid}/contents?offset=5000&limit=1")["logchunks"][0]["content"]
        text = re.sub(r"\x1b\[[0-9;]*m", "", expected[1:]).rstrip("\n")
        for anchor, first, last in ((f"#L{needle}", needle, needle), ("#L120-140", 120, 140),
                                    ("#L5000", 5000, 5000)):
            page.goto("about:blank")
            page.goto(f"/logs/{logid}{anchor}")
            expect(page.locator(f"#L{first}")).to_be_in_viewport()
            expect(page.locator(f"#L{last}")).to_be_in_viewport()
        expect(page.locator("#L5000 .text")).to_have_text(text)
        expect(page.locator("#L5000 .ln")).to_have_text("5000")

        bare = self.context(java_script_enabled=False)
        try:
            plain = bare.new_page()
            plain.goto(f"/logs/{logid}?from={needle}")
            expect(plain.locator(f"#L{needle}")).to_contain_text(NEEDLE)
            expect(plain.locator("#content a[href*='from=']").first).to_be_attached()
            plain.goto(f"/logs/{logid}?q={NEEDLE.lower()}")
            expect(plain.locator(f"#L{needle}.hit")).to_contain_text(NEEDLE)
            self.screenshot(plain, "log-viewer-without-javascript")
        finally:
            bare.close()

    def pause_worker(self, context):
        """Pause w2 with a reason from the workers page: the page shows the reason, and so does another open
        workers page, updated in place."""
        worker = self.api.one("workers", name="w2")
        reason = "disk full on w2 <cleaning up> & back soon"
        watcher = context.new_page()
        watcher.goto("/workers")
        self.mark(watcher)
        page = context.new_page()
        page.goto("/workers")
        try:
            forms = page.locator(f"#content form[action*='/workers/{worker['workerid']}'], "
                                 f"#content form[action*='/workers/w2']")
            form = forms.filter(has=page.locator("input[name='reason']")).filter(
                has=page.get_by_role("button", name=re.compile("pause", re.IGNORECASE)))
            form.locator("input[name='reason']").fill(reason)
            form.get_by_role("button", name=re.compile("pause", re.IGNORECASE)).click()
            page.wait_for_load_state()
            expect(page.locator("#content")).to_contain_text(reason)
            expect(watcher.locator("#content")).to_contain_text(reason)
            self.still_marked(watcher)
            self.screenshot(page, "workers-paused")
            paused = self.api.one("workers", name="w2")
            assert paused["paused"] and paused["pause_reason"] == reason, paused
        finally:
            self.api.call(f"/api/v2/workers/{worker['workerid']}", "unpause")

    def master_restart(self, context):
        """Restart the master while a builder's page is open: `#live-status` says it reconnects, then "live"
        again, and a build forced afterwards appears on the page without a reload."""
        demo = self.api.one("builders", name="demo")
        page = context.new_page()
        page.goto(f"/builders/{demo['builderid']}")
        status = page.locator("#live-status")
        expect(status).to_have_text(LIVE)
        self.mark(page)

        def stopped():
            expect(status).to_have_text(RECONNECTING)
            self.screenshot(page, "builder-reconnecting")
        self.cluster.restart_master(while_stopped=stopped)
        expect(status).to_have_text(LIVE, timeout=60_000)

        build = self.api.build_of(self.api.force("force", count=1, greeting="again"))
        expect(self.build_link(page, build).first).to_be_visible(timeout=60_000)
        self.still_marked(page)
        self.api.finished(build)

    def main_pages(self, context):
        """Every main page answers, has the layout, and is kept as a full-page screenshot; the builders search
        finds by name."""
        demo = self.api.one("builders", name="demo")
        build = self.api.newest_build(demo["builderid"]) or self.api.finished(
            self.api.build_of(self.api.force("force", count=1)))
        logid = self.api.log_of(build, "greet")["logid"]
        pages = MAIN_PAGES | {
            "builder": f"/builders/{demo['builderid']}", "build": f"/builds/{build['buildid']}",
            "build-by-number": f"/builders/{demo['builderid']}/builds/{build['number']}", "log": f"/logs/{logid}",
        }
        page = context.new_page()
        for name, path in pages.items():
            answer = page.goto(path)
            assert answer is not None and answer.status == 200, f"{path} answered {answer and answer.status}"
            expect(page.locator("main#content")).to_be_attached()
            expect(page.locator("#live-status")).to_be_attached()
            assert page.locator("body").get_attribute("data-feed") is not None, f"{path} has no data-feed"
            for label in NAVIGATION:
                expect(page.locator("nav a, header a").filter(has_text=label).first).to_be_attached()
            self.screenshot(page, name)
        page.goto("/builders?q=big")
        expect(page.locator("#content")).to_contain_text("biglog")
        expect(page.locator(f"#content a[href='/builders/{demo['builderid']}']")).to_have_count(0)

    def permissions(self, context):
        """A developer sees the force form but no worker or stop buttons, and a wrong password is refused; once
        logged out, the pages show no control at all."""
        demo = self.api.one("builders", name="demo")
        self.api.call("/api/v2/workers/w1", "pause", reason="for the audit log")
        self.api.call("/api/v2/workers/w1", "unpause")
        developer = self.context(user=None)
        try:
            page = developer.new_page()
            page.goto("/login")
            page.get_by_label("User").fill(DEVELOPER)
            page.get_by_label("Password").fill("wrong")
            page.get_by_role("button", name="Log in").click()
            expect(page.locator("#content .flash.error")).to_contain_text("Wrong user name or password")
            self.log_in(developer, DEVELOPER, DEVELOPER_PASSWORD)
            page.goto(f"/builders/{demo['builderid']}")
            expect(page.locator("#content form[action^='/ui/forceschedulers/']")).to_have_count(1)
            page.goto("/workers")
            expect(page.locator("#content")).to_contain_text("w1")
            expect(page.locator("#content form[action^='/ui/workers/']")).to_have_count(0)
            self.screenshot(page, "workers-as-developer")
            page.get_by_role("button", name="Log out").click()
            expect(page.get_by_role("link", name="Log in")).to_be_visible()
            page.goto(f"/builders/{demo['builderid']}")
            expect(page.locator("#content form[method='post']")).to_have_count(0)
            expect(page.locator("header nav a").filter(has_text="Audit")).to_have_count(0)
            page.goto("/audit")
            expect(page.locator("#content")).to_contain_text("You must log in")
        finally:
            developer.close()
        admin = self.context()
        try:
            page = admin.new_page()
            page.goto("/audit")
            expect(page.locator("#content")).to_contain_text("for the audit log")
        finally:
            admin.close()

    SCENARIOS = ["force_demo_and_watch", "big_log", "pause_worker", "master_restart", "main_pages", "permissions"]

    def run(self, names):
        failed = []
        for name in names:
            print(f"--- {name}", flush=True)
            context = self.context()
            errors = []
            context.on("weberror", lambda error: errors.append(str(error.error)))
            try:
                if not self.attempt(name, lambda: getattr(self, name)(context), context, errors):
                    failed.append(name)
            finally:
                context.close()
        return failed


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("gantry")
    parser.add_argument("artifacts")
    parser.add_argument("--scenario", action="append", choices=Suite.SCENARIOS,
                        help="run only this scenario (repeatable); all of them by default")
    arguments = parse_arguments(parser)
    cluster = Cluster(arguments.gantry, CONFIG, {"BIGLOG": BIGLOG_LINES, "NEEDLE_LINE": NEEDLE_LINE},
                      user=ADMIN, password=ADMIN_PASSWORD)
    run(cluster, arguments.chromium, arguments.artifacts,
        lambda browser: Suite(cluster, browser, arguments.artifacts).run(arguments.scenario or Suite.SCENARIOS))


if __name__ == "__main__":
    main()
