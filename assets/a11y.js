// What axe-core (WCAG 2.0/2.1 A and AA) flags in Dash 4.4.1's own components and the names it
// gives only in English, fixed from outside, and a text summary of every chart for screen readers.
(function () {
    // The words written here, in the page's language (components/shell.py puts them in the page).
    function a11yWords() {
        return (document.getElementById("a11y-words") || {}).dataset
            || {points: "points", last: "last value", none: "no data yet",
                decrease: "Decrease {name}", increase: "Increase {name}"};
    }

    // dcc.RadioItems and dcc.Checklist render role="listbox" around <label role="option"> that hold
    // native radio and checkbox inputs: a listbox without a name, and interactive controls nested in
    // options (axe: aria-input-field-name, nested-interactive). The native inputs, each inside its
    // <label>, already say everything, so the ARIA roles go. Upstream: the Dash 4 core-components
    // redesign (plotly/dash#3543) brought this markup; React sets aria-selected again on each change.
    // dcc.Dropdown's keyboard focus target is an <input tabindex="0" aria-hidden="true"> (axe:
    // aria-hidden-focus; upstream plotly/dash#3673 on the Dash 4 dropdown's keyboard focus): it is
    // what Tab reaches, so it is named after the dropdown's value and not hidden.
    // dcc.Slider's thumb (role="slider") has no name of its own (axe: aria-input-field-name); it
    // takes its control's label. Upstream: the same Dash 4 redesign (plotly/dash#3543).
    function fix(root) {
        root.querySelectorAll(".dash-slider-thumb:not([aria-label])").forEach(function (thumb) {
            const label = thumb.closest(".control") && thumb.closest(".control").querySelector("label");
            if (label && label.textContent) {
                thumb.setAttribute("aria-label", label.textContent);
            }
        });
        // (only these two: a dcc.Dropdown's open menu is a true listbox of options, and stays one)
        const lists = ".dash-radioitems.dash-options-list, .dash-checklist.dash-options-list";
        root.querySelectorAll(lists).forEach(function (list) {
            if (list.getAttribute("role") === "listbox") {
                list.setAttribute("role", "group");
            }
            list.querySelectorAll('[role="option"], [aria-selected]').forEach(function (option) {
                option.removeAttribute("role");
                option.removeAttribute("aria-selected");
            });
        });
        // A number input's − and + buttons (named "Decrease value" and "Increase value" by Dash, in
        // every language) are named after the input's label, in the page's language.
        const steppers = '.dash-input-stepper[aria-label="Decrease value"], .dash-input-stepper[aria-label="Increase value"]';
        root.querySelectorAll(steppers).forEach(function (button) {
            const words = a11yWords();
            // (a pattern-matching id is JSON, quotes and all)
            const label = document.querySelector('label[for="' + CSS.escape(button.getAttribute("aria-controls") || "") + '"]');
            const word = button.classList.contains("dash-stepper-decrement") ? words.decrease : words.increase;
            button.setAttribute("aria-label", word.replace("{name}", label ? label.textContent.trim() : "").trim());
        });
        root.querySelectorAll('.dash-dropdown-focus-target[aria-hidden="true"]').forEach(function (target) {
            const button = target.parentElement && target.parentElement.querySelector("button.dash-dropdown");
            target.removeAttribute("aria-hidden");
            if (button && button.getAttribute("aria-labelledby")) {
                const label = target.closest(".control") && target.closest(".control").querySelector("label[id]");
                target.setAttribute("aria-labelledby",
                                    (label ? label.id + " " : "") + button.getAttribute("aria-labelledby"));
            }
        });
    }

    // Each chart's summary: its traces, how many points each holds and the last value, in a
    // visually hidden paragraph the chart is described by.
    function summarize(graph) {
        const plot = graph.querySelector(".js-plotly-plot");
        if (!plot || !plot.data) {
            return;
        }
        let summary = document.getElementById(graph.id + "-summary");
        if (!summary) {
            summary = document.createElement("p");
            summary.id = graph.id + "-summary";
            summary.className = "sr-only";
            graph.after(summary);
            graph.setAttribute("aria-describedby", summary.id);
        }
        const words = a11yWords();
        const parts = plot.data.filter(function (t) { return t.visible !== false && t.visible !== "legendonly"; })
            .map(function (t) {
                const values = t.z && !t.y ? [] : Array.from(t.y || []);
                const name = t.name || t.meta || t.type;
                if (!values.length) {
                    return null;
                }
                const last = Number(values[values.length - 1]);
                return name + ": " + values.length + " " + words.points + ", " + words.last + " "
                    + (Number.isFinite(last) ? last.toPrecision(4) : "—");
            }).filter(Boolean);
        const text = parts.length ? parts.join("; ") : words.none;
        if (summary.textContent !== text) {
            summary.textContent = text;
        }
    }

    let pending = null;
    function summarizeAll() {
        pending = null;
        document.querySelectorAll(".dash-graph[id]").forEach(summarize);
    }
    new MutationObserver(function () {
        fix(document);  // at once, before anyone reads the new markup (a few selector queries)
        if (pending === null) {
            pending = setTimeout(summarizeAll, 150);  // once per burst of chart redraws, not per node
        }
    }).observe(document.documentElement, {subtree: true, childList: true, attributes: true,
                                           attributeFilter: ["role", "aria-selected", "aria-hidden", "aria-label"]});
})();
