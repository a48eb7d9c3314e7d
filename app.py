"""The regression & activation dashboard: `python app.py` serves it on 127.0.0.1:8050.

Environment: HOST, PORT, DASH_DEBUG=1 for Dash's dev tools, DASH_CACHE_DIR for the job cache,
DASH_JOBS=celery with REDIS_URL for jobs on Celery workers, DASH_SECRET_KEY, MAX_RUNNING_JOBS.
WSGI servers use `server` (`gunicorn -w 4 app:server`); Celery workers use `celery_app`
(`celery -A app:celery_app worker`, with DASH_JOBS=celery and REDIS_URL set as for the app).
"""

from __future__ import annotations

import os

# Import torch here, before any job forks, so no job pays its ~2 s import. One intra-op thread:
# the server runs small torch work itself (the gallery, a run's first epoch), and an OpenMP
# pool does not survive fork.
import torch

torch.set_num_threads(1)

import dash  # noqa: E402
import flask  # noqa: E402
from dash import Dash  # noqa: E402

from components import callback_endpoint, gallery, language, network, race, shell, training, visitor  # noqa: E402
from components.jobs import backends, dash_internals  # noqa: E402
from core.i18n import _ as _t  # noqa: E402

backend = backends.build(os.environ)
if backend.celery_app is not None:
    celery_app = backend.celery_app  # `celery -A app:celery_app worker` runs the jobs


def __getattr__(name: str):
    """Without DASH_JOBS=celery there is no `celery_app`: say how to get one."""
    if name == "celery_app":
        raise AttributeError(
            "app.celery_app exists only with DASH_JOBS=celery and REDIS_URL=redis://… set, "
            "the same values as the app's"
        )
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class Dashboard(Dash):
    def interpolate_index(self, **kwargs) -> str:
        return language.html_lang(super().interpolate_index(**kwargs))  # <html lang> says the language


app = Dashboard(
    __name__,
    use_pages=True,
    pages_folder="",  # pages are registered below, so importing a page module has no side effects
    background_callback_manager=backend.manager,
    title="PyTorch regression & activations",
    update_title=None,
)
server = app.server
callback_endpoint.install(app)  # malformed callback posts get 400, never a 500
visitor.install(server)  # a browser id, so a run's handle works only where it started
language.install(server)  # ?lang=, the remembered choice or the browser's: the request's language
server.teardown_request(backend.end_of_request)
# Dash signs background-job handles with this key, and the app its run handles; without it each
# process would fetch Dash's secret from the job store (Redis) on its first page load.
server.secret_key = backend.secret
# Callback posts are a few KB; anything near this is junk, and Flask answers it with 413.
server.config["MAX_CONTENT_LENGTH"] = 1024 * 1024

RUN_PAGES = [training.TRAINING_RUNS, race.RACE_RUNS, network.NETWORK_RUNS]
dash.register_page("training", path="/", name="Training", title=lambda **_: _t("Training · PyTorch dashboard"),
                   layout=training.layout)
dash.register_page("gallery", path="/gallery", name="Activation gallery",
                   title=lambda **_: _t("Activations · PyTorch dashboard"), layout=gallery.layout)
dash.register_page("network", path="/network", name="Network",
                   title=lambda **_: _t("Network · PyTorch dashboard"), layout=network.layout)
app.layout = lambda: shell.layout(RUN_PAGES)  # built per page load: in its language
shell.register_callbacks(app, backend, RUN_PAGES)
training.register_callbacks(app, backend)
race.register_callbacks(app, backend)
gallery.register_callbacks(app)
network.register_callbacks(app, backend)

# optim.SGD's constructor imports torch._dynamo (~1.5 s), which every job of the module approach
# would pay: import it once here, in the background, so the server answers meanwhile.
dash_internals.preload("torch._dynamo")


@server.route("/health")
def health():
    """The job backend's state: 200 when training jobs can run, 503 when they cannot."""
    report = backend.health()
    response = flask.jsonify({"status": "ok" if report["ok"] else "degraded", "jobs": report})
    response.status_code = 200 if report["ok"] else 503
    response.headers["Cache-Control"] = "no-store"
    return response


def main() -> None:
    debug = os.environ.get("DASH_DEBUG", "").lower() in ("1", "true", "yes")
    app.run(
        host=os.environ.get("HOST", "127.0.0.1"),
        port=int(os.environ.get("PORT", "8050")),
        debug=debug,
    )


if __name__ == "__main__":
    main()
