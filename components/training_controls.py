"""The training page's settings controls, built from the registries: a number input per config
field, the true weights, and the module approach's optimizer with the settings it uses (shown only
when they apply; `optimizer_controls` says which, for the layout and for `check_controls`); and
`CONTROLS`, the one mapping of them all that every callback reading the settings uses."""

from __future__ import annotations

from typing import Any, Mapping

from dash import State, dcc, html

from components import ids
from core.i18n import _
from core.numbers import NumberField
from core.optimizers import OPTIMIZERS, SETTINGS
from core.training_config import CONTROL_NAMES, FIELDS, OPTIMIZED_APPROACH, settings_in_use


# The controls as the one mapping the parser reads: {"approach", each FIELD, "optimizer", each
# optimizer SETTING, "true_weights"}.
CONTROLS = {
    "approach": ids.APPROACH,
    **{name: ids.number_input(name) for name in FIELDS},
    "optimizer": ids.OPTIMIZER,
    **{name: ids.number_input(name) for name in SETTINGS},
    "true_weights": list(ids.TRUE_WEIGHT_INPUTS),
}


def control_states(kind=State, names=CONTROL_NAMES) -> dict:
    return {name: [kind(i, "value") for i in cid] if isinstance(cid, list) else kind(cid, "value")
            for name, cid in CONTROLS.items() if name in names}



def optimizer_controls(values: Mapping[str, Any]) -> dict[str, Any]:
    """Which optimizer controls apply: none for the manual approach (it writes its own update);
    for the module approach the chosen optimizer's settings."""
    used = settings_in_use(values)
    manual = values.get("approach") != OPTIMIZED_APPROACH
    return {"disabled": manual, "note_hidden": not manual,
            "setting_hidden": {name: name not in used for name in SETTINGS}}


def number_control(field: NumberField, value, prefix: str = "", **row) -> html.Div:
    """A field's number input (id: `prefix` + its name) and the message under it."""
    control_id = prefix + ids.number_input(field.name)
    return html.Div(
        [
            html.Label(_(field.label), htmlFor=control_id),
            dcc.Input(id=control_id, type="number", value=value, step=1 if field.whole else "any",
                      placeholder=_("random") if field.optional else None, className="number-input"),
            html.Div(id=ids.field_error(prefix + field.name), className="field-error", role="alert"),
        ],
        className="control",
        **row,
    )


def optimizer_fieldset(values) -> html.Fieldset:
    applies = optimizer_controls(values)
    return html.Fieldset(
        [
            html.Legend(_("Optimizer (module approach)")),
            html.P(_("Not used by the manual approach: it writes its update by hand."), id=ids.OPTIMIZER_NOTE,
                   className="hint", hidden=applies["note_hidden"]),
            dcc.RadioItems(
                id=ids.OPTIMIZER,
                options=[{"label": _(o.label), "value": o.name} for o in OPTIMIZERS.values()],
                value=values["optimizer"],
                className="approach-options optimizer-options",
            ),
            html.Div(id=ids.field_error("optimizer"), className="field-error", role="alert"),
            *(number_control(field, values[name], id=ids.setting_row(name),
                              hidden=applies["setting_hidden"][name])
              for name, field in SETTINGS.items()),
        ],
        id=ids.OPTIMIZER_FIELDSET,
        disabled=applies["disabled"],
        className="control",
    )


def true_weight_fieldset(values) -> html.Fieldset:
    return html.Fieldset(
        [
            html.Legend(_("True weights (y = w0 + w1·a + w2·b)")),
            html.Div(
                [
                    html.Div(
                        [
                            html.Label(f"w{k}", htmlFor=control_id),
                            dcc.Input(id=control_id, type="number", value=values[k], step="any",
                                      className="number-input"),
                        ],
                        className="weight-control",
                    )
                    for k, control_id in enumerate(ids.TRUE_WEIGHT_INPUTS)
                ],
                className="weight-row",
            ),
            html.Div(id=ids.field_error("true_weights"), className="field-error", role="alert"),
        ],
        className="control",
    )
