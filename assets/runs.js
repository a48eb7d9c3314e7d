// The poll chain of a running run (components/run_panel.py): the server answers with how long to
// wait before the next question, so an answer is never overtaken by the next question. One timer
// per page at most: an answer that says the run ended clears the one pending, so no stale poll
// can overtake (and so discard) the answer to a Train pressed right after.
(function () {
    const timers = {};

    // The learner may have left the page meanwhile: then there is nobody to ask for. (Dash 4.4's
    // getLayout throws, rather than answering undefined, for an id that is gone.)
    function onPage(id) {
        try {
            return window.dash_component_api.getLayout(id) !== undefined;
        } catch (e) {
            return false;
        }
    }

    function ask(pollId) {
        if (onPage(pollId)) {
            window.dash_clientside.set_props(pollId, {data: Date.now()});
        }
    }

    // A running run's updates come up to ten times a second. A chart draws one at most every
    // IN_SIGHT_MS, or every OUT_OF_SIGHT_MS while out of sight (scrolled away, or the tab hidden)
    // or while it is a 3-D chart: each redraw costs the browser 30-60 ms, a 3-D one ~55 ms more
    // of WebGL drawn in software by the GPU process (without a GPU, as on a small server), all
    // taken from the job's core. The newest update waits for its turn; the run's end (an update
    // not marked `streaming`) is drawn at once.
    const IN_SIGHT_MS = 250;
    const OUT_OF_SIGHT_MS = 1000;
    const drawnAt = {};  // graph id -> when it last drew
    const waiting = {};  // update store id -> {graph, update, timer}: the newest update not drawn

    function outOfSight(graph) {
        const box = graph.getBoundingClientRect();
        return document.hidden || box.width === 0 || box.bottom <= 0 || box.top >= window.innerHeight;
    }

    function slowPace(graph, figure) {
        return (figure.layout && figure.layout.scene !== undefined) || outOfSight(graph);
    }

    function due(graphId, storeId, update, figure) {
        const graph = typeof graphId === "string" && document.getElementById(graphId);
        const now = performance.now();
        const last = drawnAt[graphId] === undefined ? -Infinity : drawnAt[graphId];
        // only a streamed update asks where the chart is (getBoundingClientRect forces a layout)
        const interval = update.streaming && graph && typeof storeId === "string"
            ? (slowPace(graph, figure) ? OUT_OF_SIGHT_MS : IN_SIGHT_MS) : 0;
        if (now - last < interval) {
            const wait = waiting[storeId] || (waiting[storeId] = {
                graph: graphId,
                timer: setTimeout(function () { drawWaiting(storeId); }, last + interval - now),
            });
            wait.update = update;
            return false;
        }
        if (waiting[storeId]) {
            clearTimeout(waiting[storeId].timer);
            delete waiting[storeId];
        }
        drawnAt[graphId] = now;
        return true;
    }

    // Its turn came: the store is set again (a new object, so Dash calls applyTraceUpdates).
    function drawWaiting(storeId) {
        const wait = waiting[storeId];
        delete waiting[storeId];
        if (wait && onPage(storeId)) {
            drawnAt[wait.graph] = -Infinity;
            window.dash_clientside.set_props(storeId, {data: Object.assign({}, wait.update)});
        }
    }

    window.dash_clientside = Object.assign({}, window.dash_clientside, {
        runs: {
            pollAgain: function (answered, pollId) {
                clearTimeout(timers[pollId]);
                delete timers[pollId];
                if (answered && typeof answered.wait_ms === "number") {
                    timers[pollId] = setTimeout(function () {
                        delete timers[pollId];
                        ask(pollId);
                    }, answered.wait_ms);
                }  // else the run ended: stop asking
            },
            // Merge streamed trace updates ({trace index: fields}) into a chart's figure (see
            // components/figures.py): new objects for what changed, the rest as it was. A running
            // run's update may wait for the chart's turn (`due`).
            applyTraceUpdates: function (update, figure) {
                if (!update || !figure || !Array.isArray(figure.data)) {
                    return window.dash_clientside.no_update;
                }
                const context = window.dash_clientside.callback_context;
                const graphId = (context.outputs_list || {}).id;
                if (!due(graphId, context.triggered_id, update, figure)) {
                    return window.dash_clientside.no_update;
                }
                const data = figure.data.slice();
                Object.keys(update).forEach(function (index) {
                    if (index !== "streaming") {
                        data[Number(index)] = Object.assign({}, data[Number(index)] || {}, update[index]);
                    }
                });
                return Object.assign({}, figure, {data: data});
            },
            // The background job ended. Its answer is usually a note (the run's record is in the
            // store, where the chain reads it); if it holds the record itself, look now.
            jobAnswered: function (answer, pollId) {
                if (answer && answer.status && !answer.recorded) {
                    ask(pollId);
                }
            },
        },
    });
})();
