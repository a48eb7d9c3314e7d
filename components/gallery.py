"""Activation gallery (path `/gallery`): the seed's functions and today's, with live parameters.

Everything shown comes from the one registry in `core.activations`: names, parameters and their
ranges, formulas, the seed's y-limits, values and autograd derivatives; the properties panel
(`properties_panel`) shows what `core.exact_properties` works out for it.
"""

from __future__ import annotations

import json
from typing import Any, Mapping
from urllib.parse import urlencode

from dash import (
    ALL,
    MATCH,
    ClientsideFunction,
    Input,
    Output,
    State,
    dcc,
    html,
    no_update,
)

from components import gallery_ready, ids
from components.triggers import triggered_props
from components.figures import DERIVATIVE_SUFFIX, DERIVATIVE_TRACE, graph_config, serve_activation_figure
from components.gallery_ready import defaults, label, ready_in_browser, view_key
from components.properties_panel import properties_table
from core.i18n import N_, _
from core.numbers import exact_text
from core.activations import (
    ACTIVATIONS,
    DEFAULT_ACTIVATION,
    DEFAULT_XMAX,
    DEFAULT_XMIN,
    X_LIMIT,
    evaluate,
    make_grid,
    parameter_slopes,
    resolve,
)
from core.curves import float32_list

GROUP_TITLES = {"seed": N_("From the tutorial"), "modern": N_("Beyond the tutorial")}
MAX_COMPARED = 6
MAX_COMPARE_TEXT = 2000  # characters of a compare value from a link or a post


def slider_id(name: str, prefix: str = "") -> dict:
    """A parameter's slider; another page's sliders carry its prefix (pattern-matching ids are
    global, and the gallery's callbacks must not fire there)."""
    return {"type": prefix + ids.PARAM_SLIDER, "name": name}


def box_id(name: str, prefix: str = "") -> dict:
    return {"type": prefix + ids.PARAM_BOX, "name": name}


def dom_id(component_id: dict) -> str:
    """The DOM id Dash gives a pattern-matching id (sorted keys, compact JSON), for labels."""
    return json.dumps(component_id, sort_keys=True, separators=(",", ":"))


# ---------------------------------------------------------------------------------------------
# Plain functions (tests call these directly)


def parse_compare(raw: Any, selected: str) -> tuple[list[str], list[str]]:
    """Known function names to overlay (a list, or a comma-separated string from the URL).

    Unknown names are reported once, with a count, and an oversized value is refused whole:
    one message per bad item would let a small post ask for a huge reply.
    """
    if isinstance(raw, str):
        if len(raw) > MAX_COMPARE_TEXT:
            return [], [_("compare is longer than {count} characters; ignored.").format(count=MAX_COMPARE_TEXT)]
        raw = [part.strip() for part in raw.split(",") if part.strip()]
    if not isinstance(raw, list):
        return [], ([] if raw is None else [_("compare must be a list of function names.")])
    if len(raw) > len(ACTIVATIONS):
        return [], [_("compare may name at most {count} functions; ignored.").format(count=len(ACTIVATIONS))]
    names, unknown = [], []
    for item in raw:
        if isinstance(item, str) and item in ACTIVATIONS:
            if item != selected and item not in names:
                names.append(item)
        else:
            unknown.append(str(item)[:30])
    errors = []
    if unknown:
        errors.append(_("Cannot compare with {count} unknown function(s), e.g. {example}.").format(
            count=len(unknown), example=repr(unknown[0])))
    if len(names) > MAX_COMPARED:
        errors.append(_("At most {count} functions can be compared at once.").format(count=MAX_COMPARED))
    return names[:MAX_COMPARED], errors


def gallery_query(name: str, params: Mapping[str, float], xmin: float, xmax: float,
                  compare: list[str], derivative: bool) -> str:
    query: dict[str, Any] = {"fn": name, **{k: exact_text(v) for k, v in params.items()}}
    if (xmin, xmax) != (DEFAULT_XMIN, DEFAULT_XMAX):
        query.update(xmin=exact_text(xmin), xmax=exact_text(xmax))
    if compare:
        query["compare"] = ",".join(compare)
    if derivative:
        query["deriv"] = "1"
    return "?" + urlencode(query, safe=",")


def gallery_href(name: str, params: Mapping[str, float]) -> str:
    """The gallery's view of this function with these parameters (its tutorial's range)."""
    return "/gallery" + gallery_query(name, params, DEFAULT_XMIN, DEFAULT_XMAX, [], False)


def network_href(name: str, params: Mapping[str, float]) -> str:
    """The network page with this function and its parameters (as a gallery link writes them)."""
    return "/network?" + urlencode({"fn": name, **{k: exact_text(v) for k, v in params.items()}})


def view(name: str, params: Mapping[str, float], xmin: float, xmax: float,
         compare: list[str], derivative: bool):
    """(figure, properties table, formula markdown, torch.nn text, drag preview) for one view."""
    activation = ACTIVATIONS[name]
    x = make_grid(xmin, xmax)
    y, dy = evaluate(name, x, params)
    curves = [{"label": label(name, params), "y": y}]
    curves += [{"label": label(other, defaults(other)), "y": evaluate(other, x)[0]} for other in compare]
    default_range = (xmin, xmax) == (DEFAULT_XMIN, DEFAULT_XMAX)
    figure = serve_activation_figure(
        x, curves, dy if derivative else None, activation.ylim if default_range else None
    )
    table = properties_table(name, params)
    formula = f"$$\n{activation.formula_latex}\n$$"  # on their own lines: display math, not markdown
    if activation.torch_nn:
        torch_text = [_("In PyTorch: "), html.Code(activation.torch_nn)]
    else:
        torch_text = _("torch.nn has no module for this one; it is a one-line tensor expression.")
    return figure, table, formula, torch_text, drag_preview(name, params, x, derivative)


def drag_preview(name: str, params: Mapping[str, float], x, derivative: bool) -> dict:
    """The slopes of the drawn curve (trace 0) and of its derivative (trace 1, when shown) for
    each affine parameter: while its handle moves, assets/gallery.js draws f + Δ·slope itself,
    with no round trip; the server's own redraw (the shading where f′ vanishes too) follows when
    the handle is let go."""
    slopes = parameter_slopes(name, x, params)
    return {
        "params": dict(params),
        "display_name": _(ACTIVATIONS[name].display_name),
        "derivative_trace": DERIVATIVE_TRACE if derivative else None,
        "derivative_suffix": _(DERIVATIVE_SUFFIX),
        "slopes": {p: {"y": float32_list(sy), "dy": float32_list(sdy) if derivative else None}
                   for p, (sy, sdy) in slopes.items()},
    }


def params_from_controls(slider_values, slider_ids) -> dict:
    """The parameters the sliders say, by name; anything malformed is left out."""
    params = {}
    if isinstance(slider_ids, list) and isinstance(slider_values, list):
        for control_id, value in zip(slider_ids, slider_values):
            if isinstance(control_id, dict) and isinstance(control_id.get("name"), str):
                params[control_id["name"]] = value
    return params


def settings_from_controls(name, slider_values, slider_ids, xmin, xmax) -> dict:
    """What the controls say, as `resolve` reads it; anything malformed is left out."""
    return {"xmin": DEFAULT_XMIN if xmin is None else xmin, "xmax": DEFAULT_XMAX if xmax is None else xmax,
            **params_from_controls(slider_values, slider_ids)}


# ---------------------------------------------------------------------------------------------
# Layout


def function_options() -> list[dict]:
    options = []
    for group, title in GROUP_TITLES.items():
        options.append({"label": f"— {_(title)} —", "value": f"group:{group}", "disabled": True})
        options += [{"label": _(a.display_name), "value": a.name}
                    for a in ACTIVATIONS.values() if a.group == group]
    return options


def param_controls(name: str, params: Mapping[str, float], prefix: str = "") -> list:
    """A slider plus a number box per parameter; the curve follows the slider while dragging.
    With a `prefix`, the same controls for another page (`slider_id`)."""
    controls = []
    for p in ACTIVATIONS[name].params:
        controls.append(
            html.Div(
                [
                    html.Label(_(p.label), htmlFor=dom_id(box_id(p.name, prefix))),
                    html.Div(
                        [
                            dcc.Slider(id=slider_id(p.name, prefix), min=p.min, max=p.max, step=p.step,
                                       value=params[p.name], updatemode="mouseup",
                                       marks={p.min: f"{p.min:g}", p.max: f"{p.max:g}"},
                                       className="param-slider"),
                            dcc.Input(id=box_id(p.name, prefix), type="number", min=p.min, max=p.max,
                                      step=p.step, value=params[p.name], className="number-input param-box"),
                        ],
                        className="param-row",
                    ),
                ],
                className="control",
            )
        )
    if not controls:
        controls.append(html.P(_("This function has no parameters."), className="hint"))
    return controls


def layout(**query) -> html.Div:
    resolved = resolve(query.get("fn"), query)
    compare, compare_errors = parse_compare(query.get("compare"), resolved.name)
    derivative = str(query.get("deriv", "")).lower() in ("1", "true", "yes", "on")
    figure, table, formula, torch_text, preview = view(resolved.name, resolved.params, resolved.xmin,
                                                       resolved.xmax, compare, derivative)
    notices = [_("Ignored from the link: {message}").format(message=e) for e in resolved.errors + compare_errors]
    controls = html.Section(
        [
            html.H2(_("Activation function")),
            html.Div(
                [
                    html.Label(_("Function"), htmlFor=ids.ACTIVATION),
                    dcc.Dropdown(id=ids.ACTIVATION, options=function_options(), value=resolved.name,
                                 clearable=False, searchable=True),
                ],
                className="control",
            ),
            html.Div(param_controls(resolved.name, resolved.params), id=ids.PARAM_CONTROLS),
            dcc.Checklist(
                id=ids.SHOW_DERIVATIVE,
                options=[{"label": _("Show the derivative f′(x) (from autograd)"), "value": "on"}],
                value=["on"] if derivative else [],
                className="check",
            ),
            html.Fieldset(
                [
                    html.Legend(_("x range")),
                    html.Div(
                        [
                            html.Div([html.Label(_("from"), htmlFor=ids.XMIN),
                                      dcc.Input(id=ids.XMIN, type="number", value=resolved.xmin, step="any",
                                                min=-X_LIMIT, max=X_LIMIT, className="number-input")]),
                            html.Div([html.Label(_("to"), htmlFor=ids.XMAX),
                                      dcc.Input(id=ids.XMAX, type="number", value=resolved.xmax, step="any",
                                                min=-X_LIMIT, max=X_LIMIT, className="number-input")]),
                        ],
                        className="range-row",
                    ),
                ],
                className="control",
            ),
            html.Div(
                [
                    html.Label(_("Compare with"), htmlFor=ids.COMPARE),
                    dcc.Dropdown(id=ids.COMPARE, options=[o for o in function_options() if not o.get("disabled")],
                                 value=compare, multi=True, placeholder=_("Overlay other functions…")),
                ],
                className="control",
            ),
            html.Button(_("Back to the tutorial's view"), id=ids.GALLERY_RESET, className="button small"),
            html.P(dcc.Link(_("Try it in a network →"), id=ids.NETWORK_LINK,
                            href=network_href(resolved.name, resolved.params)), className="hint"),
            html.Div([html.P(n, className="notice") for n in notices], id=ids.GALLERY_NOTICE,
                     role="alert"),
        ],
        className="panel controls",
        **{"aria-label": _("Gallery settings")},
    )
    chart = html.Section(
        [
            dcc.Graph(id=ids.ACTIVATION_GRAPH, figure=figure, config=graph_config(),
                      className="chart tall"),
            html.Div(
                [
                    html.Div([html.H2(_("Formula")), dcc.Markdown(formula, id=ids.FORMULA, mathjax=True),
                              html.P(torch_text, id=ids.TORCH_EQUIVALENT)]),
                    html.Div([html.H2(_("Properties")), html.Div(table, id=ids.PROPERTIES)]),
                ],
                className="facts",
            ),
        ],
        className="panel charts",
    )
    shown = view_key(resolved.name, resolved.params, resolved.xmin, resolved.xmax, compare, derivative)
    stores = [dcc.Store(id=ids.GALLERY_QUERY), dcc.Store(id=ids.PARAM_DRAG),
              dcc.Store(id=ids.DRAG_PREVIEW, data=preview), dcc.Store(id=ids.SHOWN_VIEW, data=shown),
              dcc.Store(id=ids.READY_VIEWS)]
    return html.Div([controls, chart, *stores], className="page gallery")


# ---------------------------------------------------------------------------------------------
# Callbacks


def show_param_controls(name):
    if not isinstance(name, str) or name not in ACTIVATIONS:
        return no_update
    return param_controls(name, defaults(name))


def param_spec(name, param_name):
    """The registry's parameter `param_name` of function `name`, or None."""
    if not isinstance(name, str) or name not in ACTIVATIONS:
        return None
    return next((p for p in ACTIVATIONS[name].params if p.name == param_name), None)


def draw(name, slider_values, show_derivative, xmin, xmax, compare, dragged, slider_ids, shown_view=None):
    """Validate everything on the server (any client can post anything) and redraw.

    The browser's redraw is the slow part, so only what changed is sent: no figure the browser
    shows already (`shown_view`, or the ready view it drew itself when the function changed);
    while a handle is dragged, the curve alone (the table and the address follow when it is let
    go); the formula and the torch.nn line only when the function changes.
    """
    triggered = triggered_props()
    dragging = isinstance(dragged, dict) and triggered == {f"{ids.PARAM_DRAG}.data"}
    new_function = f"{ids.ACTIVATION}.value" in triggered
    # a new function starts at its defaults: the sliders still shown are the previous function's
    raw = settings_from_controls(name, [] if new_function else slider_values, slider_ids, xmin, xmax)
    if dragging:
        raw.update({k: v for k, v in dragged.items() if isinstance(k, str) and k not in ("xmin", "xmax")})
    resolved = resolve(name, raw)
    compared, compare_errors = parse_compare(compare, resolved.name)
    derivative = isinstance(show_derivative, list) and "on" in show_derivative
    figure, table, formula, torch_text, preview = view(
        resolved.name, resolved.params, resolved.xmin, resolved.xmax, compared, derivative)
    shown = view_key(resolved.name, resolved.params, resolved.xmin, resolved.xmax, compared, derivative)
    ready = ready_in_browser(resolved.name, resolved.params, resolved.xmin, resolved.xmax, compared, derivative)
    # (a drag's answer always carries its figure: assets/gallery.js waits for it to send the next)
    if not dragging and (shown == shown_view or (triggered == {f"{ids.ACTIVATION}.value"} and ready)):
        figure = no_update
    notices = [html.P(e, className="notice") for e in resolved.errors + compare_errors]
    query = gallery_query(resolved.name, resolved.params, resolved.xmin, resolved.xmax, compared, derivative)
    if dragging:  # (an unchanged list of notices would still make Dash re-walk the layout)
        return figure, no_update, no_update, no_update, preview, shown, notices or no_update, no_update
    if triggered and not new_function:
        formula = torch_text = no_update
    return figure, table, formula, torch_text, preview, shown, notices, query


def reset_view(_clicks, name, slider_ids):
    """The tutorial's own plot of the current function: default parameters, grid and y-limits."""
    name = name if isinstance(name, str) and name in ACTIVATIONS else DEFAULT_ACTIVATION
    values = []
    for control_id in slider_ids if isinstance(slider_ids, list) else []:
        param = param_spec(name, control_id.get("name") if isinstance(control_id, dict) else None)
        values.append(param.default if param is not None else no_update)
    return name, DEFAULT_XMIN, DEFAULT_XMAX, [], [], values


def register_callbacks(app) -> None:
    app.callback(
        Output(ids.PARAM_CONTROLS, "children"),
        Input(ids.ACTIVATION, "value"),
        prevent_initial_call=True,
    )(show_param_controls)
    # Slider and box show one value; a box value outside the parameter's range moves nothing.
    # While a handle is dragged the curve follows: an affine parameter is redrawn in the browser
    # from DRAG_PREVIEW's slopes, once per frame; any other goes to `draw` through PARAM_DRAG, one
    # request at a time (assets/gallery.js says why). In the browser: a server round trip here
    # would delay every redraw by one more trip.
    app.clientside_callback(
        ClientsideFunction("gallery", "syncParam"),
        Output(slider_id(MATCH), "value"),
        Output(box_id(MATCH), "value"),
        Input(slider_id(MATCH), "value"),
        Input(box_id(MATCH), "value"),
        Input(slider_id(MATCH), "drag_value"),
        State(box_id(MATCH), "min"),
        State(box_id(MATCH), "max"),
        State(ids.DRAG_PREVIEW, "data"),
        State(ids.ACTIVATION_GRAPH, "figure"),
        prevent_initial_call=True,
    )
    app.clientside_callback(  # no output: it sets PARAM_DRAG itself, see assets/gallery.js
        ClientsideFunction("gallery", "releaseDrag"),
        Input(ids.ACTIVATION_GRAPH, "figure"),
        prevent_initial_call=True,
    )
    app.callback(
        Output(ids.ACTIVATION_GRAPH, "figure"),
        Output(ids.PROPERTIES, "children"),
        Output(ids.FORMULA, "children"),
        Output(ids.TORCH_EQUIVALENT, "children"),
        Output(ids.DRAG_PREVIEW, "data"),
        Output(ids.SHOWN_VIEW, "data"),
        Output(ids.GALLERY_NOTICE, "children"),
        Output(ids.GALLERY_QUERY, "data"),
        Input(ids.ACTIVATION, "value"),
        Input(slider_id(ALL), "value"),
        Input(ids.SHOW_DERIVATIVE, "value"),
        Input(ids.XMIN, "value"),
        Input(ids.XMAX, "value"),
        Input(ids.COMPARE, "value"),
        Input(ids.PARAM_DRAG, "data"),
        State(slider_id(ALL), "id"),
        State(ids.SHOWN_VIEW, "data"),
        prevent_initial_call=True,
    )(draw)
    gallery_ready.register_callbacks(app)
    app.callback(
        Output(ids.ACTIVATION, "value"),
        Output(ids.XMIN, "value"),
        Output(ids.XMAX, "value"),
        Output(ids.COMPARE, "value"),
        Output(ids.SHOW_DERIVATIVE, "value"),
        Output(slider_id(ALL), "value", allow_duplicate=True),
        Input(ids.GALLERY_RESET, "n_clicks"),
        State(ids.ACTIVATION, "value"),
        State(slider_id(ALL), "id"),
        prevent_initial_call=True,
    )(reset_view)
    app.clientside_callback(  # no output: the effect is the address bar, without a history entry
        ClientsideFunction("app", "replaceQuery"),
        Input(ids.GALLERY_QUERY, "data"),
        prevent_initial_call=True,
    )
    app.clientside_callback(  # "Try it in a network" follows the function and its parameters
        ClientsideFunction("app", "networkLink"),
        Output(ids.NETWORK_LINK, "href"),
        Input(ids.GALLERY_QUERY, "data"),
        prevent_initial_call=True,
    )
