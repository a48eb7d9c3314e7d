"""What a hostile post costs the server: in this process, through Flask's test client.

tests/test_endpoint_fuzz.py checks that such posts get a bounded reply and never a 5xx; how long
the app takes to answer them is a figure, measured here:

- the gallery's `compare` naming 20,000 unknown functions (as a comma string, as a list, and in a
  link through the pages router): the amplification bug once cost ~45 s of CPU per post;
- a ~100 KB string in every value of a post, for the callbacks that parse text.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from typing import Any

from harness.dash_client import long_string_post, split_output

UPDATE_URL = "/_dash-update-component"
LONG_STRING_CALLBACKS = (
    "components.gallery.draw", "components.training.check_controls", "components.run_panel.follow_run",
    "components.gallery.reset_view", "components.training.redraw_loss", "components.shell.show_active_runs",
    "components.training_step.step", "components.network.check_controls", "components.network.compare_runs",
)


def label_of(spec: dict) -> str:
    fn = spec.get("callback")
    return f"{fn.__module__}.{fn.__name__}" if fn else "clientside"


def encode(body: Any) -> bytes:
    return json.dumps(body, allow_nan=True).encode("utf-8", "surrogatepass")


class InProcessApp:
    """`app` imported here (with a job cache of its own), its test client and callbacks by label."""

    def __init__(self) -> None:
        if "app" not in sys.modules:  # app.py configures its job cache from the environment at import
            saved = os.environ.get("DASH_CACHE_DIR")
            os.environ["DASH_CACHE_DIR"] = tempfile.mkdtemp(prefix="bench-hostile-")
            try:
                import app  # noqa: F401
            finally:
                if saved is None:
                    os.environ.pop("DASH_CACHE_DIR", None)
                else:
                    os.environ["DASH_CACHE_DIR"] = saved
        import app as app_module

        self.client = app_module.server.test_client()
        html = self.client.get("/").get_data(as_text=True)
        start = html.index('<script id="_dash-config" type="application/json">')
        self.end_id = json.loads(html[html.index(">", start) + 1: html.index("</script>", start)]).get("end_id")
        self.specs = {label_of(spec): (output, spec) for output, spec in app_module.app.callback_map.items()}

    def seconds(self, body: dict) -> float:
        """Post `body` as the renderer would; the seconds until the reply (which must not be a 5xx)."""
        raw = encode(body)
        started = time.perf_counter()
        response = self.client.post(UPDATE_URL, query_string=[("endId", self.end_id)] if self.end_id else [],
                                    data=raw, content_type="application/json")
        elapsed = time.perf_counter() - started
        if response.status_code >= 500:
            raise RuntimeError(f"HTTP {response.status_code} for a hostile post")
        return elapsed

    # -- the posts ------------------------------------------------------------------------------

    def compare_posts(self) -> list[dict]:
        output, spec = self.specs["components.gallery.draw"]
        values = {"activation.value": "relu", "show-derivative.value": [], "xmin.value": -10, "xmax.value": 10}

        def draw(compare) -> dict:
            def entry(dep):
                if isinstance(dep["id"], str) and dep["id"].startswith("{"):
                    return []  # ALL over no component
                item = {"id": dep["id"], "property": dep["property"]}
                key = f"{dep['id']}.{dep['property']}"
                if key in {**values, "compare.value": compare}:
                    item["value"] = {**values, "compare.value": compare}[key]
                return item

            body = {"output": output, "outputs": split_output(output), "inputs": [entry(d) for d in spec["inputs"]],
                    "changedPropIds": ["compare.value"]}
            if spec["state"]:
                body["state"] = [entry(d) for d in spec["state"]]
            return body

        router, _spec = self.specs["dash.dash.update"]
        link = {"output": router, "outputs": split_output(router), "inputs": [
            {"id": "_pages_location", "property": "pathname", "value": "/gallery"},
            {"id": "_pages_location", "property": "search", "value": "?compare=" + "x," * 20000}],
            "changedPropIds": ["_pages_location.pathname"]}
        return [draw("x," * 20000), draw(["x"] * 10000), link]

    def long_string_posts(self) -> list[dict]:
        return [long_string_post(*self.specs[label]) for label in LONG_STRING_CALLBACKS]
