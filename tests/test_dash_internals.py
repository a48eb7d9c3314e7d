"""What components/jobs/dash_internals.py and assets/runs.js assume of Dash, pinned: a Dash
upgrade that breaks an assumption fails here, by name, before it breaks a page."""

import inspect
import time
from pathlib import Path

import dash
import pytest
from dash import DiskcacheManager

from components.jobs import backends, dash_internals

RENDERER = Path(dash.__file__).parent / "dash-renderer" / "build" / "dash_renderer.min.js"


def test_written_for_dash_4_4_1():
    assert dash.__version__ == "4.4.1", "re-check components/jobs/dash_internals.py and assets/runs.js"


def test_the_diskcache_manager_calls_we_override_keep_their_shape():
    assert list(inspect.signature(DiskcacheManager.call_job_fn).parameters) == ["self", "key", "job_fn", "args",
                                                                                "context"]
    assert DiskcacheManager._make_progress_key("k") == "k-progress"
    for name in ("terminate_job", "job_running", "get_result", "result_ready"):
        assert callable(getattr(DiskcacheManager, name))


def test_the_renderer_offers_what_the_clientside_code_uses():
    bundle = RENDERER.read_text()
    assert "getLayout" in bundle and "set_props" in bundle


def test_a_forked_job_is_reaped_and_its_pipes_closed(tmp_path):
    backend = backends.build({"DASH_CACHE_DIR": str(tmp_path / "cache")})
    manager = backend.manager
    assert isinstance(manager, dash_internals.OwnProcessesManager)
    pid = manager.call_job_fn("key", lambda *args: None, (), {})
    deadline = time.monotonic() + 10
    while pid in manager._processes and time.monotonic() < deadline:
        backend.reap()
        time.sleep(0.05)
    assert pid not in manager._processes


def test_every_cache_entry_expires(tmp_path):
    backend = backends.build({"DASH_CACHE_DIR": str(tmp_path / "cache")})
    cache = backend.manager.handle
    cache.set("dash-result", {"x": 1})  # Dash writes its entries without an expiry
    _, expire_time = cache.get("dash-result", expire_time=True)
    assert expire_time is not None and expire_time > time.time()


@pytest.mark.parametrize("module", ["components.jobs.backends", "components.jobs.records"])
def test_only_dash_internals_touches_private_dash_names(module):
    source = inspect.getsource(__import__(module, fromlist=["_"]))
    assert "_make_progress_key" not in source and "DiskcacheManager(" not in source
