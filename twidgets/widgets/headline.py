"""The dashboard's headline: the numbers a physicist reads first, each with its change.

:func:`headline_numbers` turns one scalar :class:`~twidgets.Evaluation` into a typed
:class:`Headline`; :func:`headline_html` lays it out next to a baseline's. Every value
sits in a ``<span class="tw-h-<key>" data-value="...">`` (full precision in
``data-value``, the formatted text shown), so tests read what is on screen.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass

from ..model import Evaluation
from ..model.display import format_change, format_quantity, format_value, label, stage_label

__all__ = ["Headline", "headline_numbers", "headline_html", "whatif_html", "HEADLINE_CSS"]


@dataclass(frozen=True)
class Headline:
    """Headline numbers of one evaluation (SI units: W, events/s, bytes/s).

    ``accept_rates`` is ``((stage, events/s), ...)`` for every selecting stage in
    pipeline order (e.g. L1 then HLT).
    """

    system: str
    year: int
    scaled_power: float
    power: float
    f1: float
    precision: float
    recall: float
    productivity_per_kJ: float
    accept_rates: tuple[tuple[str, float], ...]
    storage_throughput: float


def headline_numbers(ev: Evaluation) -> Headline:
    """The :class:`Headline` of a scalar evaluation."""
    system = ev.system
    accept = tuple(
        (name, float(ev.value(name, "output_rate")))
        for name in system.stage_names
        if system.node(name).classifier != "Dummy"
    )
    sink = system.node(system.sink)
    throughput = sum(
        float(ev.value(p, "message_bytes")) * float(ev.value(p, "output_rate")) for p in getattr(sink, "preds", ())
    )
    return Headline(
        system=system.name,
        year=int(ev.year),
        scaled_power=float(ev.scaled_power),
        power=float(ev.power),
        f1=float(ev.f1),
        precision=float(ev.precision),
        recall=float(ev.recall),
        productivity_per_kJ=float(ev.productivity_per_kJ),
        accept_rates=accept,
        storage_throughput=float(throughput),
    )


HEADLINE_CSS = """
.tw-headline-bar{display:flex;flex-wrap:wrap;gap:4px 18px;align-items:flex-end;padding:4px 8px;
 background:#f7f7f9;border-bottom:1px solid #ddd;font-family:sans-serif}
.tw-h-title{font-size:15px;font-weight:600;margin-right:8px}
.tw-h-title small{display:block;font-weight:400;color:#555;font-size:12px}
.tw-h-item{display:flex;flex-direction:column;min-width:70px}
.tw-h-item .tw-h-label{font-size:11px;color:#555;white-space:nowrap}
.tw-h-item .tw-h-value{font-size:17px;font-weight:600;white-space:nowrap}
.tw-h-item .tw-h-change{font-size:11px;color:#555;white-space:nowrap}
.tw-h-change.tw-better{color:#1a7f37}.tw-h-change.tw-worse{color:#b42318}
"""


def _span(key: str, value: float, text: str) -> str:
    return f'<span class="tw-h-value tw-h-{key}" data-value="{float(value)!r}">{html.escape(text)}</span>'


def _item(key, title, value, text, base, *, higher_is_better, relative=True, tooltip=""):
    change = ""
    css = "tw-h-change"
    if base is not None:
        change = format_change(value, base, relative=relative)
        if change and change != "±0" and math.isfinite(value) and math.isfinite(base):
            better = (value > base) == higher_is_better
            css += " tw-better" if better else " tw-worse"
    tip = f' title="{html.escape(tooltip)}"' if tooltip else ""
    return (
        f'<div class="tw-h-item"{tip}><span class="tw-h-label">{html.escape(title)}</span>'
        f"{_span(key, value, text)}"
        f'<span class="{css} tw-h-{key}-change">{html.escape(change) or "&nbsp;"}</span></div>'
    )


def headline_html(h: Headline, base: Headline | None = None, *, title: str = "", baseline_name: str = "") -> str:
    """The headline bar: system and year, then scaled power, F1, precision, recall,
    productivity, accept rates and storage throughput, each with its change against
    ``base`` (relative for power, rates and productivity; absolute for scores)."""
    b = base
    power_tip = f"Power on {h.year} technology (scaled). On today's technology: {format_quantity(h.power, 'W')}."
    items = [
        _item(
            "scaled-power",
            f"Scaled power ({h.year})",
            h.scaled_power,
            format_quantity(h.scaled_power, "W"),
            b and b.scaled_power,
            higher_is_better=False,
            tooltip=power_tip,
        ),
        _item("f1", "F1", h.f1, f"{h.f1:.3f}", b and b.f1, higher_is_better=True, relative=False),
        _item(
            "precision",
            "Precision",
            h.precision,
            f"{h.precision:.3f}",
            b and b.precision,
            higher_is_better=True,
            relative=False,
        ),
        _item("recall", "Recall", h.recall, f"{h.recall:.3f}", b and b.recall, higher_is_better=True, relative=False),
        _item(
            "productivity",
            "Productivity",
            h.productivity_per_kJ,
            format_quantity(h.productivity_per_kJ, "/kJ", prefix=False),
            b and b.productivity_per_kJ,
            higher_is_better=True,
        ),
    ]
    base_rates = dict(b.accept_rates) if b is not None else {}
    for i, (stage, rate) in enumerate(h.accept_rates):
        items.append(
            _item(
                f"accept-{i}",
                f"{stage_label(stage)} accept",
                rate,
                format_quantity(rate, "Hz"),
                base_rates.get(stage),
                higher_is_better=True,
                tooltip=f"events/s kept by {stage_label(stage)} ({stage})",
            )
        )
    items.append(
        _item(
            "throughput",
            label("throughput"),
            h.storage_throughput,
            format_quantity(h.storage_throughput, "B/s"),
            b and b.storage_throughput,
            higher_is_better=False,
        )
    )
    vs = f" · changes vs {html.escape(baseline_name)}" if baseline_name and b is not None else ""
    head = (
        f'<div class="tw-h-title"><span class="tw-h-system">{html.escape(title or h.system)}</span>'
        f'<small>technology year <span class="tw-h-year" data-value="{h.year}">{h.year}</span>'
        f" · power today {html.escape(format_quantity(h.power, 'W'))}{vs}</small></div>"
    )
    return f'<style>{HEADLINE_CSS}</style><div class="tw-headline-bar">{head}{"".join(items)}</div>'


def whatif_html(system, overrides: dict) -> str:
    """The what-if line: each override's display name, value and the system's own value
    (``data-key`` / ``data-value`` carry the parameter and the full-precision number)."""
    if not overrides:
        return '<span class="tw-whatif-none">No what-if values: the numbers are the system\'s own.</span>'
    items = []
    for key, value in overrides.items():
        was = system.param(key)
        items.append(
            f'<span class="tw-whatif-item" data-key="{html.escape(key)}" data-value="{float(value)!r}" '
            f'title="{html.escape(key)}">{html.escape(label(key))} = {html.escape(format_value(key, value))} '
            f"<small>(system: {html.escape(format_value(key, was))})</small></span>"
        )
    return f"<b>What-if:</b> {''.join(items)}"
