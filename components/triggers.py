"""Which inputs fired a callback, for callbacks that do different things for different inputs."""

from __future__ import annotations

from dash import ctx
from dash.exceptions import MissingCallbackContextException


def triggered_props() -> set[str]:
    """The `id.property` inputs that fired this call; empty on a page load's first call and when
    called outside a callback (tests call callbacks as plain functions)."""
    try:
        return {prop for prop in ctx.triggered_prop_ids if prop != "."}
    except MissingCallbackContextException:
        return set()
