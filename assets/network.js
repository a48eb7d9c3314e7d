// The network page's clientside callbacks (components/network.py).
(function () {
    const noUpdate = () => window.dash_clientside.no_update;
    const FIT_TRACES = 3;  // the samples, the target, the prediction (network_figures.py); compared runs follow

    window.dash_clientside = Object.assign({}, window.dash_clientside, {
        network: {
            // A parameter's slider and number box show one value; a box value outside the
            // parameter's range moves nothing (as in the gallery, without its drag preview).
            syncParam: function (sliderValue, boxValue, min, max) {
                const trigger = window.dash_clientside.callback_context.triggered_id || {};
                if (typeof trigger.type === "string" && trigger.type.endsWith("param-box")) {
                    const usable = typeof boxValue === "number" && isFinite(boxValue) && boxValue >= min && boxValue <= max;
                    return [usable ? boxValue : noUpdate(), noUpdate()];
                }
                return [noUpdate(), sliderValue];
            },
            // The fit chart: the run's trace updates (`update.traces`, by index) merged into its own
            // three traces, then the finished runs fitted to the same data (`compared.runs`), except
            // the current run itself. The current run's data and id live in the figure's layout.meta.
            // Changed settings of the data (`preview`, while no run trains) show their samples and
            // target, without a prediction, and the finished runs on those data.
            drawFit: function (update, compared, preview, figure) {
                if (!figure || !Array.isArray(figure.data)) {
                    return noUpdate();
                }
                const data = figure.data.slice(0, FIT_TRACES);
                const meta = Object.assign({}, (figure.layout || {}).meta);
                const fired = (window.dash_clientside.callback_context.triggered || []).map(function (t) { return t.prop_id; });
                const merge = function (given) {
                    if (!given || !given.traces || typeof given.traces !== "object") {
                        return false;
                    }
                    Object.keys(given.traces).forEach(function (index) {
                        if (Number(index) < FIT_TRACES) {
                            data[Number(index)] = Object.assign({}, data[Number(index)] || {}, given.traces[index]);
                        }
                    });
                    meta.key = JSON.stringify(given.key);
                    return true;
                };
                if (fired.indexOf("network-preview.data") >= 0) {
                    if (merge(preview)) {
                        meta.run = null;
                    }
                } else if (merge(update)) {
                    meta.run = update.run_id;
                }
                const runs = (compared && Array.isArray(compared.runs)) ? compared.runs : [];
                runs.forEach(function (run) {
                    if (run && run.trace && JSON.stringify(run.key) === meta.key && run.run_id !== meta.run) {
                        data.push(run.trace);
                    }
                });
                return Object.assign({}, figure, {data: data, layout: Object.assign({}, figure.layout, {meta: meta})});
            },
            // A finished run joins the tab's kept runs (the newest last), without its curves: the
            // comparison needs its prediction and final loss.
            keepRun: function (record, kept, size) {
                if (!record || record.status !== "Done" || !record.prediction) {
                    return noUpdate();
                }
                const others = (Array.isArray(kept) ? kept : []).filter(function (r) { return r && r.run_id !== record.run_id; });
                const entry = Object.assign({}, record, {epochs: [], losses: [], weights: null});
                // deleted, not set to undefined: session storage drops an undefined key, and the
                // store, finding its data unlike what it stored, would set it again and again
                delete entry.label;
                others.push(entry);
                return others.slice(-size);
            },
        },
    });
})();
