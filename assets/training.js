// Clientside callbacks of the training page: browser-only bookkeeping of finished runs.
window.dash_clientside = Object.assign({}, window.dash_clientside, {
    training: {
        // Keep the last `size` finished runs in local storage (survives reloads).
        rememberRun: function (result, _clearClicks, history, size) {
            const ctx = window.dash_clientside.callback_context;
            if (ctx.triggered_id === "clear-history-button") {
                return [];
            }
            const runs = Array.isArray(history) ? history : [];
            if (!result || !result.run_id || !Array.isArray(result.epochs)) {
                return window.dash_clientside.no_update;
            }
            if (runs.some(function (r) { return r && r.run_id === result.run_id; })) {
                return window.dash_clientside.no_update;
            }
            return runs.concat([result]).slice(-size);
        },
        // Newest first; keep ticks only on runs that still exist.
        runOptions: function (history, selected) {
            const runs = (Array.isArray(history) ? history : []).filter(function (r) {
                return r && r.run_id && r.label;
            });
            const options = runs.slice().reverse().map(function (r) {
                return {label: r.label, value: r.run_id};
            });
            const known = new Set(runs.map(function (r) { return r.run_id; }));
            const value = (Array.isArray(selected) ? selected : []).filter(function (v) {
                return known.has(v);
            });
            const before = Array.isArray(selected) ? selected : [];
            const same = value.length === before.length;
            return [options, same ? window.dash_clientside.no_update : value];
        },
        // Only the ticked runs' loss curves and (w1, w2) paths go to the server for drawing, with
        // the settings their data were drawn from (a path is drawn only on its own landscape).
        overlayCurves: function (selected, history) {
            const wanted = new Set(Array.isArray(selected) ? selected : []);
            return (Array.isArray(history) ? history : [])
                .filter(function (r) { return r && wanted.has(r.run_id); })
                .map(function (r) {
                    const weights = Array.isArray(r.weights) ? r.weights : [];
                    return {run_id: r.run_id, label: r.label, epochs: r.epochs, losses: r.losses,
                            w1: weights[1] || [], w2: weights[2] || [], config: r.config};
                });
        },
        markCancelled: function (_clicks, request) {
            return request && request.run_id ? request.run_id : window.dash_clientside.no_update;
        },
    },
});
