// Terminal rendering of one log line: SGR colours and attributes, `\r` and erase-in-line, other escapes dropped.
// Pure logic without the DOM. Log text is untrusted, so the result is data (text, class names from a fixed set and
// inline colours computed from numbers) that the view turns into text nodes; nothing here ever builds markup.

/** Longest line parsed, in UTF-16 code units: the rest is summarised, so one line costs bounded time and memory. */
export const MAX_LINE_CHARS = 10_000;

/** The rendition a line starts in: default colours (`null`) and no attributes. */
export function defaultState() {
    return { fg: null, bg: null, bold: false, dim: false, italic: false, underline: false, inverse: false };
}

/**
 * The colour of xterm's 256-colour palette entry `n`: 0–15 are the themed colours (`{index}`, styled by CSS
 * classes), 16–231 the 6×6×6 cube and 232–255 the grey ramp (`{rgb: [r, g, b]}`).
 */
export function xtermColour(n) {
    if (n < 16) return { index: n };
    if (n < 232) {
        const level = (v) => (v === 0 ? 0 : 55 + 40 * v);
        const m = n - 16;
        return { rgb: [level(Math.floor(m / 36)), level(Math.floor(m / 6) % 6), level(m % 6)] };
    }
    const grey = 8 + 10 * (n - 232);
    return { rgb: [grey, grey, grey] };
}

/**
 * Parses lines one after the other, carrying the rendition across them as a terminal does (a colour set on one
 * line and reset on a later one colours every line between).
 */
export class AnsiParser {
    #state;
    #style = null;

    /** @param {object} [state] a rendition to start from, as `state` returned it; copied. */
    constructor(state = defaultState()) {
        this.#state = { ...state };
    }

    /** The rendition after the last parsed line (a copy). */
    get state() {
        return { ...this.#state };
    }

    /**
     * The spans a terminal would show for `line` (without its newline): `{text, classes, style}` in order,
     * adjacent runs of the same rendition merged. `\r` returns to column 0 so what follows overwrites,
     * `ESC[K` erases, and every other control or escape sequence is dropped.
     */
    parse(line) {
        const { text, omitted } = capLine(line);
        const screen = new LineScreen();
        let i = 0;
        while (i < text.length) {
            const c = text.charCodeAt(i);
            if (c === 0x1b) {
                i = this.#escape(text, i + 1, screen);
            } else if (c === 0x9b) {
                i = this.#controlSequence(text, i + 1, screen);
            } else if (c === 0x0d) {
                screen.column = 0;
                i += 1;
            } else if (c === 0x08) {
                screen.column = Math.max(0, screen.column - 1);
                i += 1;
            } else if ((c < 0x20 && c !== 0x09) || (c >= 0x7f && c < 0xa0)) {
                i += 1;
            } else {
                const end = i + (isHighSurrogate(c) && isLowSurrogate(text.charCodeAt(i + 1)) ? 2 : 1);
                screen.write(text.slice(i, end), this.#currentStyle());
                i = end;
            }
        }
        const spans = screen.spans();
        if (omitted > 0) {
            spans.push({ text: `… ${omitted} more characters`, classes: ["log-truncated"], style: "" });
        }
        return spans;
    }

    /** Skips the escape sequence whose `ESC` precedes `i`; returns the index after it. */
    #escape(text, i, screen) {
        const next = text[i];
        if (next === undefined) return i;
        if (next === "[") return this.#controlSequence(text, i + 1, screen);
        // OSC (titles, hyperlinks) and the other string commands run to BEL or the string terminator.
        if ("]PX^_".includes(next)) return skipString(text, i + 1);
        let j = i;
        while (j < text.length && inRange(text.charCodeAt(j), 0x20, 0x2f)) j += 1;
        return j < text.length && inRange(text.charCodeAt(j), 0x30, 0x7e) ? j + 1 : j;
    }

    /** Applies or skips the control sequence whose parameters start at `i`; returns the index after it. */
    #controlSequence(text, i, screen) {
        let j = i;
        while (j < text.length && inRange(text.charCodeAt(j), 0x30, 0x3f)) j += 1;
        const parameters = text.slice(i, j);
        const intermediates = j;
        while (j < text.length && inRange(text.charCodeAt(j), 0x20, 0x2f)) j += 1;
        // A malformed sequence ends at the offending character, which is then read as text.
        if (j >= text.length || !inRange(text.charCodeAt(j), 0x40, 0x7e)) return j;
        const plain = j === intermediates && !/^[<=>?]/.test(parameters);
        if (plain && text[j] === "m") this.#selectGraphicRendition(parameters);
        if (plain && text[j] === "K") screen.erase(parameters);
        return j + 1;
    }

    #selectGraphicRendition(parameters) {
        const list = parameters.split(";");
        for (let k = 0; k < list.length; k += 1) {
            if (list[k].includes(":")) {
                this.#applyColonForm(list[k].split(":").map(toCode));
                continue;
            }
            const code = toCode(list[k]);
            if (code === 38 || code === 48) {
                const { colour, used } = extendedColour(list.slice(k + 1, k + 5).map(toCode));
                if (colour !== undefined) this.#state[code === 38 ? "fg" : "bg"] = colour;
                k += used;
            } else {
                this.#apply(code);
            }
        }
        this.#style = null;
    }

    /** ITU T.416 sub-parameters: `38:5:n`, `38:2:r:g:b` or `38:2:space:r:g:b`, `4:n` (underline styles). */
    #applyColonForm([code, ...rest]) {
        if (code === 38 || code === 48) {
            const withoutSpace = rest[0] === 2 && rest.length >= 5 ? [2, ...rest.slice(2)] : rest;
            const { colour } = extendedColour(withoutSpace);
            if (colour !== undefined) this.#state[code === 38 ? "fg" : "bg"] = colour;
        } else if (code === 4) {
            this.#state.underline = rest[0] !== 0;
        } else {
            this.#apply(code);
        }
    }

    #apply(code) {
        const s = this.#state;
        if (code === 0) Object.assign(s, defaultState());
        else if (code === 1) s.bold = true;
        else if (code === 2) s.dim = true;
        else if (code === 3) s.italic = true;
        else if (code === 4) s.underline = true;
        else if (code === 7) s.inverse = true;
        else if (code === 22) s.bold = s.dim = false;
        else if (code === 23) s.italic = false;
        else if (code === 24) s.underline = false;
        else if (code === 27) s.inverse = false;
        else if (inRange(code, 30, 37)) s.fg = { index: code - 30 };
        else if (code === 39) s.fg = null;
        else if (inRange(code, 40, 47)) s.bg = { index: code - 40 };
        else if (code === 49) s.bg = null;
        else if (inRange(code, 90, 97)) s.fg = { index: code - 90 + 8 };
        else if (inRange(code, 100, 107)) s.bg = { index: code - 100 + 8 };
    }

    #currentStyle() {
        this.#style ??= styleOf(this.#state);
        return this.#style;
    }
}

/**
 * The text a terminal shows for `line` (escape sequences dropped): after a `\r`, what follows overwrites the line
 * from column 0, so a progress bar shows its last state; a `\r` at the end changes nothing.
 */
export function foldCarriageReturns(line) {
    return new AnsiParser()
        .parse(line)
        .map((span) => span.text)
        .join("");
}

/** `line` cut to `MAX_LINE_CHARS` (never inside a surrogate pair) and how many characters were cut. */
export function capLine(line) {
    if (line.length <= MAX_LINE_CHARS) return { text: line, omitted: 0 };
    const end = isHighSurrogate(line.charCodeAt(MAX_LINE_CHARS - 1)) ? MAX_LINE_CHARS - 1 : MAX_LINE_CHARS;
    return { text: line.slice(0, end), omitted: line.length - end };
}

const BLANK = styleOf(defaultState());

/** The cells of one terminal line: a character and its style each, written at a movable column. */
class LineScreen {
    cells = [];
    styles = [];
    column = 0;

    write(character, style) {
        while (this.cells.length < this.column) this.#put(this.cells.length, " ", BLANK);
        this.#put(this.column, character, style);
        this.column += 1;
    }

    /** `ESC[K` (to the end), `ESC[1K` (from the start through the column) or `ESC[2K` (the whole line). */
    erase(parameters) {
        const mode = toCode(parameters);
        if (mode === 0) {
            this.cells.length = Math.min(this.cells.length, this.column);
            this.styles.length = this.cells.length;
        } else if (mode === 1) {
            for (let k = 0; k <= this.column && k < this.cells.length; k += 1) this.#put(k, " ", BLANK);
        } else if (mode === 2) {
            this.cells = [];
            this.styles = [];
        }
    }

    spans() {
        const spans = [];
        for (let k = 0; k < this.cells.length; k += 1) {
            const style = this.styles[k];
            const last = spans[spans.length - 1];
            if (last !== undefined && last.key === style.key) {
                last.text += this.cells[k];
            } else {
                spans.push({ text: this.cells[k], key: style.key, classes: style.classes, style: style.style });
            }
        }
        return spans.map(({ text, classes, style }) => ({ text, classes: [...classes], style }));
    }

    #put(at, character, style) {
        this.cells[at] = character;
        this.styles[at] = style;
    }
}

/** Class names (palette colours and attributes) and inline CSS (computed colours) for a rendition. */
function styleOf(state) {
    const [fg, bg] = state.inverse ? [state.bg, state.fg] : [state.fg, state.bg];
    const classes = [];
    if (state.inverse) classes.push("sgr-inverse");
    if (state.bold) classes.push("sgr-bold");
    if (state.dim) classes.push("sgr-dim");
    if (state.italic) classes.push("sgr-italic");
    if (state.underline) classes.push("sgr-underline");
    const css = [];
    if (fg?.index !== undefined) classes.push(`sgr-fg-${fg.index}`);
    if (fg?.rgb !== undefined) css.push(`color: rgb(${fg.rgb.join(", ")})`);
    if (bg?.index !== undefined) classes.push(`sgr-bg-${bg.index}`);
    if (bg?.rgb !== undefined) css.push(`background-color: rgb(${bg.rgb.join(", ")})`);
    const style = css.join("; ");
    return { classes, style, key: `${classes.join(" ")}|${style}` };
}

/**
 * The colour selected by the parameters after a 38 or 48 (`5;n` or `2;r;g;b`) and how many of them it used.
 * An out-of-range value selects nothing but is still consumed.
 */
function extendedColour([mode, ...values]) {
    const byte = (v) => Number.isInteger(v) && v >= 0 && v <= 255;
    if (mode === 5) {
        return { colour: byte(values[0]) ? xtermColour(values[0]) : undefined, used: 2 };
    }
    if (mode === 2) {
        const rgb = values.slice(0, 3);
        return { colour: rgb.length === 3 && rgb.every(byte) ? { rgb } : undefined, used: 4 };
    }
    return { colour: undefined, used: mode === undefined ? 0 : 1 };
}

/** A parameter's number; an empty parameter is 0, and anything unparsable is -1, which selects nothing. */
function toCode(parameter) {
    if (parameter === "") return 0;
    return /^\d{1,6}$/.test(parameter) ? Number(parameter) : -1;
}

/** The index after the string command starting at `i`: it ends at BEL, `ESC \` or ST, else at the line's end. */
function skipString(text, i) {
    for (let j = i; j < text.length; j += 1) {
        const c = text.charCodeAt(j);
        if (c === 0x07 || c === 0x9c) return j + 1;
        if (c === 0x1b && text[j + 1] === "\\") return j + 2;
    }
    return text.length;
}

function inRange(value, low, high) {
    return value >= low && value <= high;
}

function isHighSurrogate(c) {
    return c >= 0xd800 && c <= 0xdbff;
}

function isLowSurrogate(c) {
    return c >= 0xdc00 && c <= 0xdfff;
}
