"""Display names, units and number formatting: the one table people read.

Code addresses parameters as ``"Stage.param"`` and metrics by key (``"scaled_power"``);
people see a display name and a unit. This module holds the generic table
(:data:`PARAMETERS`, :data:`METRICS`) and the names of stages that an experiment's
package registers as data (:func:`register_stage_labels`), so ``"Intermediate.reduction_ratio"``
reads ``"L1 reduction ratio"`` once the CMS study is imported, and ``"Intermediate
reduction ratio"`` for any other system. Nothing here knows a particular experiment.

Numbers use engineering prefixes on the unit (:func:`format_quantity`): ``39.2 MHz``,
``8.4 MB``, ``51.6 MW``.

>>> format_quantity(3.92462e7, "Hz")
'39.2 MHz'
>>> label("Intermediate.reduction_ratio")
'Intermediate reduction ratio'
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = [
    "Quantity",
    "PARAMETERS",
    "METRICS",
    "register_stage_labels",
    "stage_label",
    "quantity",
    "label",
    "axis_title",
    "metric_label",
    "format_quantity",
    "format_number",
    "format_value",
    "format_change",
]


@dataclass(frozen=True)
class Quantity:
    """How people see one parameter or metric.

    ``name`` is the display name (lower case after a stage label, e.g. ``"reduction
    ratio"``); ``unit`` the SI unit engineering prefixes go on (``"Hz"``, ``"B"``, ``"W"``),
    or a unit that takes no prefix (``"/kJ"``), or ``""``; ``prefix`` says whether to put
    an engineering prefix on it; ``digits`` the significant digits shown.
    """

    name: str
    unit: str = ""
    prefix: bool = False
    digits: int = 3
    help: str = ""


#: Table parameters (the snake_case names of :mod:`twidgets.model.params`).
PARAMETERS: dict[str, Quantity] = {
    "data_bytes": Quantity("event size", "B", True, 3, "bytes per event sent on the output link"),
    "sample_rate": Quantity("sample rate", "Hz", True, 3, "events per second read out"),
    "reduction_ratio": Quantity("reduction ratio", "", False, 4, "events in / events out"),
    "skill_mean": Quantity("skill mean", "", False, 3, "mean score of relevant events (score units)"),
    "skill_scale": Quantity("skill width", "", False, 3, "standard deviation of the score (score units)"),
    "skill_boost": Quantity("skill boost", "", False, 3, "shift of the relevant events' scores (score units)"),
    "link_efficiency": Quantity("link energy", "J/bit", True, 3, "energy per bit sent"),
    "op_efficiency": Quantity("op energy", "J/op", True, 3, "energy per operation"),
    "compression": Quantity("compression", "", False, 3, "fraction of the bytes removed"),
    "year": Quantity("technology year", "", False, 4, "calendar year whose technology scales the power"),
    "n_samples": Quantity("Monte-Carlo samples", "", False, 6, "samples per class"),
}

#: Metrics of an evaluation or a sweep.
METRICS: dict[str, Quantity] = {
    "f1": Quantity("F1", "", False, 3, "harmonic mean of precision and recall"),
    "precision": Quantity("precision", "", False, 3, "relevant events / stored events"),
    "recall": Quantity("recall", "", False, 3, "stored relevant events / relevant events produced"),
    "power": Quantity("power (today's technology)", "W", True, 3, "link and compute power, unscaled"),
    "scaled_power": Quantity("scaled power", "W", True, 3, "power on the technology of the system's year"),
    "link_power": Quantity("link power", "W", True, 3, ""),
    "op_power": Quantity("compute power", "W", True, 3, ""),
    "productivity": Quantity("productivity", "/J", False, 3, "stored relevant events per joule of scaled power"),
    "productivity_per_kJ": Quantity("productivity", "/kJ", False, 3, "stored relevant events per kJ of scaled power"),
    "output_rate": Quantity("stored rate", "Hz", True, 3, "events/s written to storage"),
    "accept_rate": Quantity("accept rate", "Hz", True, 3, "events/s a stage keeps"),
    "input_rate": Quantity("input rate", "Hz", True, 3, "events/s a stage sees"),
    "throughput": Quantity("storage throughput", "B/s", True, 3, "bytes/s written to storage"),
    "energy_per_relevant_event": Quantity("energy per relevant event", "J", True, 3, ""),
}

_STAGE_LABELS: dict[str, str] = {}

#: Engineering prefixes, largest first.
_PREFIXES = (
    (1e15, "P"),
    (1e12, "T"),
    (1e9, "G"),
    (1e6, "M"),
    (1e3, "k"),
    (1.0, ""),
    (1e-3, "m"),
    (1e-6, "µ"),
    (1e-9, "n"),
    (1e-12, "p"),
    (1e-15, "f"),
)


def register_stage_labels(labels: dict[str, str]) -> None:
    """Name stages for people: ``{"Intermediate": "L1", "Global": "HLT"}`` (an experiment's
    package calls this with its own table; later calls add to or replace earlier names)."""
    for stage, text in labels.items():
        if not isinstance(stage, str) or not isinstance(text, str) or not text.strip():
            raise ValueError(f"stage labels map stage names to non-empty text, got {stage!r}: {text!r}")
        _STAGE_LABELS[stage] = text.strip()


def stage_label(stage: str) -> str:
    """The name people use for a stage (its registered label, else the stage name)."""
    return _STAGE_LABELS.get(stage, stage)


def _split(key: str) -> tuple[str | None, str]:
    if key in ("year", "Global.year", "Year"):
        return None, "year"
    if "." not in key:
        return None, key
    node, param = key.rsplit(".", 1)
    return node, param


def quantity(key: str) -> Quantity:
    """The :class:`Quantity` of a ``"Stage.param"`` parameter or a metric key (unknown keys
    get their own name and no unit)."""
    node, param = _split(key)
    if node is None and param in METRICS:
        return METRICS[param]
    return PARAMETERS.get(param) or METRICS.get(param) or Quantity(param.replace("_", " "))


def label(key: str) -> str:
    """Display name of a parameter or metric: ``"Intermediate.skill_boost"`` -> ``"L1 skill
    boost"`` (with the CMS labels registered), ``"year"`` -> ``"technology year"``."""
    node, param = _split(key)
    q = quantity(key)
    if node is None:
        return q.name[:1].upper() + q.name[1:]
    return f"{stage_label(node)} {q.name}"


def axis_title(key: str, prefix_unit: str = "") -> str:
    """Axis or column title with unit: ``"L1 reduction ratio"``, ``"Scaled power (MW)"``
    (``prefix_unit`` is the prefixed unit the axis values are in, e.g. ``"MW"``)."""
    q = quantity(key)
    unit = prefix_unit or q.unit
    return f"{label(key)} ({unit})" if unit else label(key)


def metric_label(key: str) -> str:
    """Display name of a metric key (``"f1"`` -> ``"F1"``, ``"scaled_power"`` -> ``"Scaled power"``)."""
    return label(key)


def _prefix_index(value: float) -> int:
    a = abs(value)
    if a == 0:
        return 5  # no prefix
    for i, (factor, _) in enumerate(_PREFIXES):
        if a >= factor:
            return i
    return len(_PREFIXES) - 1


def format_number(value: float, digits: int = 3) -> str:
    """``value`` to ``digits`` significant digits without exponent notation where it reads
    better (``0.0012``, ``51.6``, ``400``); ``n/a`` for NaN."""
    v = float(value)
    if math.isnan(v):
        return "n/a"
    if math.isinf(v):
        return "∞" if v > 0 else "-∞"
    if v == 0:
        return "0"
    exponent = math.floor(math.log10(abs(v)))
    if -5 <= exponent < 7:
        decimals = max(digits - 1 - exponent, 0)
        text = f"{round(v, decimals):.{decimals}f}"
        if "." in text:
            text = text.rstrip("0").rstrip(".")
        return text
    return f"{v:.{digits - 1}e}"


def format_quantity(value: float, unit: str = "", digits: int = 3, *, prefix: bool = True) -> str:
    """A number with an engineering prefix on ``unit``: ``format_quantity(51.61e6, "W")`` ->
    ``'51.6 MW'``, ``(8.4e6, "B")`` -> ``'8.4 MB'``, ``(0.0015, "J")`` -> ``'1.5 mJ'``.
    With ``prefix=False`` or no unit, the plain number and the unit."""
    v = float(value)
    if not unit or not prefix or not math.isfinite(v):
        text = format_number(v, digits)
        return f"{text} {unit}".strip() if unit else text
    i = _prefix_index(v)
    factor, p = _PREFIXES[i]
    # rounding may reach the next prefix (999.7 kHz -> 1.00 MHz): move up one
    if abs(float(f"{v / factor:.{digits}g}")) >= 1000 and i > 0:
        factor, p = _PREFIXES[i - 1]
    return f"{format_number(v / factor, digits)} {p}{unit}"


def format_value(key: str, value: float) -> str:
    """A parameter's or metric's value as people read it (its unit, prefix and digits)."""
    q = quantity(key)
    return format_quantity(value, q.unit, q.digits, prefix=q.prefix)


def format_change(value: float, baseline: float, unit: str = "", *, relative: bool = True) -> str:
    """Change against a baseline: ``'+12.5 %'`` (relative; ``'×160'`` from ten-fold up), or
    ``'+0.031'`` (absolute, for scores); ``'±0'`` when equal, ``''`` when undefined."""
    v, b = float(value), float(baseline)
    if not (math.isfinite(v) and math.isfinite(b)):
        return ""
    if v == b:
        return "±0"
    if relative:
        if b == 0:
            return ""
        pct = 100.0 * (v - b) / abs(b)
        if abs(pct) >= 1000 and v / b > 0:
            return f"×{format_number(v / b, 3)}"  # +15,900 % reads better as x160
        return f"{pct:+.3g} %"
    diff = v - b
    return f"{'+' if diff > 0 else '-'}{format_number(abs(diff), 2)}{(' ' + unit) if unit else ''}"
