import assert from "node:assert/strict";
import { describe, test } from "node:test";

import {
    AnsiParser,
    MAX_LINE_CHARS,
    capLine,
    defaultState,
    foldCarriageReturns,
    xtermColour,
} from "../../Sources/GantryAPI/Web/Assets/ansi.js";

const ESC = "\x1b";

/** Spans of one line from a fresh parser. */
function parse(line) {
    return new AnsiParser().parse(line);
}

function span(text, classes = [], style = "") {
    return { text, classes, style };
}

describe("16 colours", () => {
    test("a plain line is one unstyled span", () => {
        assert.deepEqual(parse("hello world"), [span("hello world")]);
    });

    test("an empty line has no spans", () => {
        assert.deepEqual(parse(""), []);
    });

    test("30–37 and 40–47 select palette classes", () => {
        assert.deepEqual(parse(`${ESC}[31mred${ESC}[0m plain`), [span("red", ["sgr-fg-1"]), span(" plain")]);
        assert.deepEqual(parse(`${ESC}[37;40mx`), [span("x", ["sgr-fg-7", "sgr-bg-0"])]);
    });

    test("90–97 and 100–107 select the bright half", () => {
        assert.deepEqual(parse(`${ESC}[90mgrey`), [span("grey", ["sgr-fg-8"])]);
        assert.deepEqual(parse(`${ESC}[97;107mx`), [span("x", ["sgr-fg-15", "sgr-bg-15"])]);
    });

    test("an empty SGR resets", () => {
        assert.deepEqual(parse(`${ESC}[32mgreen${ESC}[mplain`), [span("green", ["sgr-fg-2"]), span("plain")]);
    });

    test("attributes have their classes", () => {
        assert.deepEqual(parse(`${ESC}[1;2;3;4mx`), [
            span("x", ["sgr-bold", "sgr-dim", "sgr-italic", "sgr-underline"]),
        ]);
    });

    test("adjacent runs of the same rendition merge", () => {
        assert.deepEqual(parse(`${ESC}[31ma${ESC}[31mb${ESC}[1m${ESC}[22mc`), [span("abc", ["sgr-fg-1"])]);
    });
});

describe("256 colours and true colour", () => {
    test("0–15 map to the palette classes", () => {
        assert.deepEqual(parse(`${ESC}[38;5;9mx`), [span("x", ["sgr-fg-9"])]);
        assert.deepEqual(parse(`${ESC}[48;5;4mx`), [span("x", ["sgr-bg-4"])]);
    });

    test("16–231 are the xterm cube", () => {
        assert.deepEqual(xtermColour(16), { rgb: [0, 0, 0] });
        assert.deepEqual(xtermColour(196), { rgb: [255, 0, 0] });
        assert.deepEqual(xtermColour(231), { rgb: [255, 255, 255] });
        assert.deepEqual(xtermColour(67), { rgb: [95, 135, 175] });
        assert.deepEqual(parse(`${ESC}[38;5;208mx`), [span("x", [], "color: rgb(255, 135, 0)")]);
    });

    test("232–255 are the grey ramp", () => {
        assert.deepEqual(xtermColour(232), { rgb: [8, 8, 8] });
        assert.deepEqual(xtermColour(255), { rgb: [238, 238, 238] });
        assert.deepEqual(parse(`${ESC}[48;5;244mx`), [span("x", [], "background-color: rgb(128, 128, 128)")]);
    });

    test("38;2 and 48;2 are true colour", () => {
        assert.deepEqual(parse(`${ESC}[38;2;10;20;30;48;2;255;255;0mx`), [
            span("x", [], "color: rgb(10, 20, 30); background-color: rgb(255, 255, 0)"),
        ]);
    });

    test("the colon forms are read too", () => {
        assert.deepEqual(parse(`${ESC}[38:2::1:2:3mx`), [span("x", [], "color: rgb(1, 2, 3)")]);
        assert.deepEqual(parse(`${ESC}[38:2:1:2:3mx`), [span("x", [], "color: rgb(1, 2, 3)")]);
        assert.deepEqual(parse(`${ESC}[48:5:1mx`), [span("x", ["sgr-bg-1"])]);
        assert.deepEqual(parse(`${ESC}[4:3mx${ESC}[4:0my`), [span("x", ["sgr-underline"]), span("y")]);
    });

    test("out-of-range colours select nothing and do not eat what follows", () => {
        assert.deepEqual(parse(`${ESC}[38;5;256;1mx`), [span("x", ["sgr-bold"])]);
        assert.deepEqual(parse(`${ESC}[38;2;1;2;999;4mx`), [span("x", ["sgr-underline"])]);
        assert.deepEqual(parse(`${ESC}[38;5mx`), [span("x")]);
        assert.deepEqual(parse(`${ESC}[38;9;1mx`), [span("x", ["sgr-bold"])]);
    });

    test("huge or malformed parameters are ignored", () => {
        assert.deepEqual(parse(`${ESC}[99999999999999999999;31mx`), [span("x", ["sgr-fg-1"])]);
        assert.deepEqual(parse(`${ESC}[3<1mx`), [span("x")]);
    });
});

describe("resets and inverse", () => {
    test("22 ends bold and dim, 23 italic, 24 underline, 27 inverse", () => {
        const parser = new AnsiParser();
        parser.parse(`${ESC}[1;2;3;4;7m`);
        const all = { bold: true, dim: true, italic: true, underline: true, inverse: true };
        assert.deepEqual(parser.state, { ...defaultState(), ...all });
        parser.parse(`${ESC}[22m`);
        assert.equal(parser.state.bold || parser.state.dim, false);
        parser.parse(`${ESC}[23;24;27m`);
        assert.deepEqual(parser.state, defaultState());
    });

    test("39 and 49 restore the default colours, 0 everything", () => {
        assert.deepEqual(parse(`${ESC}[31;42ma${ESC}[39mb${ESC}[49mc`), [
            span("a", ["sgr-fg-1", "sgr-bg-2"]),
            span("b", ["sgr-bg-2"]),
            span("c"),
        ]);
        assert.deepEqual(parse(`${ESC}[1;31;44ma${ESC}[0mb`), [
            span("a", ["sgr-bold", "sgr-fg-1", "sgr-bg-4"]),
            span("b"),
        ]);
    });

    test("inverse swaps the colours", () => {
        assert.deepEqual(parse(`${ESC}[7mx`), [span("x", ["sgr-inverse"])]);
        assert.deepEqual(parse(`${ESC}[31;7mx`), [span("x", ["sgr-inverse", "sgr-bg-1"])]);
        assert.deepEqual(parse(`${ESC}[38;5;208;44;7mx`), [
            span("x", ["sgr-inverse", "sgr-fg-4"], "background-color: rgb(255, 135, 0)"),
        ]);
    });
});

describe("state across lines", () => {
    test("a colour set on one line continues on the next until reset", () => {
        const parser = new AnsiParser();
        assert.deepEqual(parser.parse(`${ESC}[33mstart`), [span("start", ["sgr-fg-3"])]);
        assert.deepEqual(parser.parse("middle"), [span("middle", ["sgr-fg-3"])]);
        assert.deepEqual(parser.parse(`end${ESC}[0m`), [span("end", ["sgr-fg-3"])]);
        assert.deepEqual(parser.parse("after"), [span("after")]);
    });

    test("a parser starts from a given state without sharing it", () => {
        const first = new AnsiParser();
        first.parse(`${ESC}[1;35m`);
        const state = first.state;
        const second = new AnsiParser(state);
        assert.deepEqual(second.parse("x"), [span("x", ["sgr-bold", "sgr-fg-5"])]);
        second.parse(`${ESC}[0m`);
        assert.deepEqual(state.fg, { index: 5 });
        assert.deepEqual(first.parse("y"), [span("y", ["sgr-bold", "sgr-fg-5"])]);
    });
});

describe("other escapes are dropped", () => {
    test("cursor movement and erase-display CSI sequences", () => {
        assert.deepEqual(parse(`a${ESC}[2Ab${ESC}[10;20Hc${ESC}[?25ld${ESC}[2Je`), [span("abcde")]);
    });

    test("OSC ended by BEL or ST, hyperlinks keep their text", () => {
        assert.deepEqual(parse(`${ESC}]0;title\x07text`), [span("text")]);
        const link = `${ESC}]8;;https://example.com${ESC}\\link${ESC}]8;;${ESC}\\ after`;
        assert.deepEqual(parse(link), [span("link after")]);
    });

    test("an unterminated OSC hides the rest, as in a terminal", () => {
        assert.deepEqual(parse(`before${ESC}]0;never ends`), [span("before")]);
    });

    test("charset selection, lone ESC, a truncated CSI and control characters", () => {
        assert.deepEqual(parse(`${ESC}(Ba${ESC}=b\x07c\x00d`), [span("abcd")]);
        assert.deepEqual(parse(`text${ESC}`), [span("text")]);
        assert.deepEqual(parse(`text${ESC}[1;3`), [span("text")]);
    });

    test("a tab is kept, a C1 CSI is read like ESC [", () => {
        assert.deepEqual(parse("a\tb"), [span("a\tb")]);
        assert.deepEqual(parse("\x9b31mred"), [span("red", ["sgr-fg-1"])]);
    });

    test("markup in a line is plain text", () => {
        assert.deepEqual(parse(`<script>alert(1)</script>${ESC}[1m&amp;`), [
            span("<script>alert(1)</script>"),
            span("&amp;", ["sgr-bold"]),
        ]);
    });
});

describe("carriage returns", () => {
    test("text after the last \\r overwrites from column 0", () => {
        assert.equal(foldCarriageReturns("10%\r50%\r100%"), "100%");
        assert.equal(foldCarriageReturns("abcdef\rXY"), "XYcdef");
    });

    test("a trailing \\r changes nothing", () => {
        assert.equal(foldCarriageReturns("done\r"), "done");
        assert.equal(foldCarriageReturns("a\rb\r"), "b");
    });

    test("erase-in-line after \\r clears what was there", () => {
        assert.equal(foldCarriageReturns(`downloading 10%\r${ESC}[Kdone`), "done");
        assert.equal(foldCarriageReturns(`abcdef\r${ESC}[2Kxy`), "xy");
        assert.equal(foldCarriageReturns(`abcdef${ESC}[3D${ESC}[1K`), "abcdef".replace(/./g, " "));
    });

    test("backspace steps back a column", () => {
        assert.equal(foldCarriageReturns("ab\bc"), "ac");
    });

    test("overwritten cells keep the style they were written with", () => {
        assert.deepEqual(parse(`${ESC}[31mred text\r${ESC}[32mgreen`), [
            span("green", ["sgr-fg-2"]),
            span("ext", ["sgr-fg-1"]),
        ]);
    });

    test("only \\r: an empty line", () => {
        assert.equal(foldCarriageReturns("\r\r"), "");
    });

    test("surrogate pairs are one column", () => {
        assert.equal(foldCarriageReturns("😀😀\rx"), "x😀");
    });
});

describe("long lines", () => {
    test("a line is cut at the limit with a count of what was left out", () => {
        const spans = parse("x".repeat(MAX_LINE_CHARS + 1234));
        assert.equal(spans.length, 2);
        assert.equal(spans[0].text.length, MAX_LINE_CHARS);
        assert.deepEqual(spans[1], span("… 1234 more characters", ["log-truncated"]));
    });

    test("a line at the limit is whole", () => {
        assert.deepEqual(capLine("y".repeat(MAX_LINE_CHARS)), { text: "y".repeat(MAX_LINE_CHARS), omitted: 0 });
    });

    test("the cut never splits a surrogate pair", () => {
        const line = "a".repeat(MAX_LINE_CHARS - 1) + "😀" + "b";
        const { text, omitted } = capLine(line);
        assert.equal(text.length, MAX_LINE_CHARS - 1);
        assert.equal(omitted, 3);
    });

    test("a huge line of escapes is parsed in bounded time", () => {
        const start = performance.now();
        const spans = parse(`${ESC}[31m${"\r".repeat(1_000_000)}x`);
        assert.ok(performance.now() - start < 1000);
        assert.equal(spans.at(-1).classes[0], "log-truncated");
    });
});
