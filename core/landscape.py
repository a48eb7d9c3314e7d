"""The loss as a function of the weights, worked out exactly: the bowl a run descends.

The tutorial's loss is the mean squared error of a linear model, so over the weights it is a
quadratic, L(w) = wᵀAw − 2bᵀw + c with A = XᵀX/n, b = Xᵀy/n, c = yᵀy/n: the three moments of a
run's data say everything about it, with no sampling. From them: the loss anywhere (`slice_grid`,
the landscape drawn over (w1, w2)), its gradient 2(Aw − b), the least-squares optimum, and the
Hessian 2A, whose eigenvalues decide the largest learning rate at which plain gradient descent
still converges (`stability`). Everything is computed in float64 from the run's float32 data.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from core.optimizers import DEFAULT_OPTIMIZER, OPTIMIZERS
from core.training_config import OPTIMIZED_APPROACH, TrainingConfig

# The Hessian counts as singular when its smallest eigenvalue is this small next to the largest:
# float32 data carry ~7 digits, so anything below is rounding, not curvature.
SINGULAR_RATIO = 1e-9


@dataclass(frozen=True)
class Bowl:
    """The mean squared error of one run's data as a quadratic in the weights."""

    A: np.ndarray  # XᵀX/n (3×3)
    b: np.ndarray  # Xᵀy/n
    c: float  # yᵀy/n
    optimum: np.ndarray  # the least-squares weights (the minimum-norm one when A is singular)

    @property
    def optimum_loss(self) -> float:
        return self.loss(self.optimum)

    @classmethod
    def from_data(cls, X, y) -> "Bowl":
        # torch (one thread), not numpy's OpenBLAS: a training job computes this at its end, and a
        # forked job must not call into a BLAS thread pool a server thread may have held at the fork
        X = torch.as_tensor(X, dtype=torch.float64)
        y = torch.as_tensor(y, dtype=torch.float64)
        n = len(y)
        A, b, c = X.T @ X / n, X.T @ y / n, float(y @ y / n)
        optimum = torch.linalg.lstsq(X, y.unsqueeze(1), driver="gelsd").solution.squeeze(1)  # minimum norm
        return cls(A.numpy(), b.numpy(), c, optimum.numpy())

    def loss(self, w) -> float:
        w = np.asarray(w, dtype=np.float64)
        return max(float(w @ self.A @ w - 2 * self.b @ w + self.c), 0.0)

    def gradient(self, w) -> np.ndarray:
        """∂L/∂w at w: 2(Aw − b)."""
        return 2 * (self.A @ np.asarray(w, dtype=np.float64) - self.b)

    def slice_grid(self, w1: np.ndarray, w2: np.ndarray) -> np.ndarray:
        """L over a grid of (w1, w2) with w0 held at its least-squares value: rows follow w2."""
        W1, W2 = np.meshgrid(np.asarray(w1, float), np.asarray(w2, float))
        w = np.stack([np.full_like(W1, self.optimum[0]), W1, W2], axis=-1)
        quad = np.einsum("...i,ij,...j->...", w, self.A, w)
        return np.maximum(quad - 2 * w @ self.b + self.c, 0.0)


@dataclass(frozen=True)
class Stability:
    """What the Hessian (2/n)XᵀX of the loss says about learning rates on this data."""

    eigenvalues: tuple[float, float, float]  # ascending
    singular: bool  # a zero eigenvalue: a line of optima, no unique least-squares fit
    condition: float | None  # λmax / λmin; None when singular

    @property
    def max_stable_lr(self) -> float:
        """2/λmax: plain gradient descent converges below it and diverges above it."""
        return 2.0 / self.eigenvalues[-1]


def stability(bowl: Bowl) -> Stability:
    eigenvalues = torch.linalg.eigvalsh(torch.as_tensor(2 * bowl.A)).numpy()  # (torch: see from_data)
    high = float(eigenvalues[-1])
    eigenvalues = [float(e) if e > high * SINGULAR_RATIO else 0.0 for e in eigenvalues]  # rounding: 0
    singular = eigenvalues[0] == 0.0
    return Stability(tuple(eigenvalues), singular, None if singular else high / eigenvalues[0])


def stable_lr_bound(config: TrainingConfig, lambda_max: float) -> float | None:
    """The largest stable learning rate for this run's update rule, or None when it has no
    simple bound (the adaptive optimizers rescale each step by the gradients they have seen)."""
    optimizer = OPTIMIZERS[config.optimizer if config.approach == OPTIMIZED_APPROACH else DEFAULT_OPTIMIZER]
    return optimizer.stable_lr(lambda_max, config)



GRID_POINTS = 61  # per axis of the drawn slice: smooth contours, ~15 KB of float32
VIEW_HALF_WIDTH = 2.0  # the slice shows at least this far around the optimum and the origin


@dataclass(frozen=True)
class Slice:
    """The loss over a square of (w1, w2) with w0 held at its least-squares value."""

    w1: np.ndarray  # GRID_POINTS values
    w2: np.ndarray
    loss: np.ndarray  # (len(w2), len(w1))
    w0: float  # where w0 is held
    optimum: tuple[float, float]  # the least-squares (w1, w2): the slice's minimum


def loss_slice(bowl: Bowl) -> Slice:
    """A square around both the optimum and the origin (where the initial weights are drawn,
    from a standard normal), so a run's whole path from start to finish is usually in view."""
    w1_opt, w2_opt = (float(v) for v in bowl.optimum[1:])
    low = min(w1_opt, w2_opt, 0.0) - VIEW_HALF_WIDTH
    high = max(w1_opt, w2_opt, 0.0) + VIEW_HALF_WIDTH
    w1 = np.linspace(low, high, GRID_POINTS)
    w2 = np.linspace(low, high, GRID_POINTS)
    return Slice(w1, w2, bowl.slice_grid(w1, w2), float(bowl.optimum[0]), (w1_opt, w2_opt))


DESCENT_ARROW_SHARE = 0.12  # the arrow's length, as a share of the slice's width: a direction
CONVERGED_SLOPE = 1e-3  # below this gradient the run has all but stopped: no direction worth drawing


def descent_arrow(bowl: Bowl, view: Slice, weights) -> tuple[tuple[float, float], tuple[float, float]] | None:
    """From the run's current (w1, w2) along −∂L/∂(w1, w2) at its current weights (all three):
    where the next plain gradient step heads. None where it is all but flat (the run has
    converged) or off the numbers."""
    w = np.asarray(weights, dtype=np.float64)
    if w.shape != (3,) or not np.isfinite(w).all():
        return None
    g = bowl.gradient(w)[1:]
    norm = float(np.hypot(*g))
    if not math.isfinite(norm) or norm < CONVERGED_SLOPE:
        return None
    length = DESCENT_ARROW_SHARE * float(view.w1[-1] - view.w1[0])
    start = (float(w[1]), float(w[2]))
    return start, (start[0] - length * g[0] / norm, start[1] - length * g[1] / norm)
