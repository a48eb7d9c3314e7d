// Clientside callbacks shared by the pages.
window.dash_clientside = Object.assign({}, window.dash_clientside, {
    app: {
        // Follow the controls in the address bar without adding history entries, so a view can
        // be shared by copying the URL and Back still leaves the page.
        replaceQuery: function (query) {
            if (typeof query === "string" && query.startsWith("?")) {
                window.history.replaceState(window.history.state, "", window.location.pathname + query);
            }
        },
    },
});
