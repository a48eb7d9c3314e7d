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
        // The gallery's "Try it in a network": its query (gallery.gallery_query) without what
        // only the gallery's chart reads, so the network page gets the function and its parameters.
        networkLink: function (query) {
            if (typeof query !== "string" || !query.startsWith("?")) {
                return window.dash_clientside.no_update;
            }
            const kept = new URLSearchParams(query);
            ["xmin", "xmax", "compare", "deriv"].forEach(function (key) { kept.delete(key); });
            return "/network?" + kept.toString();
        },
    },
});

// The language links open the same page with the same settings: the address as it is now (the
// pages keep it in step with their controls), with `lang` set.
document.addEventListener("click", function (event) {
    const link = event.target.closest && event.target.closest(".languages a");
    if (link) {
        const query = new URLSearchParams(window.location.search);
        query.set("lang", link.lang);
        link.href = window.location.pathname + "?" + query.toString();
    }
}, true);
