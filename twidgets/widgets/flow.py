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
from .panels import format_rate

__all__ = ["UNITS", "stream_shares", "flow_nodes", "flow_links", "sankey_arguments", "FlowView"]

#: Link-width units: label -> key.
UNITS = {"events/s": "events", "bytes/s": "bytes"}

REJECTED = "Rejected"

_COLOURS = {"detectors": "#7f7f7f", "stage": "#1f77b4", "selecting": "#ff7f0e", "sink": "#2ca02c",
            "rejected": "#d62728"}


def _scalar(x) -> float:
    return float(np.asarray(x, dtype=float).reshape(-1)[0]) if np.ndim(x) else float(x)


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


def flow_nodes(ev: Evaluation) -> pd.DataFrame:
    """One row per Sankey node: label, kind (detectors / stage / rejected), detectors (names
    of a group), op_power and link_power (W), power (W, their sum)."""
    system = ev.system
    stages = ev.stages
    rows = []
    groups = {}
    for node in system.nodes:
        if node.kind == "detector":
            groups.setdefault(node.output, []).append(node.name)
    for category, members in groups.items():
        link = float(sum(_scalar(stages.loc[d, "link_power"]) for d in members))
        op = float(sum(_scalar(stages.loc[d, "op_power"]) for d in members))
        rows.append({"label": _group_label(category), "kind": "detectors", "detectors": tuple(members),
                     "op_power": op, "link_power": link, "power": op + link})
    for node in system.nodes:
        if node.kind != "stage":
            continue
        op, link = _scalar(stages.loc[node.name, "op_power"]), _scalar(stages.loc[node.name, "link_power"])
        kind = "sink" if not node.output else ("selecting" if node.classifier != "Dummy" else "stage")
        rows.append({"label": node.name, "kind": kind, "detectors": (), "op_power": op, "link_power": link,
                     "power": op + link})
    rows.append({"label": REJECTED, "kind": "rejected", "detectors": (), "op_power": 0.0, "link_power": 0.0,
                 "power": 0.0})
    return pd.DataFrame(rows, columns=["label", "kind", "detectors", "op_power", "link_power", "power"])


def flow_links(ev: Evaluation, unit: str = "events") -> pd.DataFrame:
    """One row per Sankey link: source, target (node labels), value (the width: events/s
    times stream share, or bytes/s), rate (actual events/s on the link), bytes_per_s and
    power (W of the link; 0 for rejections)."""
    if unit not in ("events", "bytes"):
        raise ValueError(f"unit must be 'events' or 'bytes', got {unit!r}")
    system = ev.system
    stages = ev.stages
    links = ev.links.set_index(["source", "target"])
    shares = stream_shares(system)
    rows = []
    groups = {}
    for node in system.nodes:
        if node.kind == "detector":
            groups.setdefault(node.output, []).append(node.name)
    for category, members in groups.items():
        rate = float(np.mean([_scalar(stages.loc[d, "output_rate"]) for d in members]))
        weighted = float(sum(_scalar(stages.loc[d, "output_rate"]) * shares[d] for d in members))
        thr = float(sum(_scalar(links.loc[(d, category), "throughput"]) for d in members))
        power = float(sum(_scalar(links.loc[(d, category), "power"]) for d in members))
        rows.append({"source": _group_label(category), "target": category,
                     "value": weighted if unit == "events" else thr, "rate": rate, "bytes_per_s": thr,
                     "power": power})
    for node in system.nodes:
        if node.kind != "stage":
            continue
        out_rate = _scalar(stages.loc[node.name, "output_rate"])
        if node.output:
            thr = _scalar(links.loc[(node.name, node.output), "throughput"])
            power = _scalar(links.loc[(node.name, node.output), "power"])
            rows.append({"source": node.name, "target": node.output,
                         "value": out_rate * shares[node.name] if unit == "events" else thr,
                         "rate": out_rate, "bytes_per_s": thr, "power": power})
        rejected = _scalar(stages.loc[node.name, "rejected_rate"])
        if node.classifier != "Dummy" and rejected > 0:
            rbytes = rejected * _scalar(stages.loc[node.name, "message_bytes"])
            rows.append({"source": node.name, "target": REJECTED,
                         "value": rejected * shares[node.name] if unit == "events" else rbytes,
                         "rate": rejected, "bytes_per_s": rbytes, "power": 0.0})
    return pd.DataFrame(rows, columns=["source", "target", "value", "rate", "bytes_per_s", "power"])


def sankey_arguments(ev: Evaluation, unit: str = "events") -> dict:
    """Keyword arguments of ``go.Sankey`` (node and link dicts) for an evaluation."""
    if ev.shape != ():
        raise ValueError("the flow view shows one point: evaluate with scalar overrides")
    nodes = flow_nodes(ev)
    links = flow_links(ev, unit)
    index = {label: i for i, label in enumerate(nodes["label"])}
    node_hover = []
    for _, n in nodes.iterrows():
        extra = f"<br>detectors: {', '.join(n['detectors'])}" if n["detectors"] else ""
        node_hover.append(f"op power {n['op_power']:.4g} W<br>link power {n['link_power']:.4g} W"
                          f"<br>total {n['power']:.4g} W{extra}")
    link_hover = [f"{format_rate(r['rate'])} ({r['rate']:.6g} events/s)<br>{r['bytes_per_s']:.4g} bytes/s"
                  f"<br>link power {r['power']:.4g} W" for _, r in links.iterrows()]
    return dict(
        arrangement="snap",
        valueformat=".4g",
        valuesuffix=" events/s (stream share)" if unit == "events" else " bytes/s",
        node=dict(label=list(nodes["label"]), color=[_COLOURS[k] for k in nodes["kind"]], pad=12, thickness=14,
                  customdata=node_hover, hovertemplate="%{label}<br>%{customdata}<extra></extra>"),
        link=dict(source=[index[s] for s in links["source"]], target=[index[t] for t in links["target"]],
                  value=list(links["value"]), customdata=link_hover,
                  hovertemplate="%{source.label} -> %{target.label}<br>%{customdata}<extra></extra>"),
    )


class FlowView(widgets.VBox):
    """A Sankey of an :class:`Evaluation` with an events/s | bytes/s toggle.

    Traits: ``evaluation`` (a scalar Evaluation), ``unit`` ("events" or "bytes").
    The FigureWidget is ``.figure`` inside a box with class ``tw-flow``.
    """

    evaluation = traitlets.Instance(Evaluation, allow_none=True)
    unit = traitlets.Enum(("events", "bytes"), default_value="events")

    def __init__(self, evaluation: Evaluation | None = None, unit: str = "events", **kwargs):
        self.figure = go.FigureWidget(data=[go.Sankey()],
                                      layout=go.Layout(height=380, margin=dict(l=10, r=10, t=40, b=10)))
        self.box = widgets.Box([self.figure], layout=widgets.Layout(width="100%"))
        self.box.add_class("tw-flow")
        self.unit_toggle = widgets.ToggleButtons(options=list(UNITS.items()), value=unit, description="Width")
        self.unit_toggle.add_class("tw-flow-unit")
        super().__init__(children=[self.unit_toggle, self.box], **kwargs)
        self.add_class("twidgets-flow")
        traitlets.link((self.unit_toggle, "value"), (self, "unit"))
        self.unit = unit
        self.observe(self._redraw, names=["evaluation", "unit"])
        self.evaluation = evaluation

    def _redraw(self, change=None):
        ev = self.evaluation
        if ev is None:
            return
        args = sankey_arguments(ev, self.unit)
        title = (f"{ev.system.name or 'system'}: {'events/s' if self.unit == 'events' else 'bytes/s'} "
                 f"through the stages; power {ev.power / 1e6:.4g} MW")
        with self.figure.batch_update():
            self.figure.data[0].update(**args)
            self.figure.layout.title = title
