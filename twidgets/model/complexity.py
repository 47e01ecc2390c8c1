"""Ops-per-event models: how much work a stage does on a message of ``x`` bytes.

A complexity maps the message size (bytes per event) to "ops" per event. With a
stage's op efficiency in J/op, ``energy per event = op_efficiency * ops``. For the
CMS High-Level Trigger an "op" is one core-second (16 J/op = a 16 W core), so the
``hlt-*`` models return wall time in seconds.

Complexities are written in a workbook's ``Complexity`` column as strings:

* empty or ``identity``: ops = x
* ``l1t-linear``: ops = x / 2e6 (the Level-1 model of the published study)
* ``hlt-cpu`` / ``hlt-gpu``: the published cubic fits of HLT wall time (s) versus
  event size (bytes); the GPU one is half the CPU one
* ``poly:c1,c2,c3``: ops = c1*x + c2*x**2 + c3*x**3 (any number of coefficients, no
  constant term)

Strings are parsed, never evaluated. Through the API any callable ``f(x) -> ops`` that
accepts numpy arrays can be used too (:class:`CallableComplexity`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable

import numpy as np

from .errors import ParameterError

__all__ = [
    "Complexity",
    "Identity",
    "Linear",
    "Polynomial",
    "CallableComplexity",
    "parse_complexity",
    "fit_wall_time",
    "HLT_CPU_COEFFS",
    "HLT_GPU_COEFFS",
    "NAMED",
]

#: Published cubic fit of CMS/ATLAS HLT CPU wall time (s) versus event size (bytes):
#: (k1, k2, k3) for k1*x + k2*x**2 + k3*x**3.
HLT_CPU_COEFFS = (1.41173228e-07, 1.88331368e-13, 2.22744374e-20)
#: The published GPU model: half the CPU wall time.
HLT_GPU_COEFFS = (7.05866044e-08, 9.41656899e-14, 1.11372180e-20)


class Complexity:
    """Base class. Subclasses implement ``__call__(x)`` on bytes -> ops and ``spec``."""

    spec: str = ""

    def __call__(self, x):  # pragma: no cover - abstract
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.spec!r})"

    def __eq__(self, other) -> bool:
        return isinstance(other, Complexity) and type(self) is type(other) and self.key == other.key

    def __hash__(self) -> int:
        return hash((type(self).__name__, self.key))

    @property
    def key(self):
        return self.spec


class Identity(Complexity):
    """ops = message size in bytes (the model's default)."""

    spec = ""

    def __call__(self, x):
        return np.asarray(x, dtype=float) if np.ndim(x) else float(x)


class Linear(Complexity):
    """ops = x / divisor (``l1t-linear``: divisor 2e6 bytes per op)."""

    def __init__(self, divisor: float, spec: str):
        self.divisor = float(divisor)
        self.spec = spec

    def __call__(self, x):
        return x / self.divisor


class Polynomial(Complexity):
    """ops = c1*x + c2*x**2 + ... (no constant term), x in bytes.

    For the HLT models the result is a wall time in seconds per event.
    """

    def __init__(self, coeffs, spec: str | None = None):
        coeffs = tuple(float(c) for c in coeffs)
        if not coeffs:
            raise ParameterError("a polynomial complexity needs at least one coefficient")
        if not all(math.isfinite(c) for c in coeffs):
            raise ParameterError(f"polynomial coefficients must be finite numbers, got {coeffs}")
        self.coeffs = coeffs
        self.spec = spec if spec is not None else "poly:" + ",".join(repr(c) for c in coeffs)

    def __call__(self, x):
        # Horner, no constant term: x*(c1 + x*(c2 + x*c3))
        acc = self.coeffs[-1]
        for c in reversed(self.coeffs[:-1]):
            acc = c + x * acc
        return x * acc


class CallableComplexity(Complexity):
    """Wrap a Python callable ``f(x_bytes) -> ops`` (API only; cannot be saved to .xlsx)."""

    def __init__(self, func: Callable):
        if not callable(func):
            raise ParameterError(f"complexity must be a string or a callable, got {func!r}")
        self.func = func
        self.spec = f"<callable {getattr(func, '__name__', type(func).__name__)}>"

    @property
    def key(self):
        return id(self.func)

    def __call__(self, x):
        return self.func(x)


NAMED = {
    "": Identity,
    "identity": Identity,
    "l1t-linear": lambda: Linear(2.0e6, "l1t-linear"),
    "hlt-cpu": lambda: Polynomial(HLT_CPU_COEFFS, "hlt-cpu"),
    "hlt-gpu": lambda: Polynomial(HLT_GPU_COEFFS, "hlt-gpu"),
}

_NUMBER = r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?"
_POLY = re.compile(rf"^poly:\s*({_NUMBER}(?:\s*,\s*{_NUMBER}){{0,7}})\s*$")


def parse_complexity(value) -> Complexity:
    """Turn a ``Complexity`` cell (string, empty, callable or Complexity) into a model.

    Raises :class:`ParameterError` naming the accepted forms for anything else.
    Strings are matched against a fixed grammar; nothing is ever ``eval``-ed.
    """
    if isinstance(value, Complexity):
        return value
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return Identity()
    if isinstance(value, str):
        text = value.strip()
        low = text.lower()
        if low in NAMED:
            return NAMED[low]()
        m = _POLY.match(low)
        if m:
            coeffs = [float(c) for c in m.group(1).split(",")]
            if not all(math.isfinite(c) for c in coeffs):
                raise ParameterError(f"complexity {value!r}: coefficients must be finite")
            return Polynomial(coeffs, spec="poly:" + ",".join(c.strip() for c in m.group(1).split(",")))
        raise ParameterError(
            f"unknown complexity {value!r}: use empty, 'identity', 'l1t-linear', 'hlt-cpu', "
            "'hlt-gpu' or 'poly:c1,c2,c3' (numbers, c1*x + c2*x^2 + c3*x^3)"
        )
    if callable(value):
        return CallableComplexity(value)
    raise ParameterError(f"complexity must be a string or a callable, got {type(value).__name__}")


def fit_wall_time(sizes, times, degree: int = 3) -> Polynomial:
    """Fit ``t = k1*x + k2*x**2 + ... + k_degree*x**degree`` (no constant) to points.

    Parameters
    ----------
    sizes : array_like
        Event sizes in bytes.
    times : array_like
        Wall time per event in seconds (or any ops measure).
    degree : int
        Highest power (3 reproduces the published HLT form).

    Returns
    -------
    Polynomial
        Usable as a stage complexity; ``.spec`` is a ``poly:`` string that can be saved.
    """
    x = np.asarray(sizes, dtype=float)
    y = np.asarray(times, dtype=float)
    if x.shape != y.shape or x.ndim != 1 or x.size < degree:
        raise ParameterError(f"need at least {degree} (size, time) pairs of equal length")
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
        raise ParameterError("sizes and times must be finite numbers")
    scale = float(np.max(np.abs(x))) or 1.0  # scale columns for a well-conditioned solve
    xs = x / scale
    design = np.stack([xs ** (p + 1) for p in range(degree)], axis=1)
    sol, *_ = np.linalg.lstsq(design, y, rcond=None)
    coeffs = [sol[p] / scale ** (p + 1) for p in range(degree)]
    return Polynomial(coeffs)
