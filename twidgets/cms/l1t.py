"""The CMS Level-1 trigger menu model (classifier kind ``L1T``).

Four trigger objects -- jet (energy sum), muon, e/gamma, tau -- each with a turn-on
curve ``eff(E)`` (probability that the object fires at energy ``E``, GeV), an L1
threshold (GeV) and an exponential energy spectrum whose slope (1/GeV) is calibrated
against a rate. Irrelevant events draw every object's energy below its threshold;
relevant events draw which objects fired from :data:`L1T_OUTCOMES` and, for those,
energies above threshold. A event's score is the sum of the four efficiencies.

Calibrations (the ``Calibration`` column):

* ``"published"`` (default) -- the measured turn-on points the published model
  interpolates (PCHIP, clipped to [0, 1], each object's own energy range), every object
  calibrated against the e/gamma rate 0.444, as the published model does;
* ``"per-object"`` -- the measured points, each object calibrated against its own rate;
* ``"parametric"`` -- the parametric fits ``plateau * Phi((E - E50) / width)`` to the
  published curves, calibrated like ``"published"`` (F1 runs about 0.005-0.015 above
  the published model with them).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from ..model.classifiers import DEFAULT_SAMPLES, SampledClassifier
from ..model.curves import ParametricCurve, TabulatedCurve, calibrate_slope
from ..model.errors import ParameterError
from ..model.io import data_path
from ..model.registry import ClassifierKind
from ..model.sample_cache import SAMPLE_CACHE

__all__ = [
    "L1TObject",
    "L1T_FITS",
    "L1T_OUTCOMES",
    "CALIBRATIONS",
    "PUBLISHED_RATE",
    "POINTS_FILE",
    "measured_curves",
    "l1t_objects",
    "l1t_slopes",
    "build_l1t",
    "L1T",
]

#: Bundled data file of the measured turn-on points (object, energy_GeV, efficiency).
POINTS_FILE = "l1t_turn_on_points.csv"


@dataclass(frozen=True)
class L1TObject:
    """One Level-1 trigger object: turn-on curve, L1 threshold (GeV), own rate, slope bounds (1/GeV)."""

    name: str
    curve: Any
    threshold: float
    rate: float
    slope_bounds: tuple[float, float]


#: The four L1 objects with the parametric fits of the published CMS turn-on curves.
L1T_FITS = (
    L1TObject("jet", ParametricCurve(0.9932, 286.6, 34.47, 54.0, 692.0), 320.0, 0.282, (0.0, 0.4)),
    L1TObject("muon", ParametricCurve(0.9411, 17.56, 4.343, 3.6, 97.7), 22.0, 0.364, (0.0, 0.6)),
    L1TObject("egamma", ParametricCurve(0.9576, 30.45, 2.079, 1.0, 798.0), 30.0, 0.444, (0.0, 0.4)),
    L1TObject("tau", ParametricCurve(0.9803, 38.33, 7.549, 0.25, 100.0), 38.0, 0.18, (0.0, 0.4)),
)
#: Names of the L1 objects, in the column order of :data:`L1T_OUTCOMES`.
OBJECT_NAMES = tuple(o.name for o in L1T_FITS)
#: Rate the published model calibrates *every* object against (the e/gamma rate).
PUBLISHED_RATE = 0.444
#: Calibration names; the first is the default.
CALIBRATIONS = ("published", "per-object", "parametric")

#: L1 outcomes of relevant events: probability, then which of (jet, muon, egamma, tau) fired.
L1T_OUTCOMES = np.array(
    [
        [0.010, 1, 0, 0, 0],
        [0.026, 1, 0, 0, 0],
        [0.032, 1, 1, 0, 0],
        [0.033, 0, 1, 1, 0],
        [0.046, 1, 0, 1, 0],
        [0.053, 1, 1, 1, 1],
        [0.064, 0, 0, 1, 0],
        [0.098, 0, 1, 0, 0],
        [0.115, 1, 0, 0, 0],
        [0.127, 0, 0, 0, 1],
        [0.148, 0, 1, 0, 0],
        [0.248, 0, 0, 1, 0],
    ]
)
L1T_OUTCOMES.setflags(write=False)


@lru_cache(maxsize=1)
def measured_curves() -> dict[str, TabulatedCurve]:
    """The measured turn-on curves of the four objects, read from the bundled points file."""
    points: dict[str, tuple[list[float], list[float]]] = {}
    text = data_path(POINTS_FILE).read_text(encoding="utf-8")
    for row in csv.DictReader(text.splitlines()):
        e, eff = points.setdefault(row["object"], ([], []))
        e.append(float(row["energy_GeV"]))
        eff.append(float(row["efficiency"]))
    missing = set(OBJECT_NAMES) - set(points)
    if missing:  # pragma: no cover - the bundled file is checked by tests/test_data.py
        raise ParameterError(f"{POINTS_FILE}: no turn-on points for {sorted(missing)}")
    return {name: TabulatedCurve(tuple(points[name][0]), tuple(points[name][1])) for name in OBJECT_NAMES}


def _check_calibration(calibration: str) -> str:
    if calibration not in CALIBRATIONS:
        raise ParameterError(f"unknown calibration {calibration!r}: use {', '.join(map(repr, CALIBRATIONS))}")
    return calibration


def l1t_objects(calibration: str = "published", curves: dict | None = None) -> tuple[L1TObject, ...]:
    """The L1 objects of a calibration, with user ``curves`` (name -> curve) replacing defaults.

    ``"published"`` and ``"per-object"`` use the measured points, ``"parametric"`` the fits.
    """
    _check_calibration(calibration)
    curves = dict(curves or {})
    unknown = set(curves) - set(OBJECT_NAMES)
    if unknown:
        raise ParameterError(f"unknown L1T curve object(s) {sorted(unknown)}; use {', '.join(OBJECT_NAMES)}")
    default = {} if calibration == "parametric" else measured_curves()
    return tuple(
        L1TObject(o.name, curves.get(o.name, default.get(o.name, o.curve)), o.threshold, o.rate, o.slope_bounds)
        for o in L1T_FITS
    )


def l1t_slopes(objects: tuple[L1TObject, ...] | None = None, calibration: str = "published") -> np.ndarray:
    """Calibrated exponential slopes (1/GeV) of the L1 objects.

    ``"published"`` and ``"parametric"`` calibrate every object against the e/gamma rate
    0.444, as the published model does; ``"per-object"`` uses each object's own rate.
    """
    _check_calibration(calibration)
    objects = l1t_objects(calibration) if objects is None else objects
    return np.array(
        [
            calibrate_slope(o.curve, o.rate if calibration == "per-object" else PUBLISHED_RATE, o.slope_bounds)
            for o in objects
        ]
    )


def _scores_from_uniform(u: np.ndarray, slopes: np.ndarray, curves: list[Any]) -> np.ndarray:
    """Energy ``E = -ln(1 - u) / lambda`` per object (columns) and summed turn-on score."""
    energy = -np.log1p(-u) / slopes[None, :]
    score = np.zeros(u.shape[0])
    for k, curve in enumerate(curves):
        score += curve(energy[:, k])
    return score


def _draw_l1t(n: int, calibration: str, seed: int, objects: tuple[L1TObject, ...]) -> SampledClassifier:
    slopes = l1t_slopes(objects, calibration)
    q = 1.0 - np.exp(-slopes * np.array([o.threshold for o in objects]))
    curves = [o.curve for o in objects]
    rng = np.random.default_rng(seed)
    u_null = rng.random((n, len(objects))) * q[None, :]
    p = L1T_OUTCOMES[:, 0] / L1T_OUTCOMES[:, 0].sum()
    outcome = rng.choice(len(p), size=n, p=p)
    fired = L1T_OUTCOMES[outcome, 1:].astype(bool)
    r = rng.random((n, len(objects)))
    u_pos = np.where(fired, q[None, :] + r * (1.0 - q[None, :]), r * q[None, :])
    return SampledClassifier(
        "L1T",
        _scores_from_uniform(u_null, slopes, curves),
        _scores_from_uniform(u_pos, slopes, curves),
        info={
            "slopes": dict(zip([o.name for o in objects], slopes.tolist())),
            "threshold_quantiles": dict(zip([o.name for o in objects], q.tolist())),
            "calibration": calibration,
            "seed": seed,
            "n_samples": n,
        },
    )


def build_l1t(
    n_samples: int = DEFAULT_SAMPLES,
    calibration: str = "published",
    seed: int = 0,
    objects: tuple[L1TObject, ...] | None = None,
) -> SampledClassifier:
    """Monte-Carlo L1T menu model (cached within the shared sample budget: same arguments, same object).

    Irrelevant events draw, per object, ``u ~ U(0, q_k)`` (energy below the object's L1
    threshold, ``q_k = 1 - exp(-lambda_k T_k)``); relevant events draw an outcome from
    :data:`L1T_OUTCOMES` and, for the objects that fired, ``u ~ U(q_k, 1)``. Energy
    ``E = -ln(1 - u) / lambda_k``; score = sum of turn-on efficiencies. All draws come
    from ``numpy.random.default_rng(seed)``, vectorised.
    """
    n = int(n_samples)
    if n < 10:
        raise ParameterError(f"L1T needs at least 10 samples per class, got {n_samples}")
    objects = l1t_objects(calibration) if objects is None else tuple(objects)
    key = ("L1T", n, calibration, int(seed), objects)
    return SAMPLE_CACHE.get(key, lambda: _draw_l1t(n, calibration, int(seed), objects))


def _build(node: Any, seed: int) -> SampledClassifier:
    curves = {name: TabulatedCurve(*points) for name, points in dict(node.curves).items()}
    try:
        objects = l1t_objects(node.calibration, curves)
    except ParameterError as e:
        raise ParameterError(f"{node.name}: {e}") from None
    return build_l1t(node.n_samples, node.calibration, seed, objects)


#: The registered classifier kind.
L1T = ClassifierKind(
    "L1T",
    _build,
    curve_objects=OBJECT_NAMES,
    calibrations=CALIBRATIONS,
    monte_carlo=True,
    description="CMS Level-1 menu (jet, muon, e/gamma, tau turn-on curves)",
)
