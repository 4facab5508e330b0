// Keeps every page current: on an event the page depends on (`<body data-feed>`, narrowed by `data-feed-filter`
// on #content) it fetches the page again and swaps in the new #content, never while the reader is editing a form.
import { openFeed } from "./feed.js";
import { RefreshScheduler, isFieldDirty, matchesFilter, parseEventID, parseFilter, parsePaths } from "./livemodel.js";

const content = document.getElementById("content");
const paths = parsePaths(document.body.dataset.feed);

if (content !== null && paths.length > 0) {
    const scheduler = new RefreshScheduler(refresh, { isBlocked: editing });
    const after = parseEventID(document.body.dataset.feedAfter);
    let connections = 0;
    openFeed(paths, {
        after,
        onEvent(key, data) {
            if (key === "resync" || matchesFilter(currentFilter(), data)) scheduler.request();
        },
        // Events may have been missed before the first connection (unless the page said where it was rendered)
        // and while reconnecting.
        onOpen() {
            connections += 1;
            if (connections > 1 || after === null) scheduler.request();
        },
    });
    for (const type of ["focusout", "input", "change", "reset"]) {
        // After the event, so focus has moved and the form's state is settled.
        content.addEventListener(type, () => setTimeout(() => scheduler.unblocked()));
    }
    document.addEventListener("visibilitychange", () => scheduler.unblocked());
}

/** The filter on #content, or else on the first element inside it that has one. */
function currentFilter() {
    const holder = content.hasAttribute("data-feed-filter") ? content : content.querySelector("[data-feed-filter]");
    return parseFilter(holder?.getAttribute("data-feed-filter"));
}

/** Whether a refresh would disturb the reader: typing in #content, a changed form there, or a hidden tab. */
function editing() {
    const active = document.activeElement;
    if (active !== null && content.contains(active) && active.matches("input, textarea, select, [contenteditable]")) {
        return true;
    }
    if (document.hidden) return true;
    return [...content.querySelectorAll("form")].some((form) => [...form.elements].some(isFieldDirty));
}

/** Fetches the page and replaces #content's children with the new ones; `false` if the reader began editing. */
async function refresh() {
    const response = await fetch(location.href, { headers: { Accept: "text/html" }, cache: "no-store" });
    // A page that moved or failed is left as it was; reloading shows what happened.
    if (!response.ok || response.redirected) return true;
    const page = new DOMParser().parseFromString(await response.text(), "text/html");
    const fresh = page.getElementById("content");
    if (fresh === null) return true;
    if (editing()) return false;
    const open = [...content.querySelectorAll("details[open][id]")].map((details) => details.id);
    const { scrollX, scrollY } = window;
    content.replaceChildren(...fresh.childNodes);
    const filter = fresh.getAttribute("data-feed-filter");
    if (filter === null) content.removeAttribute("data-feed-filter");
    else content.setAttribute("data-feed-filter", filter);
    for (const id of open) document.getElementById(id)?.setAttribute("open", "");
    if (page.title !== "") document.title = page.title;
    window.scrollTo(scrollX, scrollY);
    return true;
}
