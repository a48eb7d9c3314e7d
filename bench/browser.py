"""The in-page instruments every browser figure is read from (Chromium itself: harness/browser.py).

All times are taken inside the page with performance.now(): the click is stamped by a
capture-phase listener (before any app code sees it) and the result by a requestAnimationFrame
loop (the frame in which the new curve is there to be painted). Playwright's own round trips
therefore never count.
"""

from __future__ import annotations

from harness import browser as harness_browser

# Logs every callback request Dash makes (it uses window.fetch): when it was sent, when its
# response arrived, its size, which inputs fired it, and whether it carried a curve update.
FETCH_LOG_JS = """
(() => {
    const originalFetch = window.fetch;
    const log = window.__benchFetches = [];
    window.fetch = function (input, init) {
        const url = typeof input === "string" ? input : input.url;
        if (!url.includes("_dash-update-component")) return originalFetch.apply(this, arguments);
        let output = "", changed = [];
        try {
            const body = JSON.parse(init.body);
            output = body.output || "";
            changed = body.changedPropIds || [];
        } catch (e) {}
        const entry = {sent: performance.now(), job_poll: url.includes("cacheKey="), output: output,
                       changed: changed};
        log.push(entry);
        return originalFetch.apply(this, arguments).then((response) => {
            entry.received = performance.now();
            response.clone().text().then((text) => {
                entry.bytes = new TextEncoder().encode(text).length;
                entry.progress = text.includes('"loss-update"');
                entry.final = text.includes('"run-result"');  // the run's end: its whole record
            });
            return response;
        });
    };
})();
"""

# Arms a one-shot probe: the first click on `trigger` starts the clock; it stops at the first
# frame where `watch` holds. watch = {kind: "trace", graph, prop} (trace 0's x or y is a new
# array, as Plotly holds it) or {kind: "word", selector, word} (the element's first word).
ARM_PROBE_JS = """
([trigger, watch, timeoutMs]) => {
    const probe = window.__benchProbe = {clicked: null, seen: null, points: null, done: false};
    const traceValue = () => {
        const el = document.querySelector(watch.graph + " .js-plotly-plot");
        return el && el.data && el.data[0] ? el.data[0][watch.prop] : undefined;
    };
    const before = watch.kind === "trace" ? traceValue() : null;
    const onClick = (event) => {
        if (probe.clicked === null && event.target.closest(trigger)) probe.clicked = performance.now();
    };
    document.addEventListener("click", onClick, true);
    const armed = performance.now();
    const check = () => {
        const now = performance.now();
        if (probe.clicked !== null) {
            if (watch.kind === "trace") {
                const value = traceValue();
                // (a typed array, {dtype, bdata}, is what go.Figure sends for numpy data)
                const size = value && value.bdata ? (parseInt(value.dtype.slice(1), 10) || 8) : 1;
                const points = value ? (value.bdata ? atob(value.bdata).length / size : value.length) : 0;
                if (value && value !== before && points >= 1) {
                    probe.seen = now;
                    probe.points = points;
                }
            } else {
                const text = (document.querySelector(watch.selector).textContent || "").trim();
                if (text.split(/\\s+/)[0] === watch.word) probe.seen = now;
            }
        }
        if (probe.seen !== null || now - armed > timeoutMs) {
            probe.done = true;
            document.removeEventListener("click", onClick, true);
            return;
        }
        requestAnimationFrame(check);
    };
    requestAnimationFrame(check);
}
"""

# Resolves once trace 0's `prop` of `graph` has kept the same array for `quietMs` (false on timeout).
WAIT_QUIET_JS = """
([graph, prop, quietMs, timeoutMs]) => new Promise((resolve) => {
    const read = () => {
        const el = document.querySelector(graph + " .js-plotly-plot");
        return el && el.data && el.data[0] ? el.data[0][prop] : undefined;
    };
    const start = performance.now();
    let last = read(), since = start;
    const check = () => {
        const value = read(), now = performance.now();
        if (value !== last) { last = value; since = now; }
        if (now - since >= quietMs) return resolve(true);
        if (now - start > timeoutMs) return resolve(false);
        requestAnimationFrame(check);
    };
    requestAnimationFrame(check);
})
"""


def new_page(browser):
    """A page in a fresh context (empty cache and storage), with the fetch log installed."""
    return harness_browser.new_page(browser, timeout_ms=30_000, init_script=FETCH_LOG_JS)


def trace_watch(graph: str, prop: str) -> dict:
    return {"kind": "trace", "graph": graph, "prop": prop}


def word_watch(selector: str, word: str) -> dict:
    return {"kind": "word", "selector": selector, "word": word}


def click_and_time(page, trigger: str, watch: dict, timeout_s: float, click=None) -> dict:
    """Click `trigger` (or run `click()`) and return the probe: {clicked, seen, points} in page ms.

    Raises when the watched change never came, so a broken measurement is never a number.
    """
    page.evaluate(ARM_PROBE_JS, [trigger, watch, timeout_s * 1000])
    if click is None:
        page.click(trigger)
    else:
        click()
    page.wait_for_function("() => window.__benchProbe.done", timeout=(timeout_s + 10) * 1000)
    probe = page.evaluate("() => window.__benchProbe")
    if probe["clicked"] is None:
        raise RuntimeError(f"the click on {trigger} never reached the page")
    if probe["seen"] is None:
        raise RuntimeError(f"no change of {watch} within {timeout_s:.0f} s of clicking {trigger}")
    return probe


def wait_quiet(page, graph: str, prop: str, quiet_s: float = 0.4, timeout_s: float = 20) -> None:
    if not page.evaluate(WAIT_QUIET_JS, [graph, prop, quiet_s * 1000, timeout_s * 1000]):
        raise RuntimeError(f"{graph} kept redrawing for {timeout_s:.0f} s")


def fetch_log(page) -> list[dict]:
    return page.evaluate("() => window.__benchFetches")
