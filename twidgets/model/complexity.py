"""Ops-per-event models: how much work a stage does on a message of ``x`` bytes.

A complexity maps the message size (bytes per event) to "ops" per event. With a
stage's op efficiency in J/op, ``energy per event = op_efficiency * ops``. For the
software trigger an "op" can be one core-second (16 J/op = a 16 W core): a study's
wall-time fits then return seconds.

Complexities are written in a workbook's ``Complexity`` column as strings:

* empty or ``identity``: ops = x
* a name a study registers with :func:`register_complexity` (the CMS study's
  ``l1t-linear``, ``hlt-cpu`` and ``hlt-gpu``: :mod:`twidgets.cms.complexity`)
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
    "NAMED",
    "register_complexity",
]


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


#: Complexity names a workbook may use -> a factory of the model. Studies add theirs
#: with :func:`register_complexity`.
NAMED: dict[str, Callable[[], Complexity]] = {
    "": Identity,
    "identity": Identity,
}

_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,39}$")


def register_complexity(name: str, factory: Callable[[], Complexity], *, replace: bool = False) -> None:
    """Let workbooks name a complexity model: ``factory()`` builds it (e.g. a :class:`Polynomial`).

    Names are lower-case words (letters, digits, ``-``, ``_``); registering a taken name
    is a :class:`ParameterError` unless ``replace=True``.
    """
    if not isinstance(name, str) or not _NAME.match(name) or name == "identity" or name.startswith("poly"):
        raise ParameterError(f"complexity name {name!r}: use a lower-case word such as 'cpu-fit'")
    if not callable(factory):
        raise ParameterError(f"register_complexity({name!r}, ...) needs a callable factory")
    if name in NAMED and not replace:
        raise ParameterError(f"a complexity named {name!r} is already registered")
    NAMED[name] = factory


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
        names = ", ".join(repr(n) for n in NAMED if n)
        raise ParameterError(
            f"unknown complexity {value!r}: use empty, {names} or 'poly:c1,c2,c3' (numbers, c1*x + c2*x^2 + c3*x^3)"
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
        Highest power (3 gives the cubic wall-time form of the published study).

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
