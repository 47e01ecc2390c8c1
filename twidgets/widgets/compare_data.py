"""Systems and scenarios side by side: the numbers and the figure of the Compare view.

A :class:`Variant` is a bundled system plus overrides (numbers and structural values such
as ``"Global.complexity"``); an experiment's package provides its own (the CMS study's
nine published variants: :func:`twidgets.cms.variants.published_variants`).
:func:`compare_rows` evaluates variants into typed :class:`CompareRow`
records, with the scaled power split into parts (readout links, then compute and output
link of each selecting stage); :func:`compare_figure` draws them as plotly JSON.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field

import numpy as np

from ..model import System, evaluate, load_system
from ..model.display import format_change, format_quantity, stage_label

__all__ = ["Variant", "CompareRow", "compare_rows", "compare_figure", "compare_table_html", "parts_total"]


@dataclass(frozen=True)
class Variant:
    """A named point of the design space: a bundled system (or a System) plus overrides."""

    name: str
    system: str | System
    overrides: dict = field(default_factory=dict)
    description: str = ""

    def load(self) -> System:
        """The variant as a System (its overrides folded in)."""
        base = load_system(self.system) if isinstance(self.system, str) else self.system
        return base.with_params(self.overrides) if self.overrides else base


@dataclass(frozen=True)
class CompareRow:
    """One evaluated variant. Power in W (scaled to the variant's year); ``parts`` is
    ``((part label, W), ...)`` and adds up to ``scaled_power``."""

    name: str
    year: int
    scaled_power: float
    parts: tuple[tuple[str, float], ...]
    f1: float
    precision: float
    recall: float
    productivity_per_kJ: float


def _split_power(ev) -> tuple[tuple[str, float], ...]:
    """Scaled power (W) in parts: readout links (detectors and pass-through stages), then
    compute and output link of every selecting stage, in pipeline order."""
    system = ev.system
    scale = float(ev.density_scale)
    readout = 0.0
    parts = []
    for node in system.nodes:
        op = float(ev.value(node.name, "op_power")) / scale
        link = float(ev.value(node.name, "link_power")) / scale
        if node.kind == "stage" and node.classifier != "Dummy":
            parts.append((f"{stage_label(node.name)} compute", op))
            parts.append((f"{stage_label(node.name)} link", link))
        else:
            readout += op + link
    return (("Readout links", readout), *parts)


def compare_rows(variants, seed: int = 0) -> list[CompareRow]:
    """Evaluate each :class:`Variant` (or ``(name, System)`` pair) at ``seed``."""
    rows = []
    for v in variants:
        if not isinstance(v, Variant):
            name, system = v
            v = Variant(name, system)
        base = load_system(v.system) if isinstance(v.system, str) else v.system
        ev = evaluate(base, v.overrides, seed=seed)
        rows.append(
            CompareRow(
                name=v.name,
                year=int(ev.year),
                scaled_power=float(ev.scaled_power),
                parts=_split_power(ev),
                f1=float(ev.f1),
                precision=float(ev.precision),
                recall=float(ev.recall),
                productivity_per_kJ=float(ev.productivity_per_kJ),
            )
        )
    return rows


_PALETTE = ("#9e9e9e", "#1f77b4", "#aec7e8", "#ff7f0e", "#ffbb78", "#2ca02c", "#98df8a", "#9467bd", "#c5b0d5")


def compare_figure(rows: list[CompareRow], current: int | None = None, baseline: int = 0) -> dict:
    """Plotly JSON: stacked bars of scaled power per part (MW) on the left, F1 and
    productivity (/kJ) as grouped bars on the right, one bar group per variant. The
    ``current`` row's name is bold; the baseline row is marked in the hover."""
    names = [r.name for r in rows]
    ticks = [f"<b>{n}</b>" if i == current else n for i, n in enumerate(names)]
    part_names = list(dict.fromkeys(p for r in rows for p, _ in r.parts))
    data = []
    for k, part in enumerate(part_names):
        mw = [dict(r.parts).get(part, 0.0) / 1e6 for r in rows]
        if not any(mw):
            continue
        data.append(
            {
                "type": "bar",
                "name": part,
                "x": names,
                "y": mw,
                "xaxis": "x",
                "yaxis": "y",
                "marker": {"color": _PALETTE[k % len(_PALETTE)]},
                "hovertemplate": f"{part}: %{{y:.3g}} MW<extra>%{{x}}</extra>",
                "legendgroup": "power",
            }
        )
    base = rows[baseline] if rows else None
    for key, title, colour, axis in (
        ("f1", "F1", "#d62728", "y2"),
        ("productivity_per_kJ", "Productivity (/kJ)", "#17becf", "y3"),
    ):
        values = [getattr(r, key) for r in rows]
        change = [format_change(v, getattr(base, key), relative=key != "f1") if base else "" for v in values]
        data.append(
            {
                "type": "bar",
                "name": title,
                "x": names,
                "y": values,
                "xaxis": "x2" if axis == "y2" else "x3",
                "yaxis": axis,
                "marker": {"color": colour},
                "customdata": change,
                "hovertemplate": f"{title}: %{{y:.3g}} (%{{customdata}} vs baseline)<extra>%{{x}}</extra>",
            }
        )
    tickfont = {"size": 10}
    layout = {
        "barmode": "stack",
        "title": {"text": "Published variants: scaled power, F1 and productivity", "font": {"size": 14}},
        "margin": {"l": 55, "r": 10, "t": 40, "b": 110},
        "legend": {"orientation": "h", "y": -0.45, "x": 0.0, "font": {"size": 10}},
        "xaxis": {"domain": [0.0, 0.5], "tickvals": names, "ticktext": ticks, "tickangle": -35, "tickfont": tickfont},
        "yaxis": {"title": {"text": "Scaled power (MW)"}},
        "xaxis2": {
            "domain": [0.58, 0.78],
            "tickvals": names,
            "ticktext": ticks,
            "tickangle": -35,
            "tickfont": tickfont,
            "anchor": "y2",
        },
        "yaxis2": {"title": {"text": "F1"}, "anchor": "x2", "range": [0, 1]},
        "xaxis3": {
            "domain": [0.86, 1.0],
            "tickvals": names,
            "ticktext": ticks,
            "tickangle": -35,
            "tickfont": tickfont,
            "anchor": "y3",
        },
        "yaxis3": {"title": {"text": "Productivity (/kJ)"}, "anchor": "x3"},
        "height": 430,
    }
    return {"data": data, "layout": layout}


def compare_table_html(rows: list[CompareRow], baseline: int = 0, current: int | None = None) -> str:
    """The rows as a table (power, F1, precision, recall, productivity) with the change from
    the baseline row; cells carry ``data-value`` with the full-precision number."""
    if not rows:
        return ""
    b = rows[baseline]
    head = "".join(
        f"<th>{h}</th>"
        for h in ("Variant", "Year", "Scaled power", "Δ", "F1", "Δ", "Precision", "Recall", "Productivity", "Δ")
    )
    body = []
    for i, r in enumerate(rows):
        cls = ' class="tw-current"' if i == current else ""
        cells = [
            f"<td>{html.escape(r.name)}{' (baseline)' if i == baseline else ''}</td>",
            f"<td>{r.year}</td>",
            f'<td class="tw-c-power" data-value="{r.scaled_power!r}">{format_quantity(r.scaled_power, "W")}</td>',
            f"<td>{format_change(r.scaled_power, b.scaled_power)}</td>",
            f'<td class="tw-c-f1" data-value="{r.f1!r}">{r.f1:.3f}</td>',
            f"<td>{format_change(r.f1, b.f1, relative=False)}</td>",
            f"<td>{r.precision:.3f}</td>",
            f"<td>{r.recall:.3f}</td>",
            f'<td class="tw-c-productivity" data-value="{r.productivity_per_kJ!r}">{r.productivity_per_kJ:.3g} /kJ</td>',
            f"<td>{format_change(r.productivity_per_kJ, b.productivity_per_kJ)}</td>",
        ]
        body.append(f"<tr{cls}>{''.join(cells)}</tr>")
    return f'<table class="tw-compare-table"><tr>{head}</tr>{"".join(body)}</table>'


def parts_total(row: CompareRow) -> float:
    """Sum of a row's power parts (W): equals ``row.scaled_power``."""
    return float(np.sum([w for _, w in row.parts]))
