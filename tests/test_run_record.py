import csv
import io
import json

import pytest

from core.curves import DISPLAY_POINTS
from core.regression import train
from core.run_record import make_record, record_csv
from core.training_config import TrainingConfig


def test_a_short_run_keeps_every_epoch_and_is_strict_json():
    record = make_record(train(TrainingConfig(seed=3, epochs=1500)), "r1")
    assert record["epochs"] == list(range(1500))
    assert len(record["losses"]) == 1500 and all(len(w) == 1500 for w in record["weights"])
    assert record["learned_weights"] == [record["weights"][k][-1] for k in range(3)]
    json.dumps(record, allow_nan=False)


def test_a_long_run_is_thinned_to_the_display_bound():
    record = make_record(train(TrainingConfig(seed=3, epochs=6000, lr=0.001)), "r2")
    assert len(record["epochs"]) <= DISPLAY_POINTS
    assert record["epochs"][0] == 0 and record["epochs"][-1] == 5999
    assert record["epochs_run"] == 6000


def test_a_diverged_run_has_no_learned_weights_and_no_nan():
    record = make_record(train(TrainingConfig(seed=1, lr=2.0, epochs=3000)), "r3")
    assert record["status"] == "Diverged" and record["learned_weights"] is None
    json.dumps(record, allow_nan=False)


def test_csv_has_one_row_per_kept_epoch():
    record = make_record(train(TrainingConfig(seed=3, epochs=50)), "r4")
    rows = list(csv.reader(io.StringIO(record_csv(record))))
    assert rows[0] == ["epoch", "loss", "w0", "w1", "w2"]
    assert len(rows) == 51
    assert [float(v) for v in rows[-1][2:]] == pytest.approx(record["learned_weights"])
    assert float(rows[1][1]) == record["losses"][0]


@pytest.mark.parametrize("junk", [{}, {"epochs": "x"}, {"epochs": [1], "losses": None}, {"weights": 5}])
def test_csv_of_a_malformed_record_is_just_the_header(junk):
    assert record_csv(junk) == "epoch,loss,w0,w1,w2\n"
