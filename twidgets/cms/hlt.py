"""The CMS High-Level Trigger paths model (classifier kind ``HLT``).

Each event picks one physics path with probability proportional to the path's rate,
draws the path object's momentum (GeV) from the path's calibrated exponential below
(irrelevant) or above (relevant) the curve's half point, and scores the path's turn-on
efficiency there.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..model.classifiers import DEFAULT_SAMPLES, SampledClassifier
from ..model.curves import ParametricCurve, TabulatedCurve, calibrate_slope
from ..model.errors import ParameterError
from ..model.registry import ClassifierKind
from ..model.sample_cache import SAMPLE_CACHE

__all__ = ["HLTPath", "HLT_PATHS", "hlt_paths", "build_hlt", "HLT"]


@dataclass(frozen=True)
class HLTPath:
    """One High-Level Trigger path: relative rate (Hz), turn-on curve, calibration rate, slope bounds (1/GeV)."""

    name: str
    rate: float
    curve: Any
    target: float = 0.3
    slope_bounds: tuple[float, float] = (0.0, 0.4)


#: Project default HLT paths. Rates are the published ones (Hz); the turn-on curves are
#: this project's own parametric defaults (not published fits): replace them with
#: measured points through a ``Curves`` sheet.
HLT_PATHS = (
    HLTPath("B2G", 96.0, ParametricCurve(0.98, 550.0, 45.0, 200.0, 1500.0), slope_bounds=(0.0, 0.05)),
    HLTPath("Higgs", 235.0, ParametricCurve(0.95, 32.0, 3.0, 10.0, 200.0)),
    HLTPath("Muon", 202.0 / 3, ParametricCurve(0.93, 27.0, 2.5, 5.0, 200.0)),
    HLTPath("SUSY", 189.0, ParametricCurve(0.97, 1100.0, 80.0, 300.0, 3000.0), slope_bounds=(0.0, 0.02)),
    HLTPath("Tracking", 202.0 / 3, ParametricCurve(0.90, 12.0, 3.0, 1.0, 100.0), slope_bounds=(0.0, 0.6)),
    HLTPath("Tau", 202.0 / 3, ParametricCurve(0.92, 45.0, 6.0, 10.0, 250.0)),
)
PATH_NAMES = tuple(p.name for p in HLT_PATHS)


def hlt_paths(curves: dict | None = None) -> tuple[HLTPath, ...]:
    """The HLT paths with user ``curves`` (path name -> curve) replacing the defaults."""
    curves = dict(curves or {})
    unknown = set(curves) - set(PATH_NAMES)
    if unknown:
        raise ParameterError(f"unknown HLT path(s) {sorted(unknown)}; use {', '.join(PATH_NAMES)}")
    return tuple(HLTPath(p.name, p.rate, curves.get(p.name, p.curve), p.target, p.slope_bounds) for p in HLT_PATHS)


def _draw_hlt(n: int, seed: int, paths: tuple[HLTPath, ...]) -> SampledClassifier:
    rates = np.array([p.rate for p in paths], dtype=float)
    prob = rates / rates.sum()
    slopes = np.array([calibrate_slope(p.curve, p.target, p.slope_bounds) for p in paths])
    q = 1.0 - np.exp(-slopes * np.array([p.curve.half_point for p in paths]))
    rng = np.random.default_rng(seed)

    def draw(relevant: bool) -> np.ndarray:
        path = rng.choice(len(paths), size=n, p=prob)
        r = rng.random(n)
        u = q[path] + r * (1.0 - q[path]) if relevant else r * q[path]
        energy = -np.log1p(-u) / slopes[path]
        score = np.empty(n)
        for i, p in enumerate(paths):
            sel = path == i
            score[sel] = p.curve(energy[sel])
        return score

    null = draw(False)
    pos = draw(True)
    return SampledClassifier(
        "HLT",
        null,
        pos,
        info={"slopes": dict(zip([p.name for p in paths], slopes.tolist())), "seed": seed, "n_samples": n},
    )


def build_hlt(
    n_samples: int = DEFAULT_SAMPLES, seed: int = 0, paths: tuple[HLTPath, ...] = HLT_PATHS
) -> SampledClassifier:
    """Monte-Carlo HLT paths model (cached within the shared sample budget)."""
    n = int(n_samples)
    if n < 10:
        raise ParameterError(f"HLT needs at least 10 samples per class, got {n_samples}")
    paths = tuple(paths)
    return SAMPLE_CACHE.get(("HLT", n, int(seed), paths), lambda: _draw_hlt(n, int(seed), paths))


def _build(node: Any, seed: int) -> SampledClassifier:
    curves = {name: TabulatedCurve(*points) for name, points in dict(node.curves).items()}
    try:
        paths = hlt_paths(curves)
    except ParameterError as e:
        raise ParameterError(f"{node.name}: {e}") from None
    return build_hlt(node.n_samples, seed, paths)


#: The registered classifier kind.
HLT = ClassifierKind(
    "HLT",
    _build,
    curve_objects=PATH_NAMES,
    monte_carlo=True,
    description="CMS High-Level Trigger paths (B2G, Higgs, Muon, SUSY, Tracking, Tau)",
)
