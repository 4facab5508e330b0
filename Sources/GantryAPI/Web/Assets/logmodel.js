// The log viewer's arithmetic, without the DOM: line anchors, blocks of lines, the block cache and which lines a
// scroll position shows. Lines are numbered from 0 everywhere, as the API numbers them: in anchors (`#L0` is the
// first line), in the gutter and in the server-rendered window's ids.

/** Lines fetched per request and cached together. */
export const BLOCK_SIZE = 500;

/**
 * The tallest spacer used, in pixels. Browsers cap an element's height (Firefox near 17.9 million pixels), so a
 * longer log scrolls through a compressed spacer and the lines are placed relative to the viewport.
 */
export const MAX_SCROLL_HEIGHT = 10_000_000;

/** Line numbers an anchor may name; larger ones are refused rather than rounded. */
const MAX_LINE_NUMBER = 1_000_000_000;

/**
 * The line range of a fragment: `#L12` is `{first: 12, last: 12}`, `#L12-20` and `#L20-12` (or `#L12-L20`) are
 * `{first: 12, last: 20}`; anything else is `null`.
 */
export function parseAnchor(hash) {
    const match = /^#?L(\d{1,10})(?:-L?(\d{1,10}))?$/.exec(hash ?? "");
    if (match === null) return null;
    const first = Number(match[1]);
    const last = match[2] === undefined ? first : Number(match[2]);
    if (Math.max(first, last) > MAX_LINE_NUMBER) return null;
    return lineRange(first, last);
}

/** The fragment naming a line range. */
export function formatAnchor({ first, last }) {
    return first === last ? `#L${first}` : `#L${first}-${last}`;
}

/** The range between two line numbers given in either order (a shift-click before or after the first click). */
export function lineRange(a, b) {
    return { first: Math.min(a, b), last: Math.max(a, b) };
}

/** `range` limited to a log of `numLines` lines, or `null` when it starts past the end. */
export function clampRange(range, numLines) {
    if (range === null || range.first >= numLines) return null;
    return { first: range.first, last: Math.min(range.last, numLines - 1) };
}

/** Whether line `index` is in `range` (which may be `null`). */
export function rangeContains(range, index) {
    return range !== null && index >= range.first && index <= range.last;
}

/** The block holding line `index`. */
export function blockOf(index, blockSize = BLOCK_SIZE) {
    return Math.floor(index / blockSize);
}

/** The lines of block `block` that exist in a log of `numLines` lines, as the API's `offset` and `limit`. */
export function blockSpan(block, numLines, blockSize = BLOCK_SIZE) {
    const offset = block * blockSize;
    return { offset, limit: Math.max(0, Math.min(blockSize, numLines - offset)) };
}

/** The blocks holding lines `first...last` (empty when `last < first`). */
export function blocksCovering(first, last, blockSize = BLOCK_SIZE) {
    const blocks = [];
    if (last < first) return blocks;
    for (let block = blockOf(first, blockSize); block <= blockOf(last, blockSize); block += 1) blocks.push(block);
    return blocks;
}

/** The lines of a `logchunks` content: each line ends in `\n`, so the empty string after the last is dropped. */
export function splitContent(content) {
    const lines = content.split("\n");
    if (lines[lines.length - 1] === "") lines.pop();
    return lines;
}

/**
 * A line's channel (`o` stdout, `e` stderr, `h` header) and its text: a stdio log (`type` `s`) starts every line
 * with the channel's letter; other logs are all text.
 */
export function splitChannel(line, type) {
    const channel = line[0];
    if (type === "s" && (channel === "o" || channel === "e" || channel === "h")) {
        return { channel, text: line.slice(1) };
    }
    return { channel: "o", text: line };
}

/**
 * Spacer height and compression for a log: `ratio` is how many content pixels one scrolled pixel moves (1 unless
 * the log is taller than `MAX_SCROLL_HEIGHT`).
 */
export function scrollLayout({ numLines, lineHeight, viewportHeight }) {
    const contentHeight = numLines * lineHeight;
    const height = Math.min(contentHeight, MAX_SCROLL_HEIGHT);
    const maxScroll = Math.max(0, height - viewportHeight);
    const ratio = maxScroll > 0 ? Math.max(1, (contentHeight - viewportHeight) / maxScroll) : 1;
    return { height, maxScroll, ratio };
}

/**
 * The lines to render at a scroll position, `margin` more on each side, and `top`: where in the spacer the first
 * of them goes. `last < first` for an empty log.
 */
export function visibleRange({ scrollTop, viewportHeight, lineHeight, numLines, margin = 0 }) {
    const { maxScroll, ratio } = scrollLayout({ numLines, lineHeight, viewportHeight });
    if (numLines === 0 || lineHeight <= 0) return { first: 0, last: -1, top: 0 };
    const scrolled = Math.min(Math.max(0, scrollTop), maxScroll);
    const contentTop = scrolled * ratio;
    const first = Math.max(0, Math.floor(contentTop / lineHeight) - margin);
    const lastVisible = Math.ceil((contentTop + viewportHeight) / lineHeight) - 1;
    const last = Math.min(numLines - 1, lastVisible + margin);
    return { first, last, top: scrolled - contentTop + first * lineHeight };
}

/**
 * The scroll position that shows lines `first...last`: a short range starts a third of the way down the viewport,
 * a taller one is centred, and one taller than the viewport starts at its top.
 */
export function scrollTopShowing(first, last, { numLines, lineHeight, viewportHeight }) {
    const { maxScroll, ratio } = scrollLayout({ numLines, lineHeight, viewportHeight });
    const height = (last - first + 1) * lineHeight;
    const above = Math.max(0, Math.min(viewportHeight / 3, (viewportHeight - height) / 2));
    return Math.min(Math.max(0, (first * lineHeight - above) / ratio), maxScroll);
}

/** Whether a scroll container is at (within `slack` pixels of) its end: the reader follows new lines. */
export function isAtBottom({ scrollTop, clientHeight, scrollHeight }, slack = 4) {
    return scrollTop + clientHeight >= scrollHeight - slack;
}

/** A map that keeps the `capacity` entries used last, so the viewer never holds the whole log. */
export class LRUCache {
    #entries = new Map();

    constructor(capacity) {
        if (!(capacity >= 1)) throw new RangeError("an LRU cache needs a capacity of at least 1");
        this.capacity = capacity;
    }

    get size() {
        return this.#entries.size;
    }

    has(key) {
        return this.#entries.has(key);
    }

    /** The value for `key`, which becomes the most recently used. */
    get(key) {
        if (!this.#entries.has(key)) return undefined;
        const value = this.#entries.get(key);
        this.#entries.delete(key);
        this.#entries.set(key, value);
        return value;
    }

    /** The value for `key` without marking it used. */
    peek(key) {
        return this.#entries.get(key);
    }

    /** Stores `value` as the most recently used, evicting the least recently used entries beyond capacity. */
    set(key, value) {
        this.#entries.delete(key);
        this.#entries.set(key, value);
        for (const oldest of this.#entries.keys()) {
            if (this.#entries.size <= this.capacity) break;
            this.#entries.delete(oldest);
        }
    }

    /** Keys from least to most recently used. */
    keys() {
        return [...this.#entries.keys()];
    }
}
