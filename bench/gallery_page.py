"""Browser figures of the activation gallery (`/gallery`), against a running `harness.app_process.AppProcess`."""

from __future__ import annotations

import time
from dataclasses import dataclass

from bench.browser import click_and_time, fetch_log, trace_watch, wait_quiet
from harness.app_process import AppProcess

GRAPH = "#activation-graph"
OPTION = ".dash-dropdown-option"
SLIDER = """[id='{{"name":"{param}","type":"param-slider"}}']"""

# Records the page time of every new trace-0 y array (one per frame at most: what can be seen)
# and of the pointer going down and up on the slider.
DRAG_RECORDER_JS = """
(graph) => {
    const rec = window.__benchDrag = {redraws: [], down: null, up: null, stop: false};
    const read = () => {
        const el = document.querySelector(graph + " .js-plotly-plot");
        return el && el.data && el.data[0] ? el.data[0].y : undefined;
    };
    const onDown = () => { if (rec.down === null) rec.down = performance.now(); };
    const onUp = () => { rec.up = performance.now(); };
    document.addEventListener("pointerdown", onDown, true);
    document.addEventListener("pointerup", onUp, true);
    let last = read();
    const tick = () => {
        const value = read();
        if (value !== last) { last = value; rec.redraws.push(performance.now()); }
        if (!rec.stop) return requestAnimationFrame(tick);
        document.removeEventListener("pointerdown", onDown, true);
        document.removeEventListener("pointerup", onUp, true);
    };
    requestAnimationFrame(tick);
}
"""


def open_gallery(page, server: AppProcess, query: str = "") -> None:
    page.goto(f"{server.url}/gallery{query}")
    page.wait_for_selector(f"{GRAPH} .js-plotly-plot")
    wait_quiet(page, GRAPH, "y")


CHANGE_PHASES = (
    "click → draw request sent (browser)",
    "draw round trip (server computes the view)",
    "→ curve drawn (browser)",
)


@dataclass
class Choice:
    seconds: float
    phases: dict[str, float] | None  # ms per CHANGE_PHASES; None: drawn with no request (a ready view)


def choose_function(page, name: str) -> Choice:
    """Pick `name` in the #activation dropdown; time from the option's click to the new curve."""
    page.click("#activation")
    option = page.locator(f"{OPTION}:has(input[value='{name}'])")
    option.scroll_into_view_if_needed()
    probe = click_and_time(page, OPTION, trace_watch(GRAPH, "y"), timeout_s=20, click=option.click)
    if page.get_attribute("#activation", "aria-expanded") == "true":
        page.keyboard.press("Escape")
    # the new function's own sliders arrive and redraw once more: let that pass before the next pick
    wait_quiet(page, GRAPH, "y")
    # the curve drawn came with the last redraw response before it (Dash drops superseded ones)
    draws = [e for e in fetch_log(page) if e["sent"] >= probe["clicked"] and e.get("received")
             and "activation-graph.figure" in e["output"] and e["received"] <= probe["seen"]]
    phases = None
    if draws:
        marks = [probe["clicked"], draws[-1]["sent"], draws[-1]["received"], probe["seen"]]
        phases = {phase: b - a for phase, a, b in zip(CHANGE_PHASES, marks, marks[1:])}
    return Choice((probe["seen"] - probe["clicked"]) / 1000, phases)


@dataclass
class Drag:
    redraws_per_second: float  # while the mouse button was down
    redraws: int
    responses: int  # redraw responses the server sent meanwhile (Dash drops superseded ones)
    moves: int  # mouse moves sent
    param: str = "alpha"


def drag(page, seconds: float, param: str = "alpha", moves_per_second: int = 50) -> Drag:
    """Drag parameter `param`'s slider handle across its track for `seconds` with the mouse.

    The handle's position follows the clock (left to right across 5 %–95 % of the track), with
    a move every 1/moves_per_second s or as often as the page acknowledges them if it is slower:
    each move is a new value of alpha, as in a steady hand's drag.
    """
    slider = SLIDER.format(param=param)
    thumb = page.locator(f"{slider} [role=slider]").bounding_box()
    track = page.locator(f"{slider} .dash-slider-track").bounding_box()
    y = thumb["y"] + thumb["height"] / 2
    page.evaluate(DRAG_RECORDER_JS, GRAPH)
    log_start = len(fetch_log(page))
    page.mouse.move(thumb["x"] + thumb["width"] / 2, y)
    page.mouse.down()
    moves = 0
    started = time.perf_counter()
    while (elapsed := time.perf_counter() - started) < seconds:
        page.mouse.move(track["x"] + track["width"] * (0.05 + 0.9 * elapsed / seconds), y)
        moves += 1
        pause = started + moves / moves_per_second - time.perf_counter()
        if pause > 0:
            time.sleep(pause)
    page.mouse.up()
    record = page.evaluate("() => { window.__benchDrag.stop = true; return window.__benchDrag; }")
    if record["down"] is None or record["up"] is None:
        raise RuntimeError("the drag never reached the slider")
    during = [t for t in record["redraws"] if record["down"] <= t <= record["up"]]
    responses = [e for e in fetch_log(page)[log_start:] if "activation-graph.figure" in e["output"]
                 and record["down"] <= e.get("received", -1) <= record["up"]]
    wait_quiet(page, GRAPH, "y")
    held = (record["up"] - record["down"]) / 1000
    return Drag(len(during) / held, len(during), len(responses), moves, param)
