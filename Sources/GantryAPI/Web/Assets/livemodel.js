// The live pages' decisions, without the DOM: which events a page follows, whether one concerns it, what the
// indicator says, and when to refresh. The page's side is live.js and feed.js.

/** How long the feed may fail to connect before the indicator says the page will not update. */
export const OFFLINE_AFTER_MS = 30_000;

/** `EventSource.readyState` values (the browser's constants, which node lacks). */
export const CONNECTING = 0;
export const OPEN = 1;
export const CLOSED = 2;

/** The event path patterns of a `data-feed` attribute: comma-separated, blanks and repeats dropped. */
export function parsePaths(feed) {
    const paths = (feed ?? "")
        .split(",")
        .map((path) => path.trim())
        .filter((path) => path !== "");
    return [...new Set(paths)];
}

/**
 * The feed's URL: one `path` per pattern and `format=message`, which puts each event's key in its data, so that
 * `onmessage` sees every event (named SSE events only reach listeners registered for their exact name). `after`,
 * the newest event id the page was rendered with, closes the gap between rendering and subscribing.
 */
export function feedURL(paths, after = null) {
    const query = paths.map((path) => `path=${encodeURIComponent(path).replaceAll("%2F", "/")}`);
    if (after !== null) query.push(`after=${after}`);
    query.push("format=message");
    return `/api/v2/events?${query.join("&")}`;
}

/** An event id from a `data-feed-after` attribute, or `null` when absent or not a non-negative integer. */
export function parseEventID(text) {
    return /^\d{1,15}$/.test(text ?? "") ? Number(text) : null;
}

/** An SSE message in the `format=message` shape, `{key, data}`, or `null` when it is not one. */
export function parseMessage(text) {
    let message;
    try {
        message = JSON.parse(text);
    } catch {
        return null;
    }
    if (message === null || typeof message !== "object" || typeof message.key !== "string") return null;
    return { key: message.key, data: message.data ?? null };
}

/**
 * A `data-feed-filter` attribute: a JSON object of payload fields and the values they must have. `null` (no
 * filtering) when absent or unreadable, so a broken filter refreshes too often rather than never.
 */
export function parseFilter(text) {
    if (text === undefined || text === null || text === "") return null;
    try {
        const filter = JSON.parse(text);
        return filter !== null && typeof filter === "object" && !Array.isArray(filter) ? filter : null;
    } catch {
        return null;
    }
}

/**
 * Whether an event's payload concerns the page: every field of the filter is present with an equal value (a
 * number and its decimal string are equal, as attributes are text); an array in the filter accepts any of its
 * values.
 */
export function matchesFilter(filter, payload) {
    if (filter === null) return true;
    if (payload === null || typeof payload !== "object") return false;
    return Object.entries(filter).every(([field, wanted]) => {
        if (!Object.hasOwn(payload, field)) return false;
        const accepted = Array.isArray(wanted) ? wanted : [wanted];
        return accepted.some((value) => sameScalar(value, payload[field]));
    });
}

/** The indicator's class (`live`, `reconnecting`, `offline`) and text for the feed's state. */
export function feedStatus({ readyState, opened, failingSince, now }) {
    if (readyState === OPEN) return { state: "live", text: "live" };
    if (readyState === CLOSED || (failingSince !== null && now - failingSince >= OFFLINE_AFTER_MS)) {
        return { state: "offline", text: "offline: this page will not update" };
    }
    return { state: "reconnecting", text: opened ? "reconnecting…" : "connecting…" };
}

/**
 * Coalesces refresh requests: the first starts a `delay` timer, later ones before it fires join it, one arriving
 * during a refresh runs another after it. While `isBlocked()` (the reader is editing) a due refresh waits for
 * `unblocked()`; `run` may also return `false` to say it found the page blocked after all.
 */
export class RefreshScheduler {
    #timer = null;
    #running = false;
    #wanted = false;
    #deferred = false;

    constructor(run, { delay = 300, isBlocked = () => false, timers = globalThis } = {}) {
        this.run = run;
        this.delay = delay;
        this.isBlocked = isBlocked;
        this.timers = timers;
    }

    /** Whether a refresh waits for the reader to stop editing. */
    get deferred() {
        return this.#deferred;
    }

    request() {
        if (this.#running) {
            this.#wanted = true;
        } else if (this.#timer === null) {
            this.#timer = this.timers.setTimeout(() => this.#fire(), this.delay);
        }
    }

    /** The reader may have stopped editing: a refresh that waited for it is requested now. */
    unblocked() {
        if (this.#deferred && !this.isBlocked()) {
            this.#deferred = false;
            this.request();
        }
    }

    cancel() {
        if (this.#timer !== null) this.timers.clearTimeout(this.#timer);
        this.#timer = null;
        this.#wanted = false;
        this.#deferred = false;
    }

    async #fire() {
        this.#timer = null;
        if (this.isBlocked()) {
            this.#deferred = true;
            return;
        }
        this.#running = true;
        this.#wanted = false;
        try {
            if ((await this.run()) === false) this.#deferred = true;
        } catch {
            // A failed refresh leaves the page as it was; the next event tries again.
        } finally {
            this.#running = false;
        }
        if (this.#wanted) {
            this.#wanted = false;
            this.request();
        }
    }
}

/**
 * Whether a form field differs from what the page rendered (duck-typed over the DOM's properties): a select's
 * options, a checkbox's or radio's check, or any other field's value.
 */
export function isFieldDirty(field) {
    if (field.options !== undefined && field.type?.startsWith("select")) {
        const options = [...field.options];
        // A single select with no option marked `selected` starts on its first one.
        const implicitFirst = field.type === "select-one" && !options.some((option) => option.defaultSelected);
        return options.some((option, index) => option.selected !== (option.defaultSelected || (implicitFirst && index === 0)));
    }
    if (field.type === "checkbox" || field.type === "radio") return field.checked !== field.defaultChecked;
    return field.defaultValue !== undefined && field.value !== field.defaultValue;
}

function sameScalar(a, b) {
    const scalar = (v) => v === null || ["string", "number", "boolean"].includes(typeof v);
    return scalar(a) && scalar(b) && (a === b || (a !== null && b !== null && String(a) === String(b)));
}
