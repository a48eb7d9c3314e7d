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
                    return [noUpdate(), sliderValue];
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
                const entry = ready && ready.views && ready.views[name];
                const plain = !(Array.isArray(derivative) && derivative.length)
                    && !(Array.isArray(compare) && compare.length)
                    && xmin === ready.xmin && xmax === ready.xmax;
                if (!entry || !plain || !figure || !figure.layout) {
                    return [noUpdate(), noUpdate()];
                }
                const trace = Object.assign({}, entry.trace, {x: decoded(ready.x), y: decoded(entry.trace.y)});
                const layout = Object.assign({}, figure.layout, {yaxis: entry.yaxis});
                return [{data: [trace], layout: layout}, entry.key];
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
