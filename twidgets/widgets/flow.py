"""The flow of events (events/s) or data (bytes/s) through a system, as a plotly Sankey.

Nodes: one per detector *category* (its detectors grouped: ``"Tracking detectors"``),
then every stage in topological order, then ``"Rejected"``. Links: detectors -> their
category stage, stage -> its Output, and each selecting stage -> ``Rejected`` (what it
discards).

Widths. Every event is seen by all detectors and the category streams are merged
(averaged) at the next stage, so raw rates are not conserved at a merge. In ``"events"``
mode a link's width is its rate times the *share* of the event stream it carries: the
sink has share 1 and each input of a stage gets ``share(stage) / number of inputs``.
Widths then add up (the 40 MHz of crossings enter once, leave as stored + rejected) and
the hover shows the actual events/s. In ``"bytes"`` mode widths are the link
throughputs in bytes/s (rejected: message size x rejected rate), which are additive.
Node hover shows op power, output-link power and their sum (W).
"""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np
import pandas as pd
import plotly.graph_objects as go
import traitlets

from ..model import Evaluation
from ..model.display import format_quantity
from .panels import format_rate
from .plot import Plot, PlotFigure

__all__ = ["UNITS", "stream_shares", "flow_nodes", "flow_links", "sankey_arguments", "FlowView"]

#: Link-width units: label -> key.
UNITS = {"events/s": "events", "bytes/s": "bytes"}

REJECTED = "Rejected"

_COLOURS = {
    "detectors": "#7f7f7f",
    "stage": "#1f77b4",
    "selecting": "#ff7f0e",
    "sink": "#2ca02c",
    "rejected": "#d62728",
}


def _q(ev: Evaluation, name: str, quantity: str) -> float:
    """One per-node quantity of a scalar evaluation (cheaper than building ``ev.stages``)."""
    return float(ev.value(name, quantity))


def _link(ev: Evaluation, source: str) -> dict:
    """The output link of ``source``: throughput (bytes/s) = message size x output rate
    (MODEL.md section 2.4) and its power (W), from the per-node quantities (cheaper than
    building :attr:`Evaluation.links`; the tests check both agree)."""
    return {
        "throughput": _q(ev, source, "message_bytes") * _q(ev, source, "output_rate"),
        "power": _q(ev, source, "link_power"),
    }


def stream_shares(system) -> dict[str, float]:
    """Share of the event stream each node carries: 1 at the sink, and each input of a
    node gets ``share(node) / number of inputs`` (every node has a single Output)."""
    shares = {}
    for node in reversed(system.nodes):
        if not node.output:
            shares[node.name] = 1.0
        else:
            target = system.node(node.output)
            shares[node.name] = shares[target.name] / max(len(target.preds), 1)
    return shares


def _group_label(category: str) -> str:
    return f"{category} detectors"


def _detector_groups(system) -> dict:
    """``{category stage: [detector names]}`` in table order."""
    groups = {}
    for node in system.nodes:
        if node.kind == "detector":
            groups.setdefault(node.output, []).append(node.name)
    return groups


def _node_rows(ev: Evaluation) -> list[dict]:
    """One row per Sankey node: label, kind (detectors / stage / rejected), detectors (names
    of a group), op_power and link_power (W), power (W, their sum)."""
    system = ev.system
    rows = []
    for category, members in _detector_groups(system).items():
        link = sum(_q(ev, d, "link_power") for d in members)
        op = sum(_q(ev, d, "op_power") for d in members)
        rows.append(
            {
                "label": _group_label(category),
                "kind": "detectors",
                "detectors": tuple(members),
                "op_power": op,
                "link_power": link,
                "power": op + link,
            }
        )
    for node in system.nodes:
        if node.kind != "stage":
            continue
        op, link = _q(ev, node.name, "op_power"), _q(ev, node.name, "link_power")
        kind = "sink" if not node.output else ("selecting" if node.classifier != "Dummy" else "stage")
        rows.append(
            {"label": node.name, "kind": kind, "detectors": (), "op_power": op, "link_power": link, "power": op + link}
        )
    rows.append(
        {"label": REJECTED, "kind": "rejected", "detectors": (), "op_power": 0.0, "link_power": 0.0, "power": 0.0}
    )
    return rows


_NODE_COLUMNS = ["label", "kind", "detectors", "op_power", "link_power", "power"]
_LINK_COLUMNS = ["source", "target", "value", "rate", "bytes_per_s", "power"]


def flow_nodes(ev: Evaluation) -> pd.DataFrame:
    """One row per Sankey node: label, kind (detectors / stage / selecting / sink /
    rejected), detectors (names in a group), op_power and link_power (W), power (W, their sum)."""
    return pd.DataFrame(_node_rows(ev), columns=_NODE_COLUMNS)


def flow_links(ev: Evaluation, unit: str = "events") -> pd.DataFrame:
    """One row per Sankey link: source, target (node labels), value (the width: events/s
    times stream share, or bytes/s), rate (actual events/s on the link), bytes_per_s and
    power (W of the link; 0 for rejections)."""
    return pd.DataFrame(_link_rows(ev, unit), columns=_LINK_COLUMNS)


def _link_rows(ev: Evaluation, unit: str) -> list[dict]:
    if unit not in ("events", "bytes"):
        raise ValueError(f"unit must be 'events' or 'bytes', got {unit!r}")
    system = ev.system
    shares = stream_shares(system)
    rows = []
    for category, members in _detector_groups(system).items():
        rate = float(np.mean([_q(ev, d, "output_rate") for d in members]))
        weighted = sum(_q(ev, d, "output_rate") * shares[d] for d in members)
        thr = sum(_link(ev, d)["throughput"] for d in members)
        power = sum(_link(ev, d)["power"] for d in members)
        rows.append(
            {
                "source": _group_label(category),
                "target": category,
                "value": weighted if unit == "events" else thr,
                "rate": rate,
                "bytes_per_s": thr,
                "power": power,
            }
        )
    for node in system.nodes:
        if node.kind != "stage":
            continue
        out_rate = _q(ev, node.name, "output_rate")
        if node.output:
            link = _link(ev, node.name)
            thr, power = link["throughput"], link["power"]
            rows.append(
                {
                    "source": node.name,
                    "target": node.output,
                    "value": out_rate * shares[node.name] if unit == "events" else thr,
                    "rate": out_rate,
                    "bytes_per_s": thr,
                    "power": power,
                }
            )
        rejected = _q(ev, node.name, "rejected_rate")
        if node.classifier != "Dummy" and rejected > 0:
            rbytes = rejected * _q(ev, node.name, "message_bytes")
            rows.append(
                {
                    "source": node.name,
                    "target": REJECTED,
                    "value": rejected * shares[node.name] if unit == "events" else rbytes,
                    "rate": rejected,
                    "bytes_per_s": rbytes,
                    "power": 0.0,
                }
            )
    return rows


def sankey_arguments(ev: Evaluation, unit: str = "events") -> dict:
    """Keyword arguments of ``go.Sankey`` (node and link dicts) for an evaluation."""
    if ev.shape != ():
        raise ValueError("the flow view shows one point: evaluate with scalar overrides")
    nodes = _node_rows(ev)
    links = _link_rows(ev, unit)
    index = {n["label"]: i for i, n in enumerate(nodes)}
    node_hover = []
    for n in nodes:
        extra = f"<br>detectors: {', '.join(n['detectors'])}" if n["detectors"] else ""
        node_hover.append(
            f"op power {n['op_power']:.4g} W<br>link power {n['link_power']:.4g} W<br>total {n['power']:.4g} W{extra}"
        )
    link_hover = [
        f"{format_rate(r['rate'])} ({r['rate']:.6g} events/s)<br>{r['bytes_per_s']:.4g} bytes/s"
        f"<br>link power {r['power']:.4g} W"
        for r in links
    ]
    return dict(
        arrangement="snap",
        valueformat=".4g",
        valuesuffix=" events/s (stream share)" if unit == "events" else " bytes/s",
        node=dict(
            label=[n["label"] for n in nodes],
            color=[_COLOURS[n["kind"]] for n in nodes],
            pad=12,
            thickness=14,
            customdata=node_hover,
            hovertemplate="%{label}<br>%{customdata}<extra></extra>",
        ),
        link=dict(
            source=[index[r["source"]] for r in links],
            target=[index[r["target"]] for r in links],
            value=[r["value"] for r in links],
            customdata=link_hover,
            hovertemplate="%{source.label} -> %{target.label}<br>%{customdata}<extra></extra>",
        ),
    )


class FlowView(widgets.VBox):
    """A Sankey of an :class:`Evaluation` with an events/s | bytes/s toggle.

    Traits: ``evaluation`` (a scalar Evaluation), ``unit`` ("events" or "bytes").
    The figure is ``.figure``, drawn by ``.plot`` (a :class:`~twidgets.widgets.plot.Plot` with class ``tw-flow``).
    """

    evaluation = traitlets.Instance(Evaluation, allow_none=True)
    unit = traitlets.Enum(("events", "bytes"), default_value="events")

    def __init__(self, evaluation: Evaluation | None = None, unit: str = "events", **kwargs):
        self._shape = None
        figure = go.Figure(data=[go.Sankey()], layout=go.Layout(height=380, margin=dict(l=10, r=10, t=40, b=10)))
        self.plot = Plot(figure, layout=widgets.Layout(width="100%"))
        self.plot.add_class("tw-flow")
        self.unit_toggle = widgets.ToggleButtons(options=list(UNITS.items()), value=unit, description="Width")
        self.unit_toggle.add_class("tw-flow-unit")
        super().__init__(children=[self.unit_toggle, self.plot], **kwargs)
        self.add_class("twidgets-flow")
        traitlets.link((self.unit_toggle, "value"), (self, "unit"))
        self.unit = unit
        self.observe(self._redraw, names=["evaluation", "unit"])
        self.evaluation = evaluation

    @property
    def figure(self) -> PlotFigure:
        """The Sankey (a ``go.Figure``; changes made with ``update``/``batch_update`` are drawn)."""
        return self.plot.figure

    def _redraw(self, change=None):
        ev = self.evaluation
        if ev is None:
            return
        args = sankey_arguments(ev, self.unit)
        title = (
            f"{ev.system.name or 'system'}: {'events/s' if self.unit == 'events' else 'bytes/s'} "
            f"through the stages; scaled power {format_quantity(ev.scaled_power, 'W')} on {ev.year} technology "
            f"({format_quantity(ev.power, 'W')} today)"
        )
        shape = (args["node"]["label"], args["link"]["source"], args["link"]["target"], args["valuesuffix"])
        trace = self.figure.data[0]
        with self.figure.batch_update():
            if shape == self._shape:  # same graph: only the numbers move (cheaper to validate)
                trace.link.value = args["link"]["value"]
                trace.link.customdata = args["link"]["customdata"]
                trace.node.customdata = args["node"]["customdata"]
            else:
                trace.update(**args)
                self._shape = shape
            self.figure.layout.title = title
