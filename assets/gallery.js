// Clientside callbacks of the gallery: keep slider and box in step, pace redraws while dragging.
(function () {
    const noUpdate = () => window.dash_clientside.no_update;
    // One draw request in flight at a time; the newest value waits for the answer.
    const gate = {busy: false, since: 0, pending: null};
    const STUCK_MS = 2000;  // a lost answer must not freeze the curve

    window.dash_clientside = Object.assign({}, window.dash_clientside, {
        gallery: {
            syncParam: function (sliderValue, boxValue, dragValue, min, max) {
                const trigger = window.dash_clientside.callback_context.triggered_id || {};
                const changed = (window.dash_clientside.callback_context.triggered[0] || {}).prop_id || "";
                if (trigger.type === "param-box") {
                    const usable = typeof boxValue === "number" && isFinite(boxValue)
                        && boxValue >= min && boxValue <= max;
                    return [usable ? boxValue : noUpdate(), noUpdate()];
                }
                return [noUpdate(), changed.endsWith(".drag_value") ? dragValue : sliderValue];
            },
            forwardDrag: function (dragValues, sliderIds) {
                const trigger = window.dash_clientside.callback_context.triggered_id;
                if (!trigger || typeof trigger.name !== "string") {
                    return noUpdate();
                }
                const index = sliderIds.findIndex((i) => i.name === trigger.name);
                const value = {[trigger.name]: dragValues[index], at: Date.now()};
                if (gate.busy && Date.now() - gate.since < STUCK_MS) {
                    gate.pending = value;
                    return noUpdate();
                }
                gate.busy = true;
                gate.since = Date.now();
                return value;
            },
            // The figure arrived: send the newest waiting value. Set from a fresh task: returned as
            // an output here it would be a cycle (draw -> figure -> draw) that Dash ignores.
            releaseDrag: function () {
                if (gate.pending === null) {
                    gate.busy = false;
                    return;
                }
                const value = gate.pending;
                gate.pending = null;
                gate.since = Date.now();
                setTimeout(() => window.dash_clientside.set_props("param-drag", {data: value}), 0);
            },
        },
    });
})();
