#!/usr/bin/env python3
"""Buildbot's own web UI, served by a Gantry master, in a real browser: a `gantry master` on SQLite with
`www: {buildbotUI: STATIC}` and two native workers, Chromium driven by Playwright, and the UI's pages used as a
Buildbot user would use them.

Usage: buildbot_ui.py GANTRY STATIC ARTIFACTS [--chromium PATH]

GANTRY is the built `gantry` executable; STATIC the `static` folder of an installed buildbot-www 4.3 (it is never
part of Gantry); ARTIFACTS a folder for screenshots and the processes' logs. Chromium is $GANTRY_TEST_CHROMIUM
unless --chromium says otherwise; Playwright only drives it (no browser is downloaded). The scenarios run in
order in one browser context; the exit status is 0 when all of them passed.

What it checks: the UI loads at /buildbot/ with Gantry's configuration, opens its WebSocket at /buildbot/ws and
has its subscriptions acknowledged, and lists the builders; a build forced through the API shows on its page as
running and turns green there without a reload, fed by the socket; its log shows its lines; and the builder's
force dialog starts a build that runs to success.
"""
import argparse, os, re, time

from playwright.sync_api import expect

from browser_support import Cluster, Scenarios, new_context, parse_arguments, run, wait_until

CONFIG = r"""name: buildbot-ui
http: 127.0.0.1:@HTTP@
claimPoll: 1s
workerPort: {address: "127.0.0.1:@WORKERPORT@", keepalive: 2s}
www: {buildbotUI: "@STATIC@"}
workers:
  - {name: w1, password: pass-w1}
  - {name: w2, password: pass-w2}
builders:
  - name: demo
    description: Greets three times, slowly enough to watch it happen
    workers: [w1, w2]
    steps:
      - name: greet
        shell: |
          echo 'hello, 3 lines follow'
          i=0
          while [ -e '@HOLD@' ] && [ $i -lt 1200 ]; do sleep 0.1; i=$((i + 1)); done
          for n in 1 2 3; do echo "line $n of 3"; sleep 0.3; done
schedulers:
  - {name: force, type: force, builderNames: [demo]}
"""


class BuildbotUI(Scenarios):
    """The scenarios, in order, in one browser context: each may rely on what the ones before it did."""

    screenshot_prefix = "buildbot-ui-"

    def __init__(self, cluster, context, artifacts):
        super().__init__(cluster, artifacts)
        self.context = context
        self.ui = cluster.base + "/buildbot/"
        self.demo = next(b for b in self.api.get("/api/v2/builders")["builders"] if b["name"] == "demo")
        # What the pages' sockets said and were told, by page.
        self.frames = []
        self.errors = []
        context.on("weberror", lambda error: self.errors.append(str(error.error)))

    def page(self):
        page = self.context.new_page()
        page.on("websocket", self.watch)
        return page

    def watch(self, socket):
        self.frames.append(("open", socket.url))
        socket.on("framesent", lambda payload: self.frames.append(("sent", payload)))
        socket.on("framereceived", lambda payload: self.frames.append(("received", payload)))

    def wait_for_frame(self, page, pattern, what, timeout=30):
        """Waits for a frame received matching `pattern`; Playwright delivers events only while it is called, so
        the wait is the page's own."""
        end = time.monotonic() + timeout
        while not self.received(pattern):
            if time.monotonic() > end:
                raise AssertionError(f"timed out after {timeout} s waiting for {what}")
            page.wait_for_timeout(100)

    def received(self, pattern):
        return [payload for kind, payload in self.frames if kind == "received" and re.search(pattern, str(payload))]

    def builders(self):
        """The UI loads with Gantry's configuration, its socket is acknowledged, and it lists the builders."""
        page = self.page()
        page.goto(self.ui + "#/builders")
        expect(page.get_by_role("link", name="demo").first).to_be_visible()
        config = page.evaluate("() => window.buildbotFrontendConfig")
        assert config["title"] == "Gantry" and config["buildbotURL"] == self.ui, config
        # The UI warns when the address it was reached at is not buildbotURL.
        expect(page.get_by_text("buildbotURL")).to_have_count(0)
        opened = [url for kind, url in self.frames if kind == "open"]
        assert opened and all(url == f"ws://127.0.0.1:{self.cluster.http}/buildbot/ws" for url in opened), opened
        self.wait_for_frame(page, r'"msg":\s*"OK"', "the socket to acknowledge a subscription")
        self.screenshot(page, "builders")
        page.close()

    def live_build(self):
        """A build forced through the API shows on its page as running, then turns green there, unreloaded."""
        open(self.cluster.hold, "w").close()
        try:
            build = self.api.build_of(self.api.force("force"))

            def greeting():
                return next((s for s in self.api.steps(build) if s["name"] == "greet"), None)
            step = wait_until(greeting, "the build's greet step to start")
            page = self.page()
            page.goto(self.ui + f"#/builders/{self.demo['builderid']}/builds/{build['number']}")
            self.mark(page)
            row = page.locator(f"#bb-step-{step['number']}")
            expect(row).to_contain_text("greet")
            expect(row.locator(".results_PENDING").first).to_be_visible()
            self.screenshot(page, "build-running")
        finally:
            os.remove(self.cluster.hold)
        expect(row.locator(".results_SUCCESS").first).to_be_visible(timeout=60_000)
        self.still_marked(page)
        self.wait_for_frame(page, r'"k":\s*"builds/%d/' % build["buildid"], "an event of the build on the socket")
        self.screenshot(page, "build-finished")
        assert self.api.build(build["buildid"])["results"] == 0
        self.build, self.step = build, step
        page.close()

    def log(self):
        """The finished build's log shows its lines."""
        page = self.page()
        page.goto(self.ui + f"#/builders/{self.demo['builderid']}/builds/{self.build['number']}"
                  f"/steps/{self.step['number']}/logs/stdio")
        for n in (1, 2, 3):
            expect(page.get_by_text(f"line {n} of 3").first).to_be_visible()
        self.screenshot(page, "log")
        page.close()

    def force_dialog(self):
        """The builder's force dialog starts a build, which runs to success."""
        before = {b["buildid"] for b in self.api.builds(self.demo["builderid"])}
        schedulers = self.api.get(f"/api/v2/builders/{self.demo['builderid']}/forceschedulers")["forceschedulers"]
        scheduler = next(s for s in schedulers if s["name"] == "force")
        page = self.page()
        page.goto(self.ui + f"#/builders/{self.demo['builderid']}")
        page.get_by_role("button", name=scheduler.get("button_name") or scheduler["name"]).first.click()
        dialog = page.locator(".bb-forcebuild-modal")
        expect(dialog).to_be_visible()
        self.screenshot(page, "force-dialog")
        dialog.get_by_role("button", name="Start build").click()
        expect(dialog).to_be_hidden()

        def forced():
            return next((b for b in self.api.builds(self.demo["builderid"]) if b["buildid"] not in before), None)
        build = wait_until(forced, "the build forced from the dialog to start")
        build = self.api.finished(build)
        assert build["results"] == 0, build
        self.screenshot(page, "forced")
        page.close()

    ORDER = ["builders", "live_build", "log", "force_dialog"]

    def run(self):
        failed = []
        for name in self.ORDER:
            print(f"--- {name}", flush=True)
            if not self.attempt(name, getattr(self, name), self.context, self.errors):
                failed.append(name)
                # The scenarios build on each other: after a failure the rest would only fail for it.
                break
        with open(os.path.join(self.artifacts, "buildbot-ui-frames.txt"), "w") as f:
            for kind, payload in self.frames:
                f.write(f"{kind} {payload}\n")
        return failed


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("gantry")
    parser.add_argument("static")
    parser.add_argument("artifacts")
    arguments = parse_arguments(parser)
    if not os.path.isfile(os.path.join(arguments.static, "index.html")):
        parser.error(f"{arguments.static} is not buildbot-www's static folder (no index.html)")
    # No user: the master has no `auth`, and answers the data API on loopback as it is.
    cluster = Cluster(arguments.gantry, CONFIG, {"STATIC": os.path.abspath(arguments.static)})
    run(cluster, arguments.chromium, arguments.artifacts,
        lambda browser: BuildbotUI(cluster, new_context(browser), arguments.artifacts).run())


if __name__ == "__main__":
    main()
