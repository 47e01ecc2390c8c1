"""HTML panels of numbers shown by the widgets (headline, confusion matrix, stage figures).

Every number sits in a ``<span class="tw-...">`` with the formatted value as text (with an
engineering prefix: ``51.6 MW``, ``750 kHz``) and the full-precision value in a
``data-value`` attribute, so browser and kernel tests can read exactly what is shown.
``data-value`` units: headline power in MW, stage power in W, rates in events/s, bytes.
"""

from __future__ import annotations

import html
import math

from ..model.display import format_number, format_quantity, stage_label

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


def _shown(cls: str, value, text: str) -> str:
    """``<span class="cls" data-value="repr(value)">text</span>``."""
    return f'<span class="{html.escape(cls)}" data-value="{float(value)!r}">{html.escape(text)}</span>'


def headline_html(ev, threshold=None, stage: str | None = None) -> str:
    """The system headline: F1, precision, recall, scaled power (on the system year's
    technology) and power on today's technology, productivity (/kJ), stored rate, and the
    solved threshold of ``stage``. ``data-value``: power in MW, rates in events/s."""
    rows = [
        ("F1", number_span("tw-f1", ev.f1, ".4f"), ""),
        ("Precision", number_span("tw-precision", ev.precision, ".4f"), ""),
        ("Recall", number_span("tw-recall", ev.recall, ".4f"), ""),
        (
            f"Scaled power ({ev.year} technology)",
            _shown("tw-scaled-power", ev.scaled_power / 1e6, format_quantity(ev.scaled_power, "W")),
            "",
        ),
        ("Power (today's technology)", _shown("tw-power", ev.power / 1e6, format_quantity(ev.power, "W")), ""),
        ("Productivity", number_span("tw-productivity", ev.productivity_per_kJ, ".3g"), "/kJ"),
        ("Stored rate", _shown("tw-output-rate", ev.output_rate, format_quantity(ev.output_rate, "Hz")), ""),
    ]
    if threshold is not None:
        label = f"Threshold ({html.escape(stage_label(stage))})" if stage else "Threshold"
        rows.append((label, number_span("tw-threshold", threshold, ".4f"), "score"))
    body = "".join(f"<tr><th>{k}</th><td>{v}</td><td>{u}</td></tr>" for k, v, u in rows)
    return f'<table class="tw-headline-table">{body}</table>'


def confusion_html(contingency, input_rate) -> str:
    """A stage's 2x2 table ``[[tn, fn], [fp, tp]]`` in events/s (spans ``tw-tn``, ``tw-fn``,
    ``tw-fp``, ``tw-tp``, ``data-value`` in events/s) with each cell's fraction of its
    column (``tw-*-fraction``: of the irrelevant or of the relevant events the stage sees),
    then the stage's recall (kept relevant / relevant in) and fake rate (kept irrelevant
    events/s, and their share of what the stage keeps)."""
    c = [[float(contingency[0][0]), float(contingency[0][1])], [float(contingency[1][0]), float(contingency[1][1])]]
    names = [["tn", "fn"], ["fp", "tp"]]
    columns = [c[0][0] + c[1][0], c[0][1] + c[1][1]]

    def cell(i, j):
        frac = c[i][j] / columns[j] if columns[j] > 0 else float("nan")
        return (
            f"<td>{_shown('tw-' + names[i][j], c[i][j], format_quantity(c[i][j], 'Hz'))}<br>"
            f"<small>{number_span('tw-' + names[i][j] + '-fraction', frac, '.3g')} of {('irrelevant', 'relevant')[j]}</small></td>"
        )

    tp, fn, fp = c[1][1], c[0][1], c[1][0]
    recall = tp / (tp + fn) if tp + fn > 0 else float("nan")
    fake_share = fp / (fp + tp) if fp + tp > 0 else float("nan")
    return (
        '<table class="tw-confusion-table"><tr><th>events/s</th><th>irrelevant</th><th>relevant</th></tr>'
        f"<tr><th>rejected</th>{cell(0, 0)}{cell(0, 1)}</tr>"
        f"<tr><th>kept</th>{cell(1, 0)}{cell(1, 1)}</tr>"
        f'<tr><th>stage recall</th><td colspan="2">{number_span("tw-stage-recall", recall, ".4g")}</td></tr>'
        f'<tr><th>fake rate</th><td colspan="2">{_shown("tw-fake-rate", fp, format_quantity(fp, "Hz"))} '
        f"<small>({number_span('tw-fake-share', fake_share, '.3g')} of kept)</small></td></tr></table>"
    )


def stage_html(row) -> str:
    """Rates, message size, ops, op and link power of one stage row of
    :attr:`Evaluation.stages`, with engineering prefixes (``data-value`` in events/s,
    bytes, ops, W and J)."""
    items = [
        ("Input rate", "tw-input-rate", row["input_rate"], "Hz"),
        ("Output rate", "tw-stage-output-rate", row["output_rate"], "Hz"),
        ("Reduction ratio", "tw-reduction-ratio", row["reduction_ratio"], ""),
        ("Message size", "tw-message-bytes", row["message_bytes"], "B"),
        ("Ops per event", "tw-ops", row["ops"], ""),
        ("Op power (today)", "tw-op-power", row["op_power"], "W"),
        ("Link power (output, today)", "tw-link-power", row["link_power"], "W"),
        ("Energy per rejected event", "tw-cumulative-energy", row["cumulative_energy_per_event"], "J"),
    ]
    body = "".join(
        f"<tr><th>{k}</th><td>{_shown(c, v, format_quantity(v, u) if u else format_number(v, 4))}</td></tr>"
        for k, c, v, u in items
    )
    return f'<table class="tw-stage-table">{body}</table>'
