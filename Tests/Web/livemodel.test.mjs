import assert from "node:assert/strict";
import { describe, test } from "node:test";

import {
    CLOSED,
    CONNECTING,
    OFFLINE_AFTER_MS,
    OPEN,
    RefreshScheduler,
    feedStatus,
    feedURL,
    isFieldDirty,
    matchesFilter,
    parseEventID,
    parseFilter,
    parseMessage,
    parsePaths,
} from "../../Sources/GantryAPI/Web/Assets/livemodel.js";

/** Timers that run only when the test advances the clock. */
class FakeTimers {
    now = 0;
    #next = 1;
    #pending = new Map();

    setTimeout(callback, delay) {
        const id = this.#next++;
        this.#pending.set(id, { at: this.now + delay, callback });
        return id;
    }

    clearTimeout(id) {
        this.#pending.delete(id);
    }

    get count() {
        return this.#pending.size;
    }

    /** Advances the clock, running due callbacks (and the promises they start) in order. */
    async advance(ms) {
        const end = this.now + ms;
        for (;;) {
            const due = [...this.#pending].filter(([, t]) => t.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
            if (due === undefined) break;
            this.#pending.delete(due[0]);
            this.now = due[1].at;
            due[1].callback();
            await settle();
        }
        this.now = end;
        await settle();
    }
}

async function settle() {
    for (let k = 0; k < 10; k += 1) await Promise.resolve();
}

describe("paths and URLs", () => {
    test("a data-feed attribute is split, trimmed and deduplicated", () => {
        assert.deepEqual(parsePaths("builds/*/*, steps/*/*,,builds/*/*"), ["builds/*/*", "steps/*/*"]);
        assert.deepEqual(parsePaths(""), []);
        assert.deepEqual(parsePaths(undefined), []);
        assert.deepEqual(parsePaths(" , "), []);
    });

    test("the feed URL has one path each and asks for the message format", () => {
        assert.equal(
            feedURL(["builds/*/*", "logs/7/*"]),
            "/api/v2/events?path=builds/*/*&path=logs/7/*&format=message",
        );
        assert.equal(feedURL(["a b&c"], 42), "/api/v2/events?path=a%20b%26c&after=42&format=message");
        assert.equal(feedURL([]), "/api/v2/events?format=message");
    });

    test("an event id attribute", () => {
        assert.equal(parseEventID("123"), 123);
        assert.equal(parseEventID("0"), 0);
        for (const text of [undefined, "", "-1", "1e3", "12a", "9999999999999999"]) {
            assert.equal(parseEventID(text), null);
        }
    });

    test("a message carries its key and data", () => {
        assert.deepEqual(parseMessage('{"key": "builds/12/finished", "data": {"buildid": 12}}'), {
            key: "builds/12/finished",
            data: { buildid: 12 },
        });
        assert.deepEqual(parseMessage('{"key": "resync"}'), { key: "resync", data: null });
        for (const text of ["", "not json", "null", "[]", '{"data": {}}', '{"key": 3}']) {
            assert.equal(parseMessage(text), null, text);
        }
    });
});

describe("filters", () => {
    test("no filter matches everything", () => {
        assert.equal(matchesFilter(null, { buildid: 1 }), true);
        assert.equal(matchesFilter(null, null), true);
    });

    test("every field must be there with the same value", () => {
        const filter = { buildid: 12, builderid: 3 };
        assert.equal(matchesFilter(filter, { buildid: 12, builderid: 3, number: 5 }), true);
        assert.equal(matchesFilter(filter, { buildid: 12, builderid: 4 }), false);
        assert.equal(matchesFilter(filter, { buildid: 12 }), false);
        assert.equal(matchesFilter(filter, null), false);
        assert.equal(matchesFilter(filter, "text"), false);
    });

    test("a number and its string are the same; null only equals null", () => {
        assert.equal(matchesFilter({ buildid: "12" }, { buildid: 12 }), true);
        assert.equal(matchesFilter({ buildid: 12 }, { buildid: "12" }), true);
        assert.equal(matchesFilter({ results: null }, { results: null }), true);
        assert.equal(matchesFilter({ results: null }, { results: "null" }), false);
        assert.equal(matchesFilter({ complete: true }, { complete: false }), false);
    });

    test("an array accepts any of its values", () => {
        assert.equal(matchesFilter({ builderid: [1, 2] }, { builderid: 2 }), true);
        assert.equal(matchesFilter({ builderid: [1, 2] }, { builderid: 3 }), false);
    });

    test("objects never match, inherited fields do not count", () => {
        assert.equal(matchesFilter({ properties: {} }, { properties: {} }), false);
        assert.equal(matchesFilter({ toString: "x" }, {}), false);
    });

    test("a filter attribute is a JSON object or nothing", () => {
        assert.deepEqual(parseFilter('{"buildid": 12}'), { buildid: 12 });
        for (const text of [undefined, null, "", "{", "[1]", "12", "null"]) assert.equal(parseFilter(text), null);
    });
});

describe("indicator", () => {
    test("open is live", () => {
        assert.deepEqual(feedStatus({ readyState: OPEN, opened: true, failingSince: null, now: 0 }), {
            state: "live",
            text: "live",
        });
    });

    test("connecting, then reconnecting, then offline after 30 s", () => {
        const connecting = feedStatus({ readyState: CONNECTING, opened: false, failingSince: 0, now: 10 });
        assert.deepEqual(connecting, { state: "reconnecting", text: "connecting…" });
        const reconnecting = feedStatus({ readyState: CONNECTING, opened: true, failingSince: 0, now: 29_999 });
        assert.deepEqual(reconnecting, { state: "reconnecting", text: "reconnecting…" });
        const offline = feedStatus({ readyState: CONNECTING, opened: true, failingSince: 0, now: OFFLINE_AFTER_MS });
        assert.deepEqual(offline, { state: "offline", text: "offline: this page will not update" });
    });

    test("a closed source is offline at once", () => {
        assert.equal(feedStatus({ readyState: CLOSED, opened: true, failingSince: null, now: 0 }).state, "offline");
    });
});

describe("refresh scheduling", () => {
    function scheduler({ blocked = () => false, result = true } = {}) {
        const timers = new FakeTimers();
        const runs = [];
        const refresh = new RefreshScheduler(
            () => {
                runs.push(timers.now);
                return typeof result === "function" ? result() : result;
            },
            { delay: 300, isBlocked: blocked, timers },
        );
        return { timers, runs, refresh };
    }

    test("a burst of requests is one refresh after the delay", async () => {
        const { timers, runs, refresh } = scheduler();
        refresh.request();
        await timers.advance(100);
        refresh.request();
        refresh.request();
        await timers.advance(199);
        assert.deepEqual(runs, []);
        await timers.advance(1);
        assert.deepEqual(runs, [300]);
        await timers.advance(1000);
        assert.deepEqual(runs, [300]);
    });

    test("a steady stream still refreshes every delay", async () => {
        const { timers, runs, refresh } = scheduler();
        for (let t = 0; t < 1000; t += 50) {
            refresh.request();
            await timers.advance(50);
        }
        assert.deepEqual(runs, [300, 600, 900]);
    });

    test("a request during a refresh runs another after it", async () => {
        let finish;
        const { timers, runs, refresh } = scheduler({ result: () => new Promise((resolve) => (finish = resolve)) });
        refresh.request();
        await timers.advance(300);
        assert.deepEqual(runs, [300]);
        refresh.request();
        refresh.request();
        await timers.advance(1000);
        assert.deepEqual(runs, [300], "never two at once");
        finish(true);
        await settle();
        await timers.advance(300);
        assert.deepEqual(runs, [300, 1600]);
    });

    test("while blocked the refresh waits, and runs once unblocked", async () => {
        let blocked = true;
        const { timers, runs, refresh } = scheduler({ blocked: () => blocked });
        refresh.request();
        await timers.advance(300);
        assert.deepEqual(runs, []);
        assert.equal(refresh.deferred, true);
        refresh.unblocked();
        await timers.advance(1000);
        assert.deepEqual(runs, [], "still blocked");
        blocked = false;
        refresh.unblocked();
        await timers.advance(300);
        assert.deepEqual(runs, [1600]);
        assert.equal(refresh.deferred, false);
    });

    test("unblocking without a waiting refresh does nothing", async () => {
        const { timers, runs, refresh } = scheduler();
        refresh.unblocked();
        await timers.advance(1000);
        assert.deepEqual(runs, []);
    });

    test("a refresh that found the page blocked waits too", async () => {
        let result = false;
        const { timers, runs, refresh } = scheduler({ result: () => result });
        refresh.request();
        await timers.advance(300);
        assert.equal(refresh.deferred, true);
        result = true;
        refresh.unblocked();
        await timers.advance(300);
        assert.deepEqual(runs, [300, 600]);
        assert.equal(refresh.deferred, false);
    });

    test("a failed refresh does not stop later ones", async () => {
        let fail = true;
        const { timers, runs, refresh } = scheduler({
            result: () => {
                if (fail) throw new Error("network");
                return true;
            },
        });
        refresh.request();
        await timers.advance(300);
        fail = false;
        refresh.request();
        await timers.advance(300);
        assert.deepEqual(runs, [300, 600]);
    });

    test("cancel drops what is pending", async () => {
        const { timers, runs, refresh } = scheduler();
        refresh.request();
        refresh.cancel();
        assert.equal(timers.count, 0);
        await timers.advance(1000);
        assert.deepEqual(runs, []);
    });
});

describe("dirty forms", () => {
    test("text fields compare value and default", () => {
        assert.equal(isFieldDirty({ type: "text", value: "a", defaultValue: "a" }), false);
        assert.equal(isFieldDirty({ type: "text", value: "ab", defaultValue: "a" }), true);
        assert.equal(isFieldDirty({ type: "textarea", value: "", defaultValue: "x" }), true);
        assert.equal(isFieldDirty({ type: "hidden", value: "1", defaultValue: "1" }), false);
    });

    test("checkboxes and radios compare checks", () => {
        const box = { type: "checkbox", value: "on", defaultValue: "on" };
        assert.equal(isFieldDirty({ ...box, checked: true, defaultChecked: false }), true);
        assert.equal(isFieldDirty({ ...box, type: "radio", checked: false, defaultChecked: false }), false);
    });

    test("selects compare their options", () => {
        const options = [{ selected: false, defaultSelected: true }, { selected: true, defaultSelected: false }];
        assert.equal(isFieldDirty({ type: "select-one", options, value: "b" }), true);
        const same = [{ selected: true, defaultSelected: true }];
        assert.equal(isFieldDirty({ type: "select-multiple", options: same, value: "a" }), false);
    });

    test("a single select with no default starts on its first option", () => {
        const first = [{ selected: true, defaultSelected: false }, { selected: false, defaultSelected: false }];
        assert.equal(isFieldDirty({ type: "select-one", options: first, value: "a" }), false);
        const second = [{ selected: false, defaultSelected: false }, { selected: true, defaultSelected: false }];
        assert.equal(isFieldDirty({ type: "select-one", options: second, value: "b" }), true);
    });

    test("buttons and fieldsets are never dirty", () => {
        assert.equal(isFieldDirty({ type: "submit", value: "Go" }), false);
        assert.equal(isFieldDirty({ type: "fieldset" }), false);
    });
});
