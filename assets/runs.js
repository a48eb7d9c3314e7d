// The poll chain of a running run (components/run_panel.py): the server answers with how long to
// wait before the next question, so an answer is never overtaken by the next question.
window.dash_clientside = Object.assign({}, window.dash_clientside, {
    runs: {
        pollAgain: function (answered, pollId) {
            if (!answered || typeof answered.wait_ms !== "number") {
                return;  // the run ended: stop asking
            }
            setTimeout(function () {
                // The learner may have left the page meanwhile: then there is nobody to ask for.
                if (window.dash_component_api.getLayout(pollId) !== undefined) {
                    window.dash_clientside.set_props(pollId, {data: Date.now()});
                }
            }, answered.wait_ms);
        },
    },
});
