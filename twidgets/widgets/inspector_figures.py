"""Pure pieces of the stage inspector's score histogram: the empty figure, the threshold
line and the title (plotly objects and strings; no widget, no state).

The legend sits horizontally above the plot area, right-aligned, in a top margin made
for it, so it overlaps neither the title (left) nor the bars.
"""

from __future__ import annotations

import plotly.graph_objects as go

from ..model.display import stage_label

__all__ = ["NULL_COLOUR", "POS_COLOUR", "HISTOGRAM_HEIGHT", "histogram_figure", "threshold_line", "histogram_title"]

#: Colours of the irrelevant (null) and relevant (positive) scores.
NULL_COLOUR = "#1f77b4"
POS_COLOUR = "#d62728"
#: Height of the histogram, in CSS pixels.
HISTOGRAM_HEIGHT = 320


def histogram_figure() -> go.Figure:
    """The empty histogram: trace 0 the irrelevant scores, trace 1 the relevant ones (bars
    overlaid), score on x, samples per bin on y."""
    return go.Figure(
        data=[
            go.Bar(name="irrelevant", x=[], y=[], marker_color=NULL_COLOUR, opacity=0.6),
            go.Bar(name="relevant", x=[], y=[], marker_color=POS_COLOUR, opacity=0.6),
        ],
        layout=go.Layout(
            barmode="overlay",
            bargap=0.0,
            height=HISTOGRAM_HEIGHT,
            # the title takes the top line; the legend the line below it, above the bars
            margin=dict(l=50, r=10, t=64, b=40),
            title=dict(x=0.0, xanchor="left", xref="paper", y=1.0, yanchor="top", yref="container", pad=dict(t=8)),
            xaxis_title="score",
            yaxis_title="samples per bin",
            legend=dict(orientation="h", x=1.0, xanchor="right", y=1.0, yanchor="bottom", yref="paper"),
        ),
    )


def threshold_line(threshold: float) -> dict:
    """A dashed vertical line at ``threshold`` (score units) over the whole plot height."""
    return dict(
        type="line",
        x0=threshold,
        x1=threshold,
        xref="x",
        y0=0,
        y1=1,
        yref="paper",
        line=dict(color="black", width=2, dash="dash"),
        name="threshold",
    )


def histogram_title(stage: str, classifier: str, monte_carlo: bool, threshold: float | None) -> str:
    """The histogram's title: stage, classifier and threshold (or that the stage passes everything)."""
    if threshold is None:
        return f"{stage_label(stage)}: pass-through (keeps every event)"
    return f"{stage_label(stage)} ({classifier}{', Monte Carlo' if monte_carlo else ''}): threshold {threshold:.4f}"
