"""A small network fits a curve: `nn.Sequential(nn.Linear(1, H), activation, nn.Linear(H, 1))`,
trained with Adam on noisy samples of a target, and taken apart unit by unit.

The network's output is a sum over its hidden units plus the output bias:
    ŷ(x) = Σᵢ vᵢ · act(wᵢ x + bᵢ) + c
so each unit's contribution vᵢ · act(wᵢ x + bᵢ) is a curve of its own (`unit_curves`): ReLU builds
its answer from hinges, sigmoid from steps. The data and the initial weights are drawn from the
run's seed in the order the standalone script draws them (`core.network_script`), from torch's
global RNG as `core.regression` does (its lock, its state left as found).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any, Callable, Mapping

import numpy as np
import torch
from torch import nn

from core.activations import ACTIVATIONS
from core.curves import DISPLAY_POINTS, float32_list, thin_indices
from core.i18n import _
from core.network_config import TARGETS, X_RANGE, NetworkConfig, parse_network_config
from core.numbers import is_finite_number
from core.regression import Pacer, drawing_from, no_fork_meanwhile
from core.run_status import FINISHED

GRID_POINTS = 200  # x values the curves are drawn at
PROGRESS_LOSS_POINTS = 1000


class RegistryActivation(nn.Module):
    """An activation torch.nn has no module for: the registry's own function, as a module."""

    def __init__(self, name: str, params: Mapping[str, float]):
        super().__init__()
        self.name, self.params = name, dict(params)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return ACTIVATIONS[self.name].fn(x, **self.params)


def activation_module(name: str, params: Mapping[str, float]) -> nn.Module:
    """torch.nn's module for the activation when it has one, else `RegistryActivation`."""
    factory = ACTIVATIONS[name].torch_nn_factory
    return factory(**params) if factory is not None else RegistryActivation(name, params)


def make_model(config: NetworkConfig) -> nn.Sequential:
    return nn.Sequential(nn.Linear(1, config.hidden), activation_module(config.activation, config.param_values),
                         nn.Linear(config.hidden, 1))


def make_samples(config: NetworkConfig) -> tuple[torch.Tensor, torch.Tensor]:
    """x uniform over X_RANGE, y = target(x) + noise: (samples, 1) tensors, drawn from the
    global RNG (seeded by the caller)."""
    low, high = X_RANGE
    x = torch.rand(config.samples, 1) * (high - low) + low
    y = TARGETS[config.target].fn(x) + config.noise * torch.randn(config.samples, 1)
    return x, y


def prepare(config: NetworkConfig) -> tuple[torch.Tensor, torch.Tensor, nn.Sequential]:
    """The run's samples and its model with initial weights, drawn from its seed (data first)."""
    with drawing_from(config.seed):
        x, y = make_samples(config)
        model = make_model(config)
    return x, y, model


def samples_of(config: NetworkConfig) -> tuple[np.ndarray, np.ndarray]:
    """The run's samples as flat arrays (drawn as the run draws them)."""
    with drawing_from(config.seed):
        x, y = make_samples(config)
    return x.numpy().ravel(), y.numpy().ravel()


def grid() -> np.ndarray:
    return np.linspace(*X_RANGE, GRID_POINTS)


def target_curve(target: str, x: np.ndarray) -> np.ndarray:
    return TARGETS[target].fn(torch.as_tensor(x, dtype=torch.float64)).numpy()


def best_line_loss(x: np.ndarray, y: np.ndarray) -> float:
    """The MSE of the least-squares straight line through the samples: what any network whose
    activation is linear can do at best."""
    design = np.stack([np.ones_like(x), x], axis=1).astype(np.float64)
    coefficients = np.linalg.lstsq(design, y.astype(np.float64), rcond=None)[0]
    return float(np.mean((design @ coefficients - y) ** 2))


# ---------------------------------------------------------------------------------------------
# The network taken apart


def network_weights(model: nn.Sequential) -> dict[str, list]:
    """w, b (first layer), v (output weights) and c (output bias), at float32 precision."""
    first, last = model[0], model[2]
    return {"w": float32_list(first.weight.detach().numpy().ravel()), "b": float32_list(first.bias.detach().numpy()),
            "v": float32_list(last.weight.detach().numpy().ravel()), "c": float32_list(last.bias.detach().numpy())}


def unit_curves(config: NetworkConfig, weights: Mapping[str, list], x: np.ndarray) -> tuple[np.ndarray, float]:
    """(units, c): units[i] = vᵢ · act(wᵢ x + bᵢ) at each x (the activation the run's model
    uses), and the output bias c. Σ units + c is the network's prediction."""
    act = activation_module(config.activation, config.param_values)
    w, b, v = (torch.tensor(weights[k], dtype=torch.float32) for k in ("w", "b", "v"))
    xs = torch.as_tensor(np.asarray(x), dtype=torch.float32)
    with torch.no_grad():
        hidden = act(xs[None, :] * w[:, None] + b[:, None])
        units = (v[:, None] * hidden).to(torch.float64).numpy()
    return units, float(weights["c"][0])


def prediction(config: NetworkConfig, weights: Mapping[str, list], x: np.ndarray) -> np.ndarray:
    units, c = unit_curves(config, weights, x)
    return units.sum(axis=0) + c


# ---------------------------------------------------------------------------------------------
# Training


@dataclass
class NetworkProgress:
    """A snapshot for streaming: the loss so far (thinned), and the weights now (3H + 1 numbers:
    the page draws the prediction and the units from them)."""

    epochs_done: int
    epochs_total: int
    elapsed: float
    loss_epochs: list[int]
    losses: list
    weights: dict | None


@dataclass
class NetworkResult:
    config: NetworkConfig
    status: str  # "Done", "Diverged" or "Cancelled"
    losses: np.ndarray
    weights: dict | None  # after the last finished epoch
    diverged_at: int | None
    elapsed: float
    line_loss: float


def snapshot(losses: np.ndarray, weights: dict | None, epochs_total: int, elapsed: float) -> NetworkProgress:
    idx = thin_indices(losses, PROGRESS_LOSS_POINTS)
    return NetworkProgress(len(losses), epochs_total, elapsed, idx.tolist(), float32_list(losses[idx]), weights)


class Fit:
    """One run's model, data and optimizer; `step()` is one epoch (full batch, as the script)."""

    def __init__(self, config: NetworkConfig):
        self.x, self.y, self.model = prepare(config)
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=config.lr)
        self.loss_fn = nn.MSELoss()

    def step(self) -> float:
        """One epoch; the loss before its update."""
        self.optimizer.zero_grad()
        loss = self.loss_fn(self.model(self.x), self.y)
        loss.backward()
        self.optimizer.step()
        return loss.item()


def first_network_epoch(config: NetworkConfig) -> NetworkProgress:
    """The run's first epoch as its job computes it: the first point at once, at Train."""
    started = time.perf_counter()
    with no_fork_meanwhile():
        fit = Fit(config)
        loss = fit.step()
    done = 1 if math.isfinite(loss) else 0
    return snapshot(np.array([loss])[:done], network_weights(fit.model) if done else None, config.epochs,
                    time.perf_counter() - started)


def train_network(
    config: NetworkConfig,
    on_progress: Callable[[NetworkProgress], None] | None = None,
    progress_interval: float = 0.1,
    should_stop: Callable[[], bool] | None = None,
) -> NetworkResult:
    """Train epoch by epoch; progress and cancelling paced as `regression.train` (`Pacer`).
    A non-finite loss ends the run "Diverged" (the weights before it are kept)."""
    pacer = Pacer(on_progress, progress_interval, should_stop)
    fit = Fit(config)
    losses = np.empty(config.epochs)
    status, diverged_at, done = "Done", None, 0
    for epoch in range(config.epochs):
        loss = fit.step()
        if not math.isfinite(loss):
            status, diverged_at = "Diverged", epoch
            break
        losses[epoch] = loss
        done = epoch + 1
        if pacer.stop_now(lambda elapsed: snapshot(losses[:done], network_weights(fit.model), config.epochs,
                                                   elapsed)):
            status = "Cancelled"
            break
    weights = network_weights(fit.model) if done else None
    if weights is not None and any(None in values for values in weights.values()):
        weights = None  # the update after the last finite loss overflowed: nothing to draw
    x, y = fit.x.numpy().ravel(), fit.y.numpy().ravel()
    return NetworkResult(config, status, losses[:done], weights, diverged_at,
                         time.perf_counter() - pacer.started, best_line_loss(x, y))


# ---------------------------------------------------------------------------------------------
# The finished run as the browser keeps it


def make_network_record(result: NetworkResult, run_id: str) -> dict[str, Any]:
    idx = thin_indices(result.losses, DISPLAY_POINTS)
    final = float(result.losses[-1]) if len(result.losses) else None
    curve = None
    if result.weights is not None:
        curve = float32_list(prediction(result.config, result.weights, grid()))
    return {"run_id": run_id, "config": result.config.to_dict(), "status": result.status,
            "diverged_at": result.diverged_at, "elapsed": round(result.elapsed, 3),
            "epochs_run": len(result.losses), "epochs": idx.tolist(), "losses": float32_list(result.losses[idx]),
            "final_loss": final if final is not None and math.isfinite(final) else None,
            "weights": result.weights, "prediction": curve,
            "line_loss": result.line_loss if math.isfinite(result.line_loss) else None}


def _numbers(values: Any, length: int | None = None) -> bool:
    return (isinstance(values, list) and all(v is None or is_finite_number(v) for v in values)
            and (length is None or len(values) == length))


def checked_weights(weights: Any, hidden: int) -> dict | None:
    """`weights` if it has the shape `network_weights` gives for `hidden` units, else None."""
    if not isinstance(weights, dict):
        return None
    sizes = {"w": hidden, "b": hidden, "v": hidden, "c": 1}
    fine = all(_numbers(weights.get(k), n) and None not in weights[k] for k, n in sizes.items())
    return weights if fine else None


def checked_config(config: Any) -> NetworkConfig | None:
    """A run's config as a record holds it (with its seed), or None."""
    if not isinstance(config, dict) or not isinstance(config.get("seed"), int) or isinstance(config["seed"], bool):
        return None
    return parse_network_config(config, pick_seed=False).config


def checked_network_record(record: Any) -> dict[str, Any] | None:
    """`record` if it has the shape `make_network_record` gives, else None (it comes back from
    the browser: nothing in it is used before this check)."""
    if not isinstance(record, dict) or record.get("status") not in FINISHED:
        return None
    config = checked_config(record.get("config"))
    if config is None:
        return None
    epochs = record.get("epochs")
    shaped = (isinstance(record.get("epochs_run"), int) and record["epochs_run"] >= 0
              and is_finite_number(record.get("elapsed"))
              and _numbers(epochs) and _numbers(record.get("losses"), len(epochs))
              and (record.get("weights") is None or checked_weights(record["weights"], config.hidden) is not None)
              and (record.get("prediction") is None or _numbers(record["prediction"], GRID_POINTS))
              and all(record.get(k) is None or is_finite_number(record[k]) for k in ("final_loss", "line_loss"))
              and (record.get("diverged_at") is None or isinstance(record["diverged_at"], int)))
    return record if shaped else None


def network_progress_text(progress: Mapping[str, Any]) -> str:
    losses = progress.get("losses") or []
    loss = f"{losses[-1]:.4g}" if losses and is_finite_number(losses[-1]) else "—"
    return _("Epoch {done} of {total} · {seconds} s · loss {loss}").format(
        done=f"{progress['epochs_done']:,}", total=f"{progress['epochs_total']:,}",
        seconds=f"{progress['elapsed']:.1f}", loss=loss)


def network_record_text(record: Mapping[str, Any]) -> str:
    return _("{epochs} epochs in {seconds} s").format(epochs=f"{record['epochs_run']:,}",
                                                      seconds=f"{record['elapsed']:.2f}")
