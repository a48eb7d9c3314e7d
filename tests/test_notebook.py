"""The run as a notebook: built from real runs' records, its code cells executed top to bottom as a
plain script in a fresh Python, they reproduce the run's final loss and leave the tutorial's
variables; a diverged run's notebook stops where the app stopped and says so."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import nbformat
import pytest
import torch
from dash import no_update

from components.training import download_notebook
from core.i18n import language
from core.notebook import notebook_file, run_notebook
from core.regression import train
from core.run_record import make_record
from core.training_config import TrainingConfig

HANGUL = re.compile(r"[\uac00-\ud7a3]")

# After the notebook's code: what it left, as JSON (NaN allowed: a diverged run's weights may be).
REPORT = """
import json as _json
print(_json.dumps({
    "losses": losses,
    "weight": weight.tolist() if "weight" in globals() else None,
    "net": net.weight.tolist()[0] if "net" in globals() else None,
}))
"""


@pytest.fixture(autouse=True)
def one_thread():
    """The app trains on one thread (app.py): the records here are made the same way."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def record_of(**settings) -> dict:
    config = TrainingConfig(**{"seed": 7, "epochs": 200, "lr": 0.05, **settings})
    return make_record(train(config), "run-id")


def cancelled_record() -> dict:
    """A run of 500 epochs cancelled after 60: the record a Cancel leaves (the epochs it ran)."""
    record = record_of(approach="module", optimizer="momentum", epochs=60)
    record["config"]["epochs"] = 500
    record["status"] = "Cancelled"
    return record


def code_cells(notebook) -> list[str]:
    return [cell.source for cell in notebook.cells if cell.cell_type == "code"]


def markdown(notebook) -> str:
    return "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "markdown")


def execute(notebook, tmp_path) -> dict:
    """Run the code cells top to bottom as one plain script in a fresh Python; what it left."""
    script = tmp_path / "notebook.py"
    script.write_text("\n\n".join(code_cells(notebook)) + "\n" + REPORT)
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120,
                         env={"PATH": "/usr/bin"})
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.splitlines()[-1])


RUNS = {
    "manual-sgd": lambda: record_of(approach="manual"),
    "module-sgd": lambda: record_of(approach="module", optimizer="sgd"),
    "module-adam": lambda: record_of(approach="module", optimizer="adam", lr=0.1, samples=300, noise=2),
    "cancelled": cancelled_record,
}


@pytest.mark.parametrize("run", list(RUNS))
def test_the_notebooks_code_reproduces_the_runs_final_loss(run, tmp_path):
    record = RUNS[run]()
    notebook = run_notebook(record)
    nbformat.validate(notebook)
    assert notebook.nbformat == 4
    left = execute(notebook, tmp_path)
    assert len(left["losses"]) == record["epochs_run"]
    assert left["losses"][-1] == pytest.approx(record["final_loss"], rel=1e-5)
    variable = "weight" if record["config"]["approach"] == "manual" else "net"
    assert left[variable] is not None and len(left[variable]) == 3
    if record["status"] == "Done":
        assert left[variable] == pytest.approx(record["learned_weights"], rel=1e-5)
    assert f"torch.manual_seed({record['config']['seed']})" in code_cells(notebook)[1]
    assert "torch.set_num_threads(1)" in code_cells(notebook)[0]


def test_a_cancelled_runs_notebook_says_where_it_stopped():
    text = markdown(run_notebook(cancelled_record()))
    assert "cancelled after 60 epochs" in text and "60 of 500" in text


def test_a_diverged_runs_notebook_stops_where_the_app_stopped_and_says_so(tmp_path):
    record = record_of(approach="manual", lr=2.0)
    assert record["status"] == "Diverged" and record["diverged_at"] == record["epochs_run"] > 0
    notebook = run_notebook(record)
    nbformat.validate(notebook)
    left = execute(notebook, tmp_path)
    assert len(left["losses"]) == record["epochs_run"]
    assert left["losses"][-1] == pytest.approx(record["final_loss"], rel=1e-5)
    said = [cell.source for cell in notebook.cells if cell.cell_type == "markdown" and "**Diverged.**" in cell.source]
    assert said and f"epoch {record['diverged_at']}" in said[0] and "learning rate 2" in said[0]
    assert "largest stable learning rate" in said[0]  # lr 2 is above this data's bound


def test_the_notebook_speaks_the_pages_language():
    record = record_of(approach="module", optimizer="adam", epochs=20)
    english = run_notebook(record)
    with language("ko"):
        korean = run_notebook(record)
    assert not HANGUL.search(markdown(english))
    assert all(HANGUL.search(cell.source) for cell in korean.cells if cell.cell_type == "markdown")
    assert code_cells(korean) == code_cells(english)  # the code is the code in every language


def test_the_download_is_the_notebook_named_like_the_csv():
    record = record_of(approach="module", optimizer="adam", epochs=20)
    download = download_notebook(1, record)
    assert download["filename"] == "run-module-adam-seed7.ipynb"
    assert nbformat.reads(download["content"], as_version=4) == run_notebook(record)


@pytest.mark.parametrize("junk", [
    None, [], "x", {"status": "Done"}, {"status": "Done", "config": {"seed": 1}},
    {"epochs": [1], "config": [1]}, {"status": "Done", "config": {"approach": "manual", "seed": float("inf")}},
])
def test_junk_records_download_nothing(junk):
    assert download_notebook(1, junk) is no_update


@pytest.mark.parametrize("change", [
    {"epochs_run": 0}, {"epochs_run": 10**9}, {"final_loss": None}, {"epochs_run": -1}, {"status": "Failed"},
    {"config": {"approach": "manual", "seed": "1"}}, {"losses": "x"},
])
def test_a_real_record_tampered_with_downloads_nothing(change):
    record = {**record_of(approach="manual", epochs=20), **change}
    assert notebook_file(record) is None
    assert download_notebook(1, record) is no_update


def test_a_records_settings_as_text_are_read_as_the_parser_reads_them():
    record = record_of(approach="manual", epochs=20)
    as_text = {**record, "config": {**record["config"], "lr": "0.05", "epochs": "20", "noise": "1"}}
    assert notebook_file(as_text) == notebook_file(record)
