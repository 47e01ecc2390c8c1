"""One-at-a-time sensitivity of a metric around a system's current point (tornado charts).

>>> import twidgets
>>> table = twidgets.sensitivity(twidgets.load_system("cms-hllhc-pu200"), metric="f1")
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from .errors import ParameterError
from .evaluate import evaluate
from .params import RULES, split_param
from .spec import System
from .sweep import _check_int, _check_metrics, _check_param_name, _check_system

__all__ = ["sensitivity", "default_sensitivity_params", "ZERO_VALUE_SCALE"]

#: Typical magnitude per parameter, used for the absolute step when the value is 0.
ZERO_VALUE_SCALE = {
    "data_bytes": 1e6,
    "sample_rate": 4e7,
    "skill_mean": 1.0,
    "skill_boost": 1.0,
    "skill_scale": 1.0,
    "link_efficiency": 1e-11,
    "op_efficiency": 1e-3,
    "compression": 1.0,
    "reduction_ratio": 1.0,
}
_N_LARGEST_DETECTORS = 3


def default_sensitivity_params(system: System) -> list[str]:
    """All numeric parameters of the stages that select (not Dummy) -- without skill_mean /
    skill_scale unless the classifier is Gaussian -- plus ``data_bytes`` of the three
    detectors with the largest payload."""
    out = []
    for n in system.nodes:
        if n.kind != "stage" or n.classifier == "Dummy":
            continue
        for p in n.params:
            if p in ("skill_mean", "skill_scale") and n.classifier != "Gaussian":
                continue
            out.append(f"{n.name}.{p}")
    dets = sorted((n for n in system.nodes if n.kind == "detector"), key=lambda n: -n.params["data_bytes"])
    out += [f"{n.name}.data_bytes" for n in dets[:_N_LARGEST_DETECTORS] if n.params["data_bytes"] > 0]
    return out


def _clip_to_rule(param: str, x: float) -> float:
    lo, lo_inc, hi, hi_inc, _ = RULES[param]
    if x < lo or (x == lo and not lo_inc):
        x = lo if lo_inc else float(np.nextafter(lo, np.inf))
    if x > hi or (x == hi and not hi_inc):
        x = hi if hi_inc else float(np.nextafter(hi, -np.inf))
    return float(x)


def sensitivity(
    system: System, params=None, *, metric: str = "productivity", rel_step: float = 0.1, seed: int = 0
) -> pd.DataFrame:
    """One-at-a-time sensitivity of ``metric`` around the system's current point.

    Each parameter is moved to ``value * (1 - rel_step)`` and ``value * (1 + rel_step)``
    with every other parameter at its current value. Special cases:

    * a parameter whose current value is 0 moves by the *absolute* step
      ``rel_step * ZERO_VALUE_SCALE[param]`` (e.g. skill_boost 0 -> +/-0.1 score units,
      compression 0 -> +0.1, data_bytes 0 -> +/-100 kB at the default rel_step);
    * ``year`` moves by ``max(1, round(10 * rel_step))`` years;
    * values are clipped into the parameter's valid range (RR >= 1, compression < 1,
      sizes >= 0, ...), so low or high may equal the base value.

    All points are evaluated in ONE vectorised :func:`twidgets.evaluate` call.

    Parameters
    ----------
    params : sequence of "Stage.param", optional
        Default :func:`default_sensitivity_params`.
    metric : str
        A name from ``twidgets.model.evaluate.METRICS`` (productivity: relevant events/J).

    Returns
    -------
    DataFrame with columns param, base_value, low_value, high_value, metric_low,
    metric_base, metric_high, effect (= metric_high - metric_low), sorted by |effect|
    (largest first, NaN last) -- ready for a tornado chart.
    """
    _check_system(system)
    _check_metrics([metric])
    seed = _check_int(seed, "seed", 0)
    if (
        isinstance(rel_step, bool)
        or not isinstance(rel_step, (int, float, np.integer, np.floating))
        or not (0 < rel_step < 1)
    ):
        raise ParameterError(f"rel_step must be a fraction in (0, 1), got {rel_step!r}")
    if params is None:
        params = default_sensitivity_params(system)
    elif isinstance(params, str) or not isinstance(params, (Sequence, Mapping, set, frozenset, tuple)):
        raise ParameterError(f"params must be a list of 'Stage.param' names, got {params!r}")
    keys: list[str] = []
    canon: dict[tuple[str | None, str], str] = {}
    for key in params:
        clean, c = _check_param_name(system, key)
        if c in canon:
            raise ParameterError(f"parameter {key!r} is listed twice (as {canon[c]!r})")
        canon[c] = key
        keys.append(clean)
    if not keys:
        raise ParameterError("params is empty: name at least one 'Stage.param'")

    rows = []
    for key in keys:
        node, param = split_param(key)
        base = float(system.param(key))
        step: float
        if param == "year":
            step = max(1, round(10 * rel_step))
            low, high = base - step, base + step
        elif base == 0:
            step = rel_step * ZERO_VALUE_SCALE.get(param, 1.0)
            low, high = base - step, base + step
        else:
            low, high = base * (1 - rel_step), base * (1 + rel_step)
        low, high = sorted((_clip_to_rule(param, low), _clip_to_rule(param, high)))
        rows.append((key, base, low, high))

    n = 1 + 2 * len(rows)
    overrides = {}
    for i, (key, base, low, high) in enumerate(rows):
        col = np.full(n, base)
        col[1 + 2 * i] = low
        col[2 + 2 * i] = high
        overrides[key] = col
    values = np.asarray(evaluate(system, overrides, seed=seed).metric(metric), dtype=float)
    base_metric = float(values[0])
    out = pd.DataFrame(
        {
            "param": [r[0] for r in rows],
            "base_value": [r[1] for r in rows],
            "low_value": [r[2] for r in rows],
            "high_value": [r[3] for r in rows],
            "metric_low": values[1::2],
            "metric_base": base_metric,
            "metric_high": values[2::2],
        }
    )
    out["effect"] = out["metric_high"] - out["metric_low"]
    order = np.argsort(-np.abs(out["effect"].to_numpy()), kind="stable")  # NaN sorts last
    return out.iloc[order].reset_index(drop=True)
