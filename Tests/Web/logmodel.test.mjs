import assert from "node:assert/strict";
import { describe, test } from "node:test";

import {
    BLOCK_SIZE,
    LRUCache,
    MAX_SCROLL_HEIGHT,
    blockOf,
    blockSpan,
    blocksCovering,
    clampRange,
    formatAnchor,
    isAtBottom,
    lineRange,
    parseAnchor,
    rangeContains,
    scrollLayout,
    scrollTopShowing,
    splitChannel,
    splitContent,
    visibleRange,
} from "../../Sources/GantryAPI/Web/Assets/logmodel.js";

describe("anchors", () => {
    test("#L5 is one line, numbered from 0 as the API numbers them", () => {
        assert.deepEqual(parseAnchor("#L5"), { first: 5, last: 5 });
        assert.deepEqual(parseAnchor("L5"), { first: 5, last: 5 });
        assert.deepEqual(parseAnchor("#L0"), { first: 0, last: 0 });
        assert.deepEqual(parseAnchor("#L0-3"), { first: 0, last: 3 });
    });

    test("#L5-9 and #L5-L9 are a range", () => {
        assert.deepEqual(parseAnchor("#L5-9"), { first: 5, last: 9 });
        assert.deepEqual(parseAnchor("#L5-L9"), { first: 5, last: 9 });
    });

    test("a reversed range is put in order", () => {
        assert.deepEqual(parseAnchor("#L9-5"), { first: 5, last: 9 });
    });

    test("anything else is no anchor", () => {
        for (const hash of ["", "#", "#L", "#l5", "#L-5", "#L5-", "#L5-9-12", "#L 5", "#Lx", "#L5-9x",
            "#L1.5", "#top", "#L99999999999", "#L1-99999999999", undefined, null]) {
            assert.equal(parseAnchor(hash), null, String(hash));
        }
    });

    test("formatting round-trips", () => {
        assert.equal(formatAnchor({ first: 12, last: 12 }), "#L12");
        assert.equal(formatAnchor({ first: 12, last: 20 }), "#L12-20");
        assert.deepEqual(parseAnchor(formatAnchor({ first: 3, last: 7 })), { first: 3, last: 7 });
    });

    test("a shift-click range takes either order", () => {
        assert.deepEqual(lineRange(10, 4), { first: 4, last: 10 });
        assert.deepEqual(lineRange(4, 10), { first: 4, last: 10 });
    });

    test("ranges are clamped to the log", () => {
        assert.deepEqual(clampRange({ first: 5, last: 50 }, 20), { first: 5, last: 19 });
        assert.deepEqual(clampRange({ first: 19, last: 30 }, 20), { first: 19, last: 19 });
        assert.equal(clampRange({ first: 20, last: 30 }, 20), null);
        assert.equal(clampRange({ first: 0, last: 0 }, 0), null);
        assert.equal(clampRange(null, 20), null);
    });

    test("membership of a line in a range", () => {
        const range = { first: 5, last: 9 };
        assert.equal(rangeContains(range, 4), false);
        assert.equal(rangeContains(range, 5), true);
        assert.equal(rangeContains(range, 9), true);
        assert.equal(rangeContains(range, 10), false);
        assert.equal(rangeContains(null, 0), false);
    });
});

describe("blocks", () => {
    test("a line's block", () => {
        assert.equal(blockOf(0), 0);
        assert.equal(blockOf(BLOCK_SIZE - 1), 0);
        assert.equal(blockOf(BLOCK_SIZE), 1);
        assert.equal(blockOf(25, 10), 2);
    });

    test("a block's span is cut at the end of the log", () => {
        assert.deepEqual(blockSpan(0, 1200, 500), { offset: 0, limit: 500 });
        assert.deepEqual(blockSpan(2, 1200, 500), { offset: 1000, limit: 200 });
        assert.deepEqual(blockSpan(3, 1200, 500), { offset: 1500, limit: 0 });
        assert.deepEqual(blockSpan(0, 0, 500), { offset: 0, limit: 0 });
    });

    test("the blocks covering a range", () => {
        assert.deepEqual(blocksCovering(0, 9, 10), [0]);
        assert.deepEqual(blocksCovering(9, 10, 10), [0, 1]);
        assert.deepEqual(blocksCovering(15, 42, 10), [1, 2, 3, 4]);
        assert.deepEqual(blocksCovering(0, -1, 10), []);
    });

    test("content splits into lines, each ending in a newline", () => {
        assert.deepEqual(splitContent("a\nb\n"), ["a", "b"]);
        assert.deepEqual(splitContent("a\n\nb\n"), ["a", "", "b"]);
        assert.deepEqual(splitContent("\n"), [""]);
        assert.deepEqual(splitContent(""), []);
        assert.deepEqual(splitContent("no newline"), ["no newline"]);
    });

    test("a stdio line's channel is its first character", () => {
        assert.deepEqual(splitChannel("ohello", "s"), { channel: "o", text: "hello" });
        assert.deepEqual(splitChannel("eoops", "s"), { channel: "e", text: "oops" });
        assert.deepEqual(splitChannel("hcommand", "s"), { channel: "h", text: "command" });
        assert.deepEqual(splitChannel("", "s"), { channel: "o", text: "" });
        assert.deepEqual(splitChannel("xunknown", "s"), { channel: "o", text: "xunknown" });
        assert.deepEqual(splitChannel("ehello", "t"), { channel: "o", text: "ehello" });
    });
});

describe("visible range", () => {
    const metrics = { viewportHeight: 200, lineHeight: 20, numLines: 1000 };

    test("at the top", () => {
        assert.deepEqual(visibleRange({ ...metrics, scrollTop: 0 }), { first: 0, last: 9, top: 0 });
    });

    test("part-way, with a margin", () => {
        assert.deepEqual(visibleRange({ ...metrics, scrollTop: 1010, margin: 5 }), { first: 45, last: 65, top: 900 });
    });

    test("at the end the range stops at the last line", () => {
        const range = visibleRange({ ...metrics, scrollTop: 20_000 - 200, margin: 5 });
        assert.deepEqual(range, { first: 985, last: 999, top: 19_700 });
    });

    test("a scroll position past the end is clamped", () => {
        assert.deepEqual(visibleRange({ ...metrics, scrollTop: 1e9 }), visibleRange({ ...metrics, scrollTop: 19_800 }));
    });

    test("a log shorter than the viewport", () => {
        const range = visibleRange({ ...metrics, numLines: 3, scrollTop: 0, margin: 10 });
        assert.deepEqual(range, { first: 0, last: 2, top: 0 });
    });

    test("an empty log shows nothing", () => {
        const range = visibleRange({ ...metrics, numLines: 0, scrollTop: 0, margin: 10 });
        assert.deepEqual(range, { first: 0, last: -1, top: 0 });
    });

    test("a log taller than the spacer limit is compressed", () => {
        const huge = { viewportHeight: 500, lineHeight: 20, numLines: 10_000_000 };
        const layout = scrollLayout(huge);
        assert.equal(layout.height, MAX_SCROLL_HEIGHT);
        assert.ok(layout.ratio > 1);
        const end = visibleRange({ ...huge, scrollTop: layout.maxScroll });
        assert.equal(end.last, huge.numLines - 1);
        // The last line ends exactly at the bottom of the spacer.
        assert.equal(end.top + (end.last - end.first + 1) * huge.lineHeight, layout.height);
        const middle = visibleRange({ ...huge, scrollTop: layout.maxScroll / 2 });
        assert.ok(Math.abs(middle.first - huge.numLines / 2) < 100);
    });

    test("scrolling to a line shows it a third of the way down", () => {
        assert.equal(scrollTopShowing(100, 100, metrics), 100 * 20 - 200 / 3);
        for (const numLines of [1000, 10_000_000]) {
            const m = { ...metrics, numLines };
            for (const line of [0, 1, 500, numLines - 1]) {
                const range = visibleRange({ ...m, scrollTop: scrollTopShowing(line, line, m) });
                assert.ok(range.first <= line && line <= range.last, `${line} of ${numLines}`);
            }
        }
    });

    test("scrolling to a range shows all of it when it fits", () => {
        // 8 lines of 20 px in a 200 px viewport: centred, 20 px above.
        assert.equal(scrollTopShowing(120, 127, metrics), 120 * 20 - 20);
        for (const [first, last] of [[120, 125], [120, 127], [120, 129], [990, 999], [0, 9]]) {
            const range = visibleRange({ ...metrics, scrollTop: scrollTopShowing(first, last, metrics) });
            assert.ok(range.first <= first && last <= range.last, `${first}-${last}: ${JSON.stringify(range)}`);
        }
    });

    test("a range taller than the viewport starts at its top", () => {
        assert.equal(scrollTopShowing(120, 140, metrics), 120 * 20);
    });

    test("a scroll container at its end", () => {
        assert.equal(isAtBottom({ scrollTop: 800, clientHeight: 200, scrollHeight: 1000 }), true);
        assert.equal(isAtBottom({ scrollTop: 797, clientHeight: 200, scrollHeight: 1000 }), true);
        assert.equal(isAtBottom({ scrollTop: 700, clientHeight: 200, scrollHeight: 1000 }), false);
        assert.equal(isAtBottom({ scrollTop: 0, clientHeight: 200, scrollHeight: 100 }), true);
    });
});

describe("LRU cache", () => {
    test("evicts the least recently used", () => {
        const cache = new LRUCache(2);
        cache.set(1, "a");
        cache.set(2, "b");
        cache.set(3, "c");
        assert.equal(cache.has(1), false);
        assert.deepEqual(cache.keys(), [2, 3]);
    });

    test("get makes an entry recent, peek does not", () => {
        const cache = new LRUCache(2);
        cache.set(1, "a");
        cache.set(2, "b");
        assert.equal(cache.get(1), "a");
        cache.set(3, "c");
        assert.deepEqual(cache.keys(), [1, 3]);
        assert.equal(cache.peek(1), "a");
        cache.set(4, "d");
        assert.deepEqual(cache.keys(), [3, 4]);
    });

    test("setting again replaces and refreshes", () => {
        const cache = new LRUCache(2);
        cache.set(1, "a");
        cache.set(2, "b");
        cache.set(1, "A");
        cache.set(3, "c");
        assert.deepEqual(cache.keys(), [1, 3]);
        assert.equal(cache.get(1), "A");
        assert.equal(cache.size, 2);
    });

    test("a miss is undefined", () => {
        assert.equal(new LRUCache(1).get("x"), undefined);
    });

    test("never grows past its capacity", () => {
        const cache = new LRUCache(16);
        for (let block = 0; block < 10_000; block += 1) cache.set(block, block);
        assert.equal(cache.size, 16);
        assert.deepEqual(cache.keys(), Array.from({ length: 16 }, (_, k) => 10_000 - 16 + k));
    });

    test("a capacity below one is refused", () => {
        assert.throws(() => new LRUCache(0), RangeError);
    });
});
