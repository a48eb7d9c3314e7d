// Clientside callbacks of the gallery: keep slider and box in step, and make the curve follow a
// dragged handle.
(function () {
    const noUpdate = () => window.dash_clientside.no_update;

    // A drag of an affine parameter, drawn here: f + Δ·slope for the curve (trace 0) and its
    // derivative, from the server's last figure and the slopes it sent with it (see
    // gallery.drag_preview). At most once per frame; the server's redraw follows on release.
    const preview = {frame: null, args: null};

    // A typed array as the server sends one (gallery.ready_views), as a plain array: what the
    // chart holds for any view, whoever drew it.
    function decoded(typed) {
        const bytes = Uint8Array.from(atob(typed.bdata), (c) => c.charCodeAt(0));
        return Array.from(new Float32Array(bytes.buffer));
    }

    // A function's ready view (gallery.ready_views) as a figure on `layout`, or null when the chart
    // shows anything else (the derivative, overlays, another x range): that view is the server's.
    function readyFigure(name, view, layout) {
        const ready = view.ready;
        const entry = ready && ready.views && ready.views[name];
        const plain = !(Array.isArray(view.derivative) && view.derivative.length)
            && !(Array.isArray(view.compare) && view.compare.length)
            && view.xmin === ready.xmin && view.xmax === ready.xmax;
        if (!entry || !plain || !layout) {
            return null;
        }
        const trace = Object.assign({}, entry.trace, {x: decoded(ready.x), y: decoded(entry.trace.y)});
        return {data: [trace], layout: Object.assign({}, layout, {yaxis: entry.yaxis}), key: entry.key};
    }

    // What the chart shows besides the function, as Dash last told armPick; null until the
    // ready views have arrived.
    let shownView = null;

    // A pick in the function list is drawn here, in the click (or Enter) itself: through Dash's
    // callback machinery the same draw starts 20-30 ms later. Dash's showReadyView then gives the
    // chart the same view, so that Dash holds what is shown (a drag's preview starts from it);
    // its draw, after the curve is seen, costs the page another 20-30 ms.
    function drawPick(event) {
        const input = event.target;
        if (shownView === null || !(input instanceof HTMLInputElement) || input.type !== "radio"
                || (event.type === "keydown" && event.key !== "Enter")
                || !input.closest(".dash-dropdown-content")
                || !document.querySelector("#activation[aria-expanded='true']")
                || input.value === shownView.name) {
            return;
        }
        const graph = document.querySelector("#activation-graph .js-plotly-plot");
        const figure = graph && window.Plotly && readyFigure(input.value, shownView, graph.layout);
        if (figure) {
            window.Plotly.react(graph, figure.data, figure.layout);
        }
    }
    document.addEventListener("click", drawPick, true);
    document.addEventListener("keydown", drawPick, true);

    function previewDrag(data, figure, name, value) {
        const slope = data && data.slopes && data.slopes[name];
        if (!slope || typeof value !== "number" || !figure || !Array.isArray(figure.data)
                || !figure.data[0] || slope.y.length !== (figure.data[0].y || []).length) {
            return false;
        }
        preview.args = {data, figure, name, value};
        if (preview.frame === null) {
            preview.frame = requestAnimationFrame(drawPreview);
        }
        return true;
    }

    function shifted(base, slope, delta) {
        return base.map((b, i) => (b === null || slope[i] === null ? null : b + delta * slope[i]));
    }

    function drawPreview() {
        preview.frame = null;
        const {data, figure, name, value} = preview.args;
        const graph = document.querySelector("#activation-graph .js-plotly-plot");
        if (!graph || !window.Plotly) {
            return;
        }
        const delta = value - data.params[name];
        const params = Object.assign({}, data.params, {[name]: value});
        const shown = Object.keys(params).map((k) => `${k}=${Number(params[k].toPrecision(6))}`);
        const label = `${data.display_name} (${shown.join(", ")})`;
        // new trace objects: Plotly keeps what it is given, and Dash's figure must stay the base
        const traces = figure.data.slice();
        const slope = data.slopes[name];
        traces[0] = Object.assign({}, traces[0], {y: shifted(traces[0].y, slope.y, delta), name: label});
        const k = data.derivative_trace;
        if (k !== null && traces[k] && slope.dy) {
            traces[k] = Object.assign({}, traces[k], {
                y: shifted(traces[k].y, slope.dy, delta), name: label + data.derivative_suffix,
            });
        }
        window.Plotly.react(graph, traces, graph.layout);
    }

    // Any other parameter goes to the server's draw through the param-drag store, one request
    // at a time: Dash drops the answer to a request overtaken by a newer one, so sending every
    // move would draw nothing until the hand stops. The newest value waits for the answer.
    const gate = {busy: false, since: 0, pending: null};
    const STUCK_MS = 2000;  // a lost answer must not freeze the curve

    function sendDrag(name, value) {
        const data = {[name]: value, at: Date.now()};
        if (gate.busy && Date.now() - gate.since < STUCK_MS) {
            gate.pending = data;
            return;
        }
        gate.busy = true;
        gate.since = Date.now();
        window.dash_clientside.set_props("param-drag", {data});
    }

    const dragged = new Set();  // the parameters whose handle is away from its value

    window.dash_clientside = Object.assign({}, window.dash_clientside, {
        gallery: {
            // One callback per slider: the box shows the handle's value, the box moves the
            // slider when its value is in range, and a drag redraws the curve (above).
            syncParam: function (sliderValue, boxValue, dragValue, min, max, previewData, figure) {
                const context = window.dash_clientside.callback_context;
                const trigger = context.triggered_id || {};
                const changed = (context.triggered[0] || {}).prop_id || "";
                if (trigger.type === "param-box") {
                    const usable = typeof boxValue === "number" && isFinite(boxValue)
                        && boxValue >= min && boxValue <= max;
                    return [usable ? boxValue : noUpdate(), noUpdate()];
                }
                if (!changed.endsWith(".drag_value")) {
                    dragged.delete(trigger.name);  // let go: the server draws the new value
                    return [noUpdate(), sliderValue];
                }
                // A new slider reports its handle once as it mounts: nothing moved, nothing to
                // draw. Back at its value during a drag, the curve must follow it back.
                if (dragValue === sliderValue && !dragged.has(trigger.name)) {
                    return [noUpdate(), noUpdate()];
                }
                if (dragValue === sliderValue) {
                    dragged.delete(trigger.name);
                } else {
                    dragged.add(trigger.name);
                }
                if (typeof trigger.name === "string"
                        && !previewDrag(previewData, figure, trigger.name, dragValue)) {
                    sendDrag(trigger.name, dragValue);
                }
                return [noUpdate(), dragValue];
            },
            // A new function: its tutorial view is ready in the browser (gallery.ready_views), so
            // draw it now; the server's answer then brings the formula and the properties. Any
            // other view (the derivative shown, another range, overlays) is the server's to draw.
            showReadyView: function (name, derivative, xmin, xmax, compare, ready, figure) {
                const view = {derivative, xmin, xmax, compare, ready};
                const drawn = ready && figure && readyFigure(name, view, figure.layout);
                if (!drawn) {
                    return [noUpdate(), noUpdate()];
                }
                return [{data: drawn.data, layout: drawn.layout}, drawn.key];
            },
            // Keeps what drawPick needs at hand: a click cannot wait for Dash to read its state.
            armPick: function (name, derivative, xmin, xmax, compare, ready) {
                shownView = ready ? {name, derivative, xmin, xmax, compare, ready} : null;
            },
            // The figure arrived: send the newest waiting value. Set from a fresh task: returned as
            // an output here it would be a cycle (draw -> figure -> draw) that Dash ignores.
            releaseDrag: function () {
                if (gate.pending === null) {
                    gate.busy = false;
                    return;
                }
                const data = gate.pending;
                gate.pending = null;
                gate.since = Date.now();
                setTimeout(() => window.dash_clientside.set_props("param-drag", {data}), 0);
            },
        },
    });
})();
