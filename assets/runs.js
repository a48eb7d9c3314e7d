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
            // components/figures.py): new objects for what changed, the rest as it was.
            applyTraceUpdates: function (update, figure) {
                if (!update || !figure || !Array.isArray(figure.data)) {
                    return window.dash_clientside.no_update;
                }
                const data = figure.data.slice();
                Object.keys(update).forEach(function (index) {
                    data[Number(index)] = Object.assign({}, data[Number(index)] || {}, update[index]);
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
