// The log viewer. It takes over #log from the server-rendered window of lines (kept for readers without
// JavaScript) and makes it a scrolling virtual list that holds only the lines in view, fetched in blocks and cached
// in a bounded LRU, so a log of any length costs the same; a toolbar before it follows a running log, searches on
// the server and links the raw text. Lines get SGR colours and `\r` folding; `#L12-20` anchors select lines.
import { AnsiParser } from "./ansi.js";
import { openFeed } from "./feed.js";
import {
    BLOCK_SIZE,
    LRUCache,
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
} from "./logmodel.js";

/** Blocks kept in memory: 8,000 lines, enough to scroll back and forth without fetching again. */
const CACHED_BLOCKS = 16;
/** Lines rendered beyond each edge of the viewport, so a short scroll shows text at once. */
const MARGIN_LINES = 40;
/** How often the blocks in view are fetched while the reader scrolls (milliseconds). */
const FETCH_INTERVAL_MS = 80;
/** How long a block that failed to load is left alone before it is asked for again (milliseconds). */
const RETRY_AFTER_MS = 5_000;
/** The line height assumed when the stylesheet gives none (pixels). */
const FALLBACK_LINE_HEIGHT = 20;

class LogViewer {
    #blocks = new LRUCache(CACHED_BLOCKS);
    /** Block → the AbortController of its request. */
    #loading = new Map();
    /** Block → when its last request failed. */
    #failed = new Map();
    /** Line index → `{line, element}` as last rendered, so unchanged lines keep their elements. */
    #rendered = new Map();
    #shown = { first: 0, last: -1 };
    #frame = 0;
    #fetchTimer = 0;
    #lineHeight = FALLBACK_LINE_HEIGHT;
    /** The range the anchor selects, and the line a shift-click extends it from. */
    #selection = null;
    #anchorLine = null;
    /** The line of the last search hit, for the query that found it. */
    #hit = null;
    #query = "";
    #searchRequest = null;
    #following = false;
    #feed = null;

    #spacer = element("div", { className: "log-spacer" });
    #window = element("div", { className: "log-window" });
    #followButton = element("button", { type: "button", className: "log-follow", hidden: true }, "Follow");
    #info = element("span", { className: "log-info" });
    #note = element("span", { className: "log-note", attributes: { role: "status" } });
    #searchInput = null;
    #searchStatus = element("span", { className: "log-search-status", attributes: { role: "status" } });

    constructor(root) {
        /** #log itself scrolls: it keeps its place in the page, and the lines stay inside it. */
        this.root = root;
        this.api = `/api/v2/logs/${root.dataset.logid}`;
        const count = Number(root.dataset.numLines);
        this.numLines = Number.isSafeInteger(count) && count >= 0 ? count : 0;
        this.complete = root.dataset.complete === "true";
        this.type = root.dataset.type;
    }

    mount() {
        const start = this.#serverWindowStart();
        const form = document.getElementById("log-search");
        this.root.before(this.#toolbar(form));
        this.#spacer.append(this.#window);
        this.root.replaceChildren(this.#spacer);
        this.root.classList.add("log-view");
        this.root.tabIndex = 0;
        this.root.setAttribute("aria-label", "Log lines");
        if (form !== null) this.#mountSearch(form);
        this.#lineHeight = this.#measureLineHeight();
        this.#layout();
        this.#showInfo();

        if (!this.#applyHash()) {
            if (!this.complete) this.#resumeFollowing();
            else if (start !== null) this.#scrollTo(start);
        }
        this.root.addEventListener("scroll", () => this.#scrolled(), { passive: true });
        this.#window.addEventListener("mousedown", (event) => {
            // A shift-click on a line number extends the anchor, not the text selection.
            if (event.shiftKey && event.target.closest("a.ln") !== null) event.preventDefault();
        });
        this.#window.addEventListener("click", (event) => this.#gutterClicked(event));
        this.#followButton.addEventListener("click", () => this.#resumeFollowing());
        window.addEventListener("hashchange", () => this.#applyHash());
        window.addEventListener("resize", () => this.#resized());
        if (!this.complete) this.#startFeed();
        this.#render();
    }

    // Layout and rendering

    #toolbar(form) {
        const raw = element("a", { className: "log-raw", href: `${this.api}/raw`, download: "" }, "Download raw");
        const bar = element("div", { className: "log-toolbar" });
        // The search form moves to the toolbar when the page put it inside #log.
        if (form !== null && this.root.contains(form)) bar.append(form);
        bar.append(this.#followButton, this.#info, this.#note, raw);
        return bar;
    }

    /** The first line of the server-rendered window when the page was opened at `?from=`. */
    #serverWindowStart() {
        if (!new URLSearchParams(location.search).has("from")) return null;
        const first = this.root.querySelector(".line[id]");
        return first === null ? null : (parseAnchor(`#${first.id}`)?.first ?? null);
    }

    #measureLineHeight() {
        const probe = element("div", { className: "line o" }, element("span", { className: "text" }, "0"));
        this.#window.append(probe);
        const height = probe.getBoundingClientRect().height;
        probe.remove();
        return height >= 8 ? height : FALLBACK_LINE_HEIGHT;
    }

    #metrics() {
        return { numLines: this.numLines, lineHeight: this.#lineHeight, viewportHeight: this.root.clientHeight };
    }

    #visible(margin) {
        return visibleRange({ ...this.#metrics(), scrollTop: this.root.scrollTop, margin });
    }

    #layout() {
        this.#spacer.style.height = `${scrollLayout(this.#metrics()).height}px`;
        this.root.style.setProperty("--ln-digits", String(String(this.numLines).length));
    }

    #showInfo() {
        const lines = `${this.numLines.toLocaleString()} ${this.numLines === 1 ? "line" : "lines"}`;
        this.#info.textContent = this.complete ? lines : `${lines}, running`;
    }

    #requestRender() {
        if (this.#frame === 0) this.#frame = requestAnimationFrame(() => this.#render());
    }

    #render() {
        this.#frame = 0;
        const range = this.#visible(MARGIN_LINES);
        // Touch the blocks in view so the cache evicts others first.
        for (const block of blocksCovering(range.first, range.last)) this.#blocks.get(block);
        let changed = range.first !== this.#shown.first || range.last !== this.#shown.last;
        const rendered = new Map();
        for (let index = range.first; index <= range.last; index += 1) {
            const line = this.#line(index);
            let entry = this.#rendered.get(index);
            if (entry === undefined || entry.line !== line) {
                entry = { line, element: lineElement(index, line) };
                changed = true;
            }
            entry.element.classList.toggle("selected", rangeContains(this.#selection, index));
            entry.element.classList.toggle("hit", index === this.#hit);
            rendered.set(index, entry);
        }
        this.#rendered = rendered;
        this.#shown = range;
        this.#window.style.top = `${range.top}px`;
        if (changed) this.#window.replaceChildren(...[...rendered.values()].map((entry) => entry.element));
        this.#scheduleFetch();
    }

    /** Line `index` as parsed, or `undefined` while its block is not loaded. */
    #line(index) {
        const block = this.#blocks.peek(blockOf(index));
        return block?.lines[index - block.offset];
    }

    #resized() {
        this.#lineHeight = this.#measureLineHeight();
        this.#layout();
        if (this.#following) this.#scrollToBottom();
        this.#requestRender();
    }

    // Fetching blocks

    #scheduleFetch() {
        if (this.#fetchTimer !== 0) return;
        this.#fetchTimer = setTimeout(() => {
            this.#fetchTimer = 0;
            this.#fetchVisible();
        }, FETCH_INTERVAL_MS);
    }

    /** Requests the blocks in view that lack lines and abandons requests for blocks scrolled past. */
    #fetchVisible() {
        const range = this.#visible(MARGIN_LINES);
        const wanted = blocksCovering(range.first, range.last).filter((block) => this.#missing(block) > 0);
        for (const [block, request] of this.#loading) {
            if (wanted.includes(block)) continue;
            request.abort();
            this.#loading.delete(block);
        }
        const now = Date.now();
        for (const block of wanted) {
            const failed = this.#failed.get(block);
            if (!this.#loading.has(block) && (failed === undefined || now - failed >= RETRY_AFTER_MS)) {
                this.#load(block);
            }
        }
    }

    #missing(block) {
        return blockSpan(block, this.numLines).limit - (this.#blocks.peek(block)?.lines.length ?? 0);
    }

    /** Fetches the lines of `block` not yet cached (all of it, or the new tail of a growing log) and parses them. */
    async #load(block) {
        const { offset, limit } = blockSpan(block, this.numLines);
        const cached = this.#blocks.peek(block);
        const have = cached?.lines.length ?? 0;
        const request = new AbortController();
        this.#loading.set(block, request);
        try {
            const url = `${this.api}/contents?offset=${offset + have}&limit=${limit - have}`;
            const content = (await getJSON(url, request.signal))?.logchunks?.[0]?.content;
            if (typeof content !== "string") throw new Error("the server answered without log content");
            const texts = splitContent(content).slice(0, limit - have);
            if (texts.length === 0) throw new Error("the server answered with no lines");
            // Colours carry on from the line before: this block's last, or the previous block's when it is whole.
            const previous = this.#blocks.peek(block - 1);
            const parser = new AnsiParser(
                cached?.state ?? (previous?.lines.length === BLOCK_SIZE ? previous.state : undefined));
            const lines = texts.map((raw) => {
                const { channel, text } = splitChannel(raw, this.type);
                return { channel, spans: parser.parse(text) };
            });
            this.#blocks.set(block, { offset, lines: [...(cached?.lines ?? []), ...lines], state: parser.state });
            this.#failed.delete(block);
            this.#note.textContent = "";
        } catch {
            if (request.signal.aborted) return;
            this.#failed.set(block, Date.now());
            this.#note.textContent = `Lines ${offset + have}–${offset + limit - 1} could not be loaded; retrying.`;
            setTimeout(() => this.#requestRender(), RETRY_AFTER_MS);
        } finally {
            if (this.#loading.get(block) === request) this.#loading.delete(block);
        }
        this.#requestRender();
    }

    // Following a running log

    #startFeed() {
        this.#feed = openFeed([`logs/${this.root.dataset.logid}/*`], {
            onEvent: (key, data) => {
                if (key === "resync") this.#refreshCount();
                else if (Number.isSafeInteger(data?.num_lines)) this.#grew(data.num_lines, data.complete === true);
            },
            // Lines written before the connection (or while it was down) are counted from the log itself.
            onOpen: () => this.#refreshCount(),
        });
    }

    async #refreshCount() {
        try {
            const log = (await getJSON(this.api))?.logs?.[0];
            if (Number.isSafeInteger(log?.num_lines)) this.#grew(log.num_lines, log.complete === true);
        } catch {
            // The next event brings the count.
        }
    }

    #grew(numLines, complete) {
        if (numLines > this.numLines) {
            this.numLines = numLines;
            this.#layout();
            if (this.#following) this.#scrollToBottom();
        }
        if (complete && !this.complete) {
            this.complete = true;
            this.#feed?.close();
            this.#feed = null;
            this.#followButton.hidden = true;
        }
        this.#showInfo();
        this.#requestRender();
    }

    #scrolled() {
        const atBottom = isAtBottom(this.root);
        if (atBottom !== this.#following) this.#setFollowing(atBottom);
        this.#requestRender();
    }

    #setFollowing(following) {
        this.#following = following;
        this.#followButton.hidden = following || this.complete;
    }

    #resumeFollowing() {
        this.#setFollowing(true);
        this.#scrollToBottom();
    }

    #scrollToBottom() {
        this.root.scrollTop = this.root.scrollHeight;
    }

    /** Shows lines `first...last`, bringing the viewer into the page's view too. */
    #scrollTo(first, last = first) {
        this.#setFollowing(false);
        this.root.scrollTop = scrollTopShowing(first, last, this.#metrics());
        this.root.scrollIntoView({ block: "nearest" });
        this.#requestRender();
    }

    // Anchors

    /** Selects and shows the range of `#L12-20` in the address; whether there was one in the log. */
    #applyHash() {
        const range = clampRange(parseAnchor(location.hash), this.numLines);
        this.#selection = range;
        this.#anchorLine = range?.first ?? null;
        this.#requestRender();
        if (range === null) return false;
        this.#scrollTo(range.first, range.last);
        return true;
    }

    /** A click on a line number anchors that line; a shift-click extends the range from the line anchored. */
    #gutterClicked(event) {
        const link = event.target.closest("a.ln");
        if (link === null || event.button !== 0 || event.ctrlKey || event.metaKey || event.altKey) return;
        const clicked = parseAnchor(link.getAttribute("href"));
        if (clicked === null) return;
        event.preventDefault();
        if (!event.shiftKey || this.#anchorLine === null) this.#anchorLine = clicked.first;
        this.#selection = lineRange(this.#anchorLine, clicked.first);
        history.replaceState(history.state, "", formatAnchor(this.#selection));
        this.#requestRender();
    }

    // Search

    #mountSearch(form) {
        const input = form.elements.namedItem("q");
        if (!(input instanceof HTMLInputElement)) return;
        this.#searchInput = input;
        if (![...form.elements].some((field) => field.name === "direction")) {
            form.append(directionButton("previous", "Previous"), directionButton("next", "Next"));
        }
        form.append(this.#searchStatus);
        form.addEventListener("submit", (event) => {
            event.preventDefault();
            const previous = event.submitter?.name === "direction" && event.submitter.value === "previous";
            this.#search(previous ? "previous" : "next");
        });
        input.addEventListener("keydown", (event) => {
            // Enter is handled here: submitting implicitly would use the form's first button, "previous".
            if (event.key === "Enter" && !event.isComposing) {
                event.preventDefault();
                this.#search(event.shiftKey ? "previous" : "next");
            } else if (event.key === "Escape") {
                input.blur();
            }
        });
        document.addEventListener("keydown", (event) => this.#keyPressed(event));
    }

    /** `/` focuses the search box, `n` and `N` find the next and previous match. */
    #keyPressed(event) {
        if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
        if (event.target instanceof Element && event.target.closest("input, textarea, select, [contenteditable]")) {
            return;
        }
        if (event.key === "/") {
            event.preventDefault();
            this.#searchInput.focus();
            this.#searchInput.select();
        } else if ((event.key === "n" || event.key === "N") && this.#searchInput.value !== "") {
            event.preventDefault();
            this.#search(event.key === "n" ? "next" : "previous");
        }
    }

    /** Asks the server for the next or previous line matching the query, from the last hit if in view. */
    async #search(direction) {
        const query = this.#searchInput.value;
        if (query === "") {
            this.#searchInput.focus();
            return;
        }
        if (query !== this.#query) {
            this.#query = query;
            this.#hit = null;
        }
        const view = this.#visible(0);
        const inView = this.#hit !== null && this.#hit >= view.first && this.#hit <= view.last;
        const from = inView ? this.#hit : direction === "next" ? view.first - 1 : view.last + 1;
        this.#searchRequest?.abort();
        const request = new AbortController();
        this.#searchRequest = request;
        this.#searchStatus.textContent = "searching…";
        try {
            const url = `${this.api}/search?q=${encodeURIComponent(query)}&from=${from}&direction=${direction}`;
            const line = (await getJSON(url, request.signal))?.line;
            if (Number.isSafeInteger(line) && line >= 0) {
                this.#hit = line;
                if (line >= this.numLines) this.#grew(line + 1, this.complete);
                this.#scrollTo(line);
                this.#searchStatus.textContent = `line ${line}`;
            } else {
                this.#searchStatus.textContent = "no more matches";
            }
        } catch {
            if (!request.signal.aborted) this.#searchStatus.textContent = "search failed";
        }
    }
}

/** One line's element: the gutter link and the text as text nodes (the log is never parsed as markup). */
function lineElement(index, line) {
    const number = String(index);
    const text = element("span", { className: "text" });
    for (const span of line?.spans ?? []) {
        if (span.classes.length === 0 && span.style === "") {
            text.append(span.text);
            continue;
        }
        const styled = element("span", {}, span.text);
        if (span.classes.length > 0) styled.className = span.classes.join(" ");
        if (span.style !== "") styled.style.cssText = span.style;
        text.append(styled);
    }
    const gutter = element("a", { className: "ln", href: `#L${number}` }, number);
    return element("div", { className: `line ${line?.channel ?? "pending"}`, id: `L${number}` }, gutter, text);
}

function directionButton(direction, label) {
    return element("button", { type: "submit", name: "direction", value: direction }, label);
}

/** A new element with `properties` set on it, `attributes` as attributes, and `children` (text is text nodes). */
function element(tag, { attributes = {}, ...properties } = {}, ...children) {
    const node = document.createElement(tag);
    Object.assign(node, properties);
    for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
    node.append(...children);
    return node;
}

async function getJSON(url, signal) {
    const response = await fetch(url, { headers: { Accept: "application/json" }, signal });
    if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
    return response.json();
}

const root = document.getElementById("log");
if (root !== null && /^\d{1,15}$/.test(root.dataset.logid ?? "")) new LogViewer(root).mount();
