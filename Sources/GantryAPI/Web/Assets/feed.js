// The event feed of a page: one EventSource on /api/v2/events, its state shown in the header's #live-status so a
// page that stopped updating says so.
import { CLOSED, OFFLINE_AFTER_MS, feedStatus, feedURL, parseMessage } from "./livemodel.js";

/**
 * Follows the events matching `paths` (from event id `after` when given) and calls `onEvent(key, data)` for each,
 * `onOpen()` on every (re)connection. Returns `{close()}`.
 */
export function openFeed(paths, { after = null, onEvent, onOpen = () => {} }) {
    let source = null;
    let opened = false;
    let failingSince = null;
    let timer = 0;

    const update = () => {
        clearTimeout(timer);
        const status = feedStatus({ readyState: source.readyState, opened, failingSince, now: Date.now() });
        showStatus(status);
        // Still reconnecting: look again when the failure has lasted long enough to call the page offline.
        if (status.state === "reconnecting") timer = setTimeout(update, failingSince + OFFLINE_AFTER_MS - Date.now());
    };
    const connect = () => {
        failingSince = Date.now();
        source = new EventSource(feedURL(paths, after));
        source.onopen = () => {
            opened = true;
            failingSince = null;
            update();
            onOpen();
        };
        source.onmessage = (event) => {
            const message = parseMessage(event.data);
            if (message !== null) onEvent(message.key, message.data);
        };
        source.onerror = () => {
            failingSince ??= Date.now();
            update();
        };
        update();
    };
    // A page restored from the back-forward cache has had its connection closed.
    const restored = (event) => {
        if (event.persisted && source.readyState === CLOSED) connect();
    };

    connect();
    window.addEventListener("pageshow", restored);
    return {
        close() {
            window.removeEventListener("pageshow", restored);
            clearTimeout(timer);
            source.close();
            showStatus(null);
        },
    };
}

/** Shows a `feedStatus` in the indicator, or empties it (a page that follows nothing). */
function showStatus(status) {
    const indicator = document.getElementById("live-status");
    if (indicator === null) return;
    indicator.classList.remove("live", "reconnecting", "offline");
    indicator.textContent = status?.text ?? "";
    if (status !== null) indicator.classList.add(status.state);
}
