"""The activation gallery (`/gallery`) in headless Chromium, against the real app (`python app.py`).

What a learner sees: the seed's identity plot on arrival; a function picked in the `activation`
dropdown drawn as trace 0 of `activation-graph`; its parameter's slider and number box moving
together and the curve following both, while dragging too; the address bar following the
controls and deep links restoring them; a clear notice for a bad link; the derivative and
comparison overlays, the shading where the gradient vanishes; the formula typeset by MathJax
and the exact properties.
"""

from __future__ import annotations

import json
import math
import re

import pytest

from conftest import graph_trace, graph_traces, trace_summary, wait_graph

pytestmark = pytest.mark.browser

GRAPH = "#activation-graph"
ALPHA_BOX = """[id='{"name":"alpha","type":"param-box"}']"""
ALPHA_SLIDER = """[id='{"name":"alpha","type":"param-slider"}']"""
ALPHA_THUMB = ALPHA_SLIDER + " [role=slider]"
TIMEOUT_MS = 15_000  # generous: another helper may be driving Chromium on this 2-core machine


def elu(x: float, alpha: float) -> float:
    return x if x >= 0 else alpha * (math.exp(x) - 1)


# Trace 0's y at the grid point nearest x0, its name and length: one small round trip.
TRACE0_AT_JS = """([graph, x0]) => {
    const el = document.querySelector(graph + ' .js-plotly-plot');
    const t = el && el.data && el.data[0];
    if (!t || !t.x || !t.x.length) return null;
    let best = 0;
    for (let i = 1; i < t.x.length; i++) {
        if (Math.abs(t.x[i] - x0) < Math.abs(t.x[best] - x0)) best = i;
    }
    return {x: t.x[best], y: t.y[best], name: t.name, n: t.x.length, n_traces: el.data.length};
}"""


def trace0_at(page, x0: float) -> dict | None:
    return page.evaluate(TRACE0_AT_JS, [GRAPH, x0])


def wait_trace0(page, predicate_js: str, timeout_ms: int = TIMEOUT_MS) -> None:
    """Wait until `predicate_js`, a JS expression of `t` (trace 0) and `n` (trace count), holds."""
    page.wait_for_function(
        f"""() => {{
            const el = document.querySelector('{GRAPH} .js-plotly-plot');
            const t = el && el.data && el.data[0];
            if (!t) return false;
            const n = el.data.length;
            return ({predicate_js});
        }}""",
        timeout=timeout_ms,
    )


def wait_trace0_name(page, pattern: str, timeout_ms: int = TIMEOUT_MS) -> None:
    """Wait until trace 0's legend name matches the regular expression `pattern`."""
    wait_trace0(page, f"new RegExp({json.dumps(pattern)}).test(t.name || '')", timeout_ms)


def open_gallery(page, live_server, query: str = "") -> None:
    page.goto(f"{live_server.url}/gallery{query}")
    wait_graph(page, GRAPH, timeout=TIMEOUT_MS / 1000)


def choose(page, dropdown: str, label: str) -> None:
    """Pick `label` in a Dash 4 dcc.Dropdown: open it, search, click the option, close it."""
    page.click(f"#{dropdown}")
    page.get_by_placeholder("Search").fill(label)
    page.get_by_role("option", name=label, exact=True).click()
    page.keyboard.press("Escape")  # a multi dropdown stays open after a pick
    page.wait_for_selector(f"#{dropdown}[aria-expanded=false]", timeout=TIMEOUT_MS)


def dropdown_text(page, dropdown: str) -> str:
    return (page.text_content(f"#{dropdown}") or "").strip()


# The number box, the slider's handle and trace 0's legend name all show the same alpha.
SETTLED_JS = """([box, thumb, graph]) => {
    const b = document.querySelector(box), h = document.querySelector(thumb);
    const el = document.querySelector(graph + ' .js-plotly-plot');
    const m = el && el.data && /alpha=([0-9.eE+-]+)/.exec(el.data[0].name || '');
    if (!b || !h || !m || b.value === '') return false;
    const v = Number(b.value);
    return Math.abs(v - Number(h.getAttribute('aria-valuenow'))) < 1e-9
        && Math.abs(v - Number(m[1])) < 1e-9;
}"""


# The properties table: {row header (its <th>): value}, and whether every row's first cell is a <th>.
PROPERTY_ROWS_JS = """() => {
    const rows = Array.from(document.querySelectorAll('#properties tr'));
    return {headed: rows.length > 0 && rows.every(tr => tr.cells[0].tagName === 'TH'),
            rows: Object.fromEntries(rows.map(tr => [tr.cells[0].textContent.trim(),
                                                     tr.cells[1].textContent.trim()]))};
}"""


def property_rows(page) -> dict[str, str]:
    table = page.evaluate(PROPERTY_ROWS_JS)
    assert table["headed"], "each row of #properties starts with its <th>"
    return table["rows"]


def wait_property(page, header: str, value: str) -> dict[str, str]:
    """Wait until the properties row `header` reads `value`; then all the rows."""
    page.wait_for_function(
        f"([header, value]) => ({PROPERTY_ROWS_JS})().rows[header] === value", arg=[header, value],
        timeout=TIMEOUT_MS,
    )
    return property_rows(page)


def slider_value(page) -> float:
    return float(page.get_attribute(ALPHA_THUMB, "aria-valuenow"))


def set_box(page, selector: str, value: str) -> None:
    page.fill(selector, value)


# --- tests --------------------------------------------------------------------------------------


def test_the_gallery_opens_on_the_seeds_identity_plot_with_formula_and_properties(live_app, page):
    open_gallery(page, live_app)
    summary = trace_summary(page, GRAPH)
    assert summary["n_x"] == summary["n_y"] == 2000
    assert summary["x0"] == -10 and abs(summary["x_last"] - 9.99) < 1e-6
    assert summary["n_traces"] == 1
    trace = graph_trace(page, GRAPH)
    assert all(abs(x - y) < 1e-5 for x, y in zip(trace["x"], trace["y"]))  # f(x) = x
    assert dropdown_text(page, "activation") == "Identity"
    assert page.evaluate(
        f"() => document.querySelector('{GRAPH} .js-plotly-plot')._fullLayout.yaxis.range"
    ) == [-10, 10]
    assert (page.text_content("#gallery-notice") or "").strip() == ""

    # the formula is typeset by MathJax, and the properties follow the chosen function
    page.wait_for_selector("#formula mjx-container", timeout=TIMEOUT_MS)
    identity_math = page.inner_html("#formula")
    assert property_rows(page)["Range"] == "(−∞, ∞)"
    choose(page, "activation", "Sigmoid (logistic, soft step)")
    wait_trace0_name(page, "^Sigmoid")
    rows = wait_property(page, "Range", "(0, 1)")
    assert rows["Monotonic"] == "yes, strictly increasing" and rows["Saturating"] == "yes, on both sides"
    assert rows["f′(0)"] == "0.25"
    # the new formula is typeset too, not left as raw TeX
    page.wait_for_function(
        "(old) => { const f = document.querySelector('#formula');"
        " return f.innerHTML !== old && !!f.querySelector('mjx-container'); }",
        arg=identity_math, timeout=TIMEOUT_MS,
    )
    assert "$$" not in (page.text_content("#formula") or "")
    assert "torch.nn.Sigmoid" in (page.text_content("#torch-equivalent") or "")


def test_choosing_elu_then_moving_alpha_redraws_trace_0_and_the_address(live_app, page):
    """Pick ELU; set alpha in the number box; drag the slider's handle; watch the address bar."""
    open_gallery(page, live_app)
    assert page.locator(ALPHA_BOX).count() == 0
    choose(page, "activation", "ELU")
    wait_trace0_name(page, "^ELU")
    point = trace0_at(page, -1)
    assert point["x"] == pytest.approx(-1, abs=1e-6)
    assert point["y"] == pytest.approx(elu(-1, 0.9), rel=1e-6)
    assert point["n"] == 2000
    page.wait_for_selector(ALPHA_SLIDER, state="visible", timeout=TIMEOUT_MS)
    assert float(page.input_value(ALPHA_BOX)) == 0.9
    assert slider_value(page) == 0.9
    assert dropdown_text(page, "activation") == "ELU"

    # the number box moves the slider and the curve
    set_box(page, ALPHA_BOX, "0.5")
    wait_trace0_name(page, r"alpha=0\.5\b")
    assert trace0_at(page, -1)["y"] == pytest.approx(elu(-1, 0.5), rel=1e-6)
    page.wait_for_function(
        "(sel) => document.querySelector(sel).getAttribute('aria-valuenow') === '0.5'",
        arg=ALPHA_THUMB, timeout=TIMEOUT_MS,
    )

    # Drag the handle to the left with the mouse: the curve follows before the button is released.
    thumb = page.locator(ALPHA_THUMB).bounding_box()
    track = page.locator(ALPHA_SLIDER + " .dash-slider-track").bounding_box()
    y = thumb["y"] + thumb["height"] / 2
    page.mouse.move(thumb["x"] + thumb["width"] / 2, y)
    page.mouse.down()
    seen = []
    try:
        for fraction in (0.15, 0.05):  # alpha about 0.3, then about 0.1
            page.mouse.move(track["x"] + fraction * track["width"], y, steps=5)
            previous = seen[-1] if seen else "ELU (alpha=0.5)"
            wait_trace0(page, f"t.name !== {json.dumps(previous)}")
            seen.append(trace0_at(page, -1)["name"])
            during = trace0_at(page, -1)
            alpha = float(re.search(r"alpha=([0-9.]+)", during["name"]).group(1))
            assert during["y"] == pytest.approx(elu(-1, alpha), rel=1e-5)
    finally:
        page.mouse.up()
    assert len(set(seen)) == 2, seen  # two different curves while the button was down
    assert float(re.search(r"alpha=([0-9.]+)", seen[-1]).group(1)) < 0.5
    # once released, the box, the handle and the curve agree on one alpha
    page.wait_for_function(SETTLED_JS, arg=[ALPHA_BOX, ALPHA_THUMB, GRAPH], timeout=TIMEOUT_MS)
    settled = float(page.input_value(ALPHA_BOX))
    assert 0 <= settled < 0.5
    assert trace0_at(page, -1)["y"] == pytest.approx(elu(-1, settled), rel=1e-5)

    # the address bar follows the controls (without a reload): a shareable link
    set_box(page, ALPHA_BOX, "0.7")
    page.wait_for_function("() => window.location.search.includes('alpha=0.7')", timeout=TIMEOUT_MS)
    set_box(page, "#xmin", "-3")
    page.wait_for_function("() => window.location.search.includes('xmin=-3')", timeout=TIMEOUT_MS)
    assert "fn=elu" in page.url and "/gallery?" in page.url
    wait_trace0(page, "t.x[0] === -3 && /alpha=0\\.7\\b/.test(t.name)")


def test_a_threshold_drag_is_redrawn_by_the_server_while_the_handle_moves(live_app, page):
    """A threshold moves TReLU's step, so no slope can preview it in the page: each position goes
    to the server's draw (one request at a time), and the curve follows before the release."""
    open_gallery(page, live_app, "?fn=trelu")
    wait_trace0_name(page, r"thres=2\)")
    assert trace0_at(page, 1)["y"] == 0  # x = 1 is below the threshold 2
    slider = """[id='{"name":"thres","type":"param-slider"}']"""
    thumb = page.locator(slider + " [role=slider]").bounding_box()
    track = page.locator(slider + " .dash-slider-track").bounding_box()
    y = thumb["y"] + thumb["height"] / 2
    page.mouse.move(thumb["x"] + thumb["width"] / 2, y)
    page.mouse.down()
    try:
        page.mouse.move(track["x"] + 0.2 * track["width"], y, steps=5)  # thres about -3
        wait_trace0(page, "!/thres=2\\)/.test(t.name)")
        during = trace0_at(page, 1)
        thres = float(re.search(r"thres=(-?[0-9.]+)", during["name"]).group(1))
        assert thres < 1 and during["y"] == pytest.approx(1)
    finally:
        page.mouse.up()


def test_the_contract_deep_link_restores_the_view(live_app, page):
    open_gallery(page, live_app, "?fn=elu&alpha=0.5&xmin=-5&xmax=5")
    assert dropdown_text(page, "activation") == "ELU"
    assert float(page.input_value(ALPHA_BOX)) == 0.5
    assert slider_value(page) == 0.5
    assert float(page.input_value("#xmin")) == -5 and float(page.input_value("#xmax")) == 5
    trace = graph_trace(page, GRAPH)
    assert trace["x"][0] == -5 and 4.98 < trace["x"][-1] < 5
    assert len(trace["x"]) == 1000
    for x, y in zip(trace["x"][::50], trace["y"][::50]):
        assert y == pytest.approx(elu(x, 0.5), rel=1e-5, abs=1e-6)
    assert (page.text_content("#gallery-notice") or "").strip() == ""


def test_a_bad_link_explains_itself_and_shows_the_default_view(live_app, page):
    open_gallery(page, live_app, "?fn=nope&alpha=abc&xmin=9&xmax=1")
    notice = (page.text_content("#gallery-notice") or "").strip()
    assert "nope" in notice
    assert "xmax must exceed xmin" in notice
    assert page.is_visible("#gallery-notice")
    assert dropdown_text(page, "activation") == "Identity"
    summary = trace_summary(page, GRAPH)
    assert summary["n_x"] == 2000 and summary["x0"] == -10
    assert trace0_at(page, 3)["y"] == pytest.approx(3, abs=1e-5)
    assert float(page.input_value("#xmin")) == -10 and float(page.input_value("#xmax")) == 10


def test_the_properties_panel_states_the_exact_properties_and_follows_the_parameter(live_app, page):
    """The contract's link, then α = 1 in the box (ELU becomes C¹), then other functions' links."""
    open_gallery(page, live_app, "?fn=elu&alpha=0.5&xmin=-5&xmax=5")
    rows = property_rows(page)
    assert rows["Range"] == "(−α, ∞) = (−0.5, ∞)"
    assert rows["Limits"] == "−α = −0.5 as x → −∞, ∞ as x → +∞"
    assert rows["f′(0)"] == ("not differentiable: the slope is α = 0.5 from the left, 1 from the right; autograd "
                             "gives α = 0.5 through torch.nn.ELU, and 1 through the tutorial's formula as plotted here")
    set_box(page, ALPHA_BOX, "1")
    rows = wait_property(page, "Range", "(−α, ∞) = (−1, ∞)")
    assert rows["f′(0)"] == "1" and rows["Continuity"] == "C¹: f″ jumps from α = 1 to 0 at x = 0"

    open_gallery(page, live_app, "?fn=trelu&thres=-1.5")
    rows = property_rows(page)
    assert rows["Range"] == "(θ, ∞) = (−1.5, ∞)" and rows["f′(0)"] == "1"
    assert rows["f′(θ), θ = −1.5"].startswith("not differentiable, f jumps from 0 to θ = −1.5")
    open_gallery(page, live_app, "?fn=selu")
    assert property_rows(page)["Range"] == "(−λα, ∞) ≈ (−1.758, ∞)"


def test_the_shading_where_the_gradient_vanishes_comes_with_the_derivative(live_app, page):
    open_gallery(page, live_app, "?fn=relu&deriv=1")
    wait_trace0(page, "n === 2")
    shapes = page.evaluate(f"() => document.querySelector('{GRAPH} .js-plotly-plot')._fullLayout.shapes"
                           ".map(s => [s.x0, s.x1])")
    assert shapes == [[-10, pytest.approx(0, abs=0.006)]]  # ReLU's dead side, to half a grid step
    legend = page.text_content(f"{GRAPH} .legend") or ""
    assert "|f′(x)| < 0.01: the gradient vanishes" in legend
    page.get_by_role("checkbox", name=re.compile("Show the derivative")).click()
    wait_trace0(page, "n === 1")
    page.wait_for_function(f"() => document.querySelector('{GRAPH} .js-plotly-plot')._fullLayout.shapes.length === 0",
                           timeout=TIMEOUT_MS)


def test_the_derivative_box_and_compare_add_traces(live_app, page):
    open_gallery(page, live_app, "?fn=tanh")
    assert len(graph_traces(page, GRAPH)) == 1
    page.get_by_role("checkbox", name=re.compile("Show the derivative")).click()
    wait_trace0(page, "n === 2")
    traces = graph_traces(page, GRAPH)
    assert "derivative" in traces[1]["name"]
    i = min(range(len(traces[1]["x"])), key=lambda k: abs(traces[1]["x"][k]))
    assert traces[1]["y"][i] == pytest.approx(1, abs=1e-4)  # tanh'(0) = 1
    page.wait_for_function("() => window.location.search.includes('deriv=1')", timeout=TIMEOUT_MS)

    choose(page, "compare", "Sigmoid (logistic, soft step)")
    wait_trace0(page, "n === 3")
    choose(page, "compare", "ReLU")
    wait_trace0(page, "n === 4")
    names = [t["name"] for t in graph_traces(page, GRAPH)]
    assert names[0].startswith("TanH") and names[2].startswith("Sigmoid") and names[3] == "ReLU"
    colours = page.evaluate(
        f"() => document.querySelector('{GRAPH} .js-plotly-plot').data.map(t => t.line.color)"
    )
    assert len(set(colours[2:] + colours[:1])) == 3  # each overlay has its own colour
    page.wait_for_function(
        "() => decodeURIComponent(window.location.search).includes('compare=sigmoid,relu')",
        timeout=TIMEOUT_MS,
    )


def test_switching_function_takes_its_defaults_and_reset_restores_the_seed_view(live_app, page):
    open_gallery(page, live_app, "?fn=elu&alpha=0.5&xmin=-5&xmax=5")
    choose(page, "activation", "Leaky ReLU")
    # the new function's own default (0.1), not the previous function's alpha (0.5)
    wait_trace0_name(page, r"^Leaky ReLU \(alpha=0\.1\)$")
    page.wait_for_function(SETTLED_JS, arg=[ALPHA_BOX, ALPHA_THUMB, GRAPH], timeout=TIMEOUT_MS)
    assert float(page.input_value(ALPHA_BOX)) == 0.1
    assert trace0_at(page, -1)["y"] == pytest.approx(-0.1, rel=1e-6)
    page.wait_for_function("() => window.location.search.includes('fn=leaky_relu&alpha=0.1')",
                           timeout=TIMEOUT_MS)

    set_box(page, ALPHA_BOX, "0.3")
    wait_trace0_name(page, r"alpha=0\.3\b")
    page.click("#gallery-reset")  # "Back to the tutorial's view"
    wait_trace0(page, "t.x.length === 2000 && t.x[0] === -10 && /alpha=0\\.1\\b/.test(t.name)")
    assert float(page.input_value("#xmin")) == -10 and float(page.input_value("#xmax")) == 10
    assert page.evaluate(
        f"() => document.querySelector('{GRAPH} .js-plotly-plot')._fullLayout.yaxis.range"
    ) == [-2, 11]  # the seed's plt.ylim for leaky ReLU
    assert dropdown_text(page, "activation") == "Leaky ReLU"


# Every Plotly draw of the chart (its traces' names), every callback request (the props that
# fired it) and every answer, in page time.
CHART_LOG_JS = """() => {
    const log = window.__chartLog = {draws: [], asked: [], answers: []};
    const originalFetch = window.fetch;
    window.fetch = function (input, init) {
        if (String(input.url || input).includes("_dash-update-component")) {
            try { log.asked.push(JSON.parse(init.body).changedPropIds || []); } catch (e) {}
            return originalFetch.apply(this, arguments).then((r) => {
                log.answers.push(performance.now());
                return r;
            });
        }
        return originalFetch.apply(this, arguments);
    };
    const hook = setInterval(() => {
        if (!window.Plotly) return;
        clearInterval(hook);
        const react = window.Plotly.react;
        window.Plotly.react = function (gd, data) {
            const traces = Array.isArray(data) ? data : data.data;
            if (gd.closest("#activation-graph")) {
                log.draws.push({at: performance.now(), names: traces.map((t) => t.name)});
            }
            return react.apply(this, arguments);
        };
    }, 10);
}"""


def logged_gallery(page, live_server, query: str = "") -> None:
    """The gallery with CHART_LOG_JS, once its ready views have arrived; the log starts empty."""
    page.add_init_script(f"({CHART_LOG_JS})()")
    open_gallery(page, live_server, query)
    page.wait_for_load_state("networkidle")
    page.evaluate("() => { const l = window.__chartLog; l.draws.length = l.asked.length = l.answers.length = 0; }")


def test_a_picked_function_is_drawn_before_any_answer_by_mouse_or_keyboard(live_app, page):
    """Every function's tutorial view is kept in the page: a pick draws it at once, the right
    curve, without a round trip; the new function's slider appearing asks the server nothing."""
    logged_gallery(page, live_app)
    choose(page, "activation", "TReLU (thresholded ReLU)")
    wait_trace0_name(page, r"^TReLU .*\(thres=2\)$")
    assert trace0_at(page, 1)["y"] == 0 and trace0_at(page, 3)["y"] == pytest.approx(3)
    page.wait_for_selector("""[id='{"name":"thres","type":"param-slider"}']""", state="visible",
                           timeout=TIMEOUT_MS)
    page.wait_for_load_state("networkidle")
    log = page.evaluate("() => window.__chartLog")
    first = next(d for d in log["draws"] if d["names"][0].startswith("TReLU"))
    assert log["answers"] and first["at"] < min(log["answers"])
    # the new slider reports its handle as it mounts; nobody dragged it, so the server is not
    # asked to draw a drag (a threshold's drag is drawn there)
    assert not any("param-drag.data" in asked for asked in log["asked"]), log["asked"]

    # the keyboard: open the list (it focuses the current function), the next one, Enter
    page.evaluate("() => { const l = window.__chartLog; l.draws.length = l.answers.length = 0; }")
    page.focus("#activation")
    page.keyboard.press("Enter")
    focused = "(value) => document.activeElement.type === 'radio' && document.activeElement.value {} value"
    page.wait_for_function(focused.format("==="), arg="trelu", timeout=TIMEOUT_MS)
    page.keyboard.press("ArrowDown")
    page.wait_for_function(focused.format("!=="), arg="trelu", timeout=TIMEOUT_MS)
    page.keyboard.press("Enter")
    page.wait_for_selector("#activation[aria-expanded=false]", timeout=TIMEOUT_MS)
    wait_trace0(page, "!/^TReLU/.test(t.name)")
    log = page.evaluate("() => window.__chartLog")
    assert log["draws"] and not log["draws"][0]["names"][0].startswith("TReLU")
    assert not log["answers"] or log["draws"][0]["at"] < min(log["answers"])


def test_a_pick_with_the_derivative_shown_never_flashes_the_bare_curve(live_app, page):
    """Only the bare tutorial view is kept in the page: with the derivative shown, the server
    draws the pick, and the chart goes from one two-trace view to the next."""
    logged_gallery(page, live_app, "?deriv=1")
    choose(page, "activation", "TanH")
    wait_trace0(page, "/^TanH/.test(t.name) && n === 2")
    page.wait_for_load_state("networkidle")
    draws = page.evaluate("() => window.__chartLog.draws")
    assert draws and all(len(d["names"]) == 2 for d in draws), draws
