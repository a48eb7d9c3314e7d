"""The guard in front of Dash's callback endpoint (`/_dash-update-component`).

Any client can post there. Dash 4.4 trusts the envelope of a post (the callback's `output` key,
the `inputs`/`state` lists, `changedPropIds`) and answers 500 when it is malformed; the values
inside are each callback's own business (they validate them). This module refuses a malformed
envelope with 400 before Dash reads it, and turns any exception that still escapes a callback on
that path into a logged 400 instead of a 500, so no client ever sees a 500 or a traceback.
"""

from __future__ import annotations

import json
from typing import Any, Mapping

import flask
from werkzeug.exceptions import HTTPException, InternalServerError


def envelope_problem(body: Any, callback_map: Mapping[str, Mapping[str, Any]]) -> str | None:
    """What makes `body` a post no renderer sends for a server callback, or None if nothing."""
    if not isinstance(body, dict):
        return "the body must be a JSON object"
    output = body.get("output")
    spec = callback_map.get(output) if isinstance(output, str) else None
    if spec is None:
        return "`output` names no callback of this app"
    if "callback" not in spec:
        return "`output` names a callback that runs in the browser"
    for field in ("inputs", "state"):
        declared = spec.get(field) or []
        sent = body.get(field, [])
        if not isinstance(sent, list) or len(sent) != len(declared):
            return f"`{field}` must list {len(declared)} entries"
        if not all(_is_dependency(entry) or _is_dependency_list(entry) for entry in sent):
            return f"every entry of `{field}` must have an `id` and a `property`"
    if not spec.get("no_output") and not _outputs_match(body.get("outputs"), output):
        return "`outputs` must match the callback's outputs"
    changed = body.get("changedPropIds", [])
    if not isinstance(changed, list) or not all(_is_prop_id(prop) for prop in changed):
        return "`changedPropIds` must be a list of `id.property` strings"
    return None


def _is_prop_id(prop: Any) -> bool:
    """`id.property`, where an id in braces is a JSON object (Dash's callback context parses it)."""
    if not isinstance(prop, str):
        return False
    component_id = prop.rpartition(".")[0]
    if not component_id.startswith("{"):
        return True
    try:
        return isinstance(json.loads(component_id), dict)
    except (ValueError, RecursionError):
        return False


def pages_location_problem(body: dict, prefix: str) -> str | None:
    """Dash's page router reads `_pages_location.pathname` unchecked: a path under the app's
    prefix (or nothing yet), and a query string."""
    for entry in body.get("inputs", []) + body.get("state", []):
        if not isinstance(entry, dict) or entry["id"] != "_pages_location":
            continue
        value = entry.get("value")
        text = value is None or isinstance(value, str)
        if entry["property"] == "pathname" and not (value is None or (text and value.startswith(prefix))):
            return f"the page path must start with {prefix}"
        if entry["property"] == "search" and not text:
            return "the query string must be text"
    return None


def _outputs_match(outputs: Any, output: str) -> bool:
    """One output object for a single output, a list of one per output for several (Dash's
    key for several is `..a.b...c.d..`); a list of matches for an output with an ALL pattern."""
    if output.startswith(".."):
        declared = output[2:-2].split("...")
        return isinstance(outputs, list) and len(outputs) == len(declared) and all(
            _is_dependency(entry) or _is_dependency_list(entry) for entry in outputs)
    if '["ALL' in output:
        return _is_dependency_list(outputs)
    return _is_dependency(outputs)


def _is_dependency(entry: Any) -> bool:
    return (
        isinstance(entry, dict)
        and isinstance(entry.get("id"), (str, dict))
        and isinstance(entry.get("property"), str)
    )


def _is_dependency_list(entry: Any) -> bool:
    """A pattern-matching (ALL) input: one entry per matching component."""
    return isinstance(entry, list) and all(_is_dependency(item) for item in entry)


def _refuse(message: str) -> flask.Response:
    response = flask.jsonify({"message": message})
    response.status_code = 400
    return response


def install(app) -> None:
    """Check every post to the app's callback endpoint before Dash dispatches it."""
    server = app.server
    endpoint = app.config.routes_pathname_prefix + "_dash-update-component"

    @server.before_request
    def check_callback_post():
        request = flask.request
        if request.path != endpoint or request.method != "POST" or not request.is_json:
            return None  # Dash answers the rest (405, 415) itself
        try:
            body = request.get_json(silent=True)  # cached: Dash's own get_json reuses it
        except RecursionError:  # json raises it (not a ValueError) on very deep nesting
            body = None
        if body is None:
            return _refuse("The request body must be a JSON object.")
        problem = envelope_problem(body, app.callback_map) or pages_location_problem(
            body, app.config.requests_pathname_prefix.rstrip("/") or "/")
        return _refuse(f"Not a callback request: {problem}.") if problem else None

    @server.errorhandler(Exception)
    def refuse_failed_callback(error: Exception):
        if isinstance(error, HTTPException):
            return error  # 404, 405, 413 … keep their own status
        server.logger.error("Exception on %s", flask.request.path, exc_info=error)
        if flask.request.path != endpoint:
            return InternalServerError()
        # A callback raised on values no page sends (each checks what it can): the client gets a
        # 400, the traceback stays in the server log.
        return _refuse("This callback could not run with the values sent.")
