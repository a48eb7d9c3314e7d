// Clientside callbacks of the training page: browser-only bookkeeping of finished runs, and the
// pace of Step ×10 and Play.
let stepTimer = null;  // the next step of Step ×10 or Play, when one is due

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
        // A step's point on a chart (components/training_step.py): {set: {trace: fields}} replaces
        // those fields (a first step starts its curve afresh), {append: {trace: fields}} adds the
        // fields' values to the trace's arrays.
        applyStepPoints: function (update, figure) {
            if (!update || !figure || !Array.isArray(figure.data)) {
                return window.dash_clientside.no_update;
            }
            const data = figure.data.slice();
            Object.keys(update.set || {}).forEach(function (index) {
                data[Number(index)] = Object.assign({}, data[Number(index)] || {}, update.set[index]);
            });
            Object.keys(update.append || {}).forEach(function (index) {
                const trace = Object.assign({}, data[Number(index)] || {});
                const fields = update.append[index];
                Object.keys(fields).forEach(function (key) {
                    trace[key] = (Array.isArray(trace[key]) ? trace[key] : []).concat(fields[key]);
                });
                data[Number(index)] = trace;
            });
            return Object.assign({}, figure, {data: data});
        },
        // Step ×10 and Play ask for one step at a time: the next when the last is answered (so no
        // request does more than one epoch, and none overtakes another); a failed step, a Train
        // or a press of Pause stops them.
        planSteps: function (_ten, _play, answered, _train, plan, labels, againId) {
            // Dash may hand a press and a step's answer over in one call: a press wins
            const fired = new Set(window.dash_clientside.callback_context.triggered.map(function (t) {
                return t.prop_id.split(".")[0];
            }));
            let left = (plan && plan.left) || 0;
            let playing = Boolean(plan && plan.playing);
            let delay = null;
            if (fired.has("train-button")) {
                left = 0;
                playing = false;
            } else if (fired.has("step-play-button")) {
                playing = !playing;
                left = 0;
                delay = playing ? 0 : null;
            } else if (fired.has("step-ten-button")) {
                left = 10;
                playing = false;
                delay = 0;
            } else if (fired.has("step-answered")) {
                if (!answered || !answered.ok) {
                    left = 0;
                    playing = false;
                } else if (left > 1) {
                    left -= 1;
                    delay = 0;
                } else {
                    left = 0;
                    delay = playing ? labels.interval : null;
                }
            }
            clearTimeout(stepTimer);  // one chain of steps at a time, whatever pressed what
            if (delay !== null) {
                stepTimer = setTimeout(function () {
                    try {
                        if (window.dash_component_api.getLayout(againId) !== undefined) {
                            window.dash_clientside.set_props(againId, {data: Date.now()});
                        }
                    } catch (e) {}  // the learner left the page meanwhile
                }, delay);
            }
            return [{left: left, playing: playing}, playing ? labels.pause : labels.play, playing ? "true" : "false"];
        },
    },
});
