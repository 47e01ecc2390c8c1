"""HTML panels of numbers shown by the widgets (headline, confusion matrix, stage figures).

Every number sits in a ``<span class="tw-...">`` with the formatted value as text and the
full-precision value in a ``data-value`` attribute, so browser and kernel tests can read
exactly what is shown. Units: power in MW, rates in events/s, sizes in bytes.
"""

from __future__ import annotations

import html
import math

__all__ = ["number_span", "headline_html", "confusion_html", "stage_html", "format_rate"]


def _fmt(value, fmt: str) -> str:
    v = float(value)
    if math.isnan(v):
        return "n/a"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return format(v, fmt)


def number_span(cls: str, value, fmt: str = ".4g") -> str:
    """``<span class="cls" data-value="repr">formatted</span>`` (NaN shows as ``n/a``)."""
    return f'<span class="{html.escape(cls)}" data-value="{float(value)!r}">{_fmt(value, fmt)}</span>'


def format_rate(hz) -> str:
    """A rate in events/s with an SI prefix (``40 MHz``, ``750 kHz``)."""
    v = float(hz)
    for factor, unit in ((1e9, "GHz"), (1e6, "MHz"), (1e3, "kHz")):
        if abs(v) >= factor:
            return f"{v / factor:.4g} {unit}"
    return f"{v:.4g} Hz"


def headline_html(ev, threshold=None, stage: str | None = None) -> str:
    """The system headline: F1, power and scaled power (MW), productivity (/kJ), and the
    solved threshold of ``stage``."""
    rows = [
        ("F1", number_span("tw-f1", ev.f1, ".4f"), ""),
        ("Precision", number_span("tw-precision", ev.precision, ".4f"), ""),
        ("Recall", number_span("tw-recall", ev.recall, ".4f"), ""),
        ("Power", number_span("tw-power", ev.power / 1e6, ".3f"), "MW"),
        (f"Scaled power ({ev.year})", number_span("tw-scaled-power", ev.scaled_power / 1e6, ".3f"), "MW"),
        ("Productivity", number_span("tw-productivity", ev.productivity_per_kJ, ".4f"), "/kJ"),
        ("Stored", number_span("tw-output-rate", ev.output_rate, ".6g"), "events/s"),
    ]
    if threshold is not None:
        label = f"Threshold ({html.escape(stage)})" if stage else "Threshold"
        rows.append((label, number_span("tw-threshold", threshold, ".4f"), "score"))
    body = "".join(f"<tr><th>{k}</th><td>{v}</td><td>{u}</td></tr>" for k, v, u in rows)
    return f'<table class="tw-headline-table">{body}</table>'


def confusion_html(contingency, input_rate) -> str:
    """A stage's 2x2 table ``[[tn, fn], [fp, tp]]`` in events/s and as fractions of the
    stage's input (spans ``tw-tn``, ``tw-fn``, ``tw-fp``, ``tw-tp`` and ``tw-*-fraction``)."""
    c = [[float(contingency[0][0]), float(contingency[0][1])], [float(contingency[1][0]), float(contingency[1][1])]]
    total = float(input_rate)
    names = [["tn", "fn"], ["fp", "tp"]]

    def cell(i, j):
        frac = c[i][j] / total if total > 0 else float("nan")
        return (
            f"<td>{number_span('tw-' + names[i][j], c[i][j], '.6g')} /s<br>"
            f"<small>{number_span('tw-' + names[i][j] + '-fraction', frac, '.4f')}</small></td>"
        )

    return (
        '<table class="tw-confusion-table"><tr><th></th><th>irrelevant</th><th>relevant</th></tr>'
        f"<tr><th>rejected</th>{cell(0, 0)}{cell(0, 1)}</tr>"
        f"<tr><th>kept</th>{cell(1, 0)}{cell(1, 1)}</tr></table>"
    )


def stage_html(row) -> str:
    """Rates (events/s), message size (bytes), ops, op and link power (W) of one stage row
    of :attr:`Evaluation.stages`."""
    items = [
        ("Input rate", "tw-input-rate", row["input_rate"], ".6g", "events/s"),
        ("Output rate", "tw-stage-output-rate", row["output_rate"], ".6g", "events/s"),
        ("Reduction ratio", "tw-reduction-ratio", row["reduction_ratio"], ".4g", ""),
        ("Message size", "tw-message-bytes", row["message_bytes"], ".6g", "bytes"),
        ("Ops per event", "tw-ops", row["ops"], ".4g", "ops"),
        ("Op power", "tw-op-power", row["op_power"], ".4g", "W"),
        ("Link power (output)", "tw-link-power", row["link_power"], ".4g", "W"),
        ("Energy per rejected event", "tw-cumulative-energy", row["cumulative_energy_per_event"], ".4g", "J"),
    ]
    body = "".join(f"<tr><th>{k}</th><td>{number_span(c, v, f)}</td><td>{u}</td></tr>" for k, c, v, f, u in items)
    return f'<table class="tw-stage-table">{body}</table>'
