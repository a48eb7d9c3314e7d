"""The regression & activation dashboard: `python app.py` serves it on 127.0.0.1:8050.

Environment: HOST, PORT, DASH_DEBUG=1 for Dash's dev tools, DASH_CACHE_DIR for the job cache.
WSGI servers use `server`.
"""

from __future__ import annotations

import os

# Import torch here, before any job forks, so no job pays its ~2 s import. One intra-op thread:
# the gallery runs small torch ops in this process, and an OpenMP pool does not survive fork.
import torch
import torch._dynamo  # noqa: F401 - optim.SGD's first step imports it (~1.5 s); do it once, here

torch.set_num_threads(1)

import dash  # noqa: E402
from dash import Dash, dcc, html  # noqa: E402

from components import gallery, ids, jobs, training  # noqa: E402

manager = jobs.configure(os.environ)

app = Dash(
    __name__,
    use_pages=True,
    pages_folder="",  # pages are registered below, so importing a page module has no side effects
    background_callback_manager=manager,
    title="PyTorch regression & activations",
    update_title=None,
)
server = app.server
# Callback posts are a few KB; anything near this is junk, and Flask answers it with 413.
server.config["MAX_CONTENT_LENGTH"] = 1024 * 1024

dash.register_page("training", path="/", name="Training", title="Training · PyTorch dashboard", layout=training.layout)
dash.register_page("gallery", path="/gallery", name="Activation gallery", title="Activations · PyTorch dashboard", layout=gallery.layout)

app.layout = html.Div(
    [
        html.Header(
            html.Nav(
                [
                    html.Span("PyTorch, visually", className="brand"),
                    dcc.Link("Training", href="/", className="nav-link"),
                    dcc.Link("Activation gallery", href="/gallery", className="nav-link"),
                ],
                className="nav",
                **{"aria-label": "Pages"},
            ),
            id=ids.NAVBAR,
        ),
        html.Main(dash.page_container),
    ],
    className="app",
)


def main() -> None:
    debug = os.environ.get("DASH_DEBUG", "").lower() in ("1", "true", "yes")
    app.run(
        host=os.environ.get("HOST", "127.0.0.1"),
        port=int(os.environ.get("PORT", "8050")),
        debug=debug,
    )


if __name__ == "__main__":
    main()
