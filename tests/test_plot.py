"""The Plot widget on the Python side: figure <-> JSON traits, events, the plotly.js bundle."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import numpy as np
import plotly.graph_objects as go
import pytest

from twidgets.widgets import plot as plot_module
from twidgets.widgets.plot import Plot, PlotEvent, PlotPoint, event_from_message, plotly_js_path


def bars():
    return go.Figure(go.Bar(x=[1, 2, 3], y=[4, 5, 6]), layout=dict(title="counts"))


def test_the_figure_is_held_as_plain_json():
    plot = Plot(go.Figure(go.Scatter(x=[0, 1, 2], y=np.array([0.5, np.nan, 2.0]), name="s")))
    trace = plot.figure_data[0]
    assert trace["type"] == "scatter" and trace["x"] == [0, 1, 2] and trace["name"] == "s"
    # numpy arrays travel as plotly.js typed arrays (base64 "bdata"), NaN kept as a gap
    assert trace["y"]["dtype"] == "f8"
    y = np.frombuffer(base64.b64decode(trace["y"]["bdata"]), dtype="<f8")
    np.testing.assert_array_equal(y, [0.5, np.nan, 2.0])
    json.dumps(plot.figure_data, allow_nan=False), json.dumps(plot.figure_layout, allow_nan=False)  # strict JSON
    assert plot.rev == 1


def test_nan_in_plain_lists_becomes_null():
    plot = Plot(go.Figure(go.Scatter(x=[0, 1], y=[float("nan"), 1.0])))
    assert plot.figure_data[0]["y"] == [None, 1.0]


def test_batched_changes_are_sent_once_when_the_batch_ends():
    plot = Plot(bars())
    revs = []
    plot.observe(lambda c: revs.append(c["new"]), names="rev")
    with plot.figure.batch_update():
        plot.figure.data[0].y = [7, 8, 9]
        plot.figure.layout.title = "new counts"
        assert plot.figure_data[0]["y"] == [4, 5, 6]  # not yet
    assert revs == [2]
    assert plot.figure_data[0]["y"] == [7, 8, 9] and plot.figure_layout["title"]["text"] == "new counts"


@pytest.mark.parametrize(
    "change",
    [
        lambda f: f.update_layout(title="t2"),
        lambda f: f.update_traces(marker_color="red"),
        lambda f: f.data[0].update(y=[0, 0, 1]),
        lambda f: f.update(layout_height=300),
    ],
)
def test_plotly_update_methods_are_drawn(change):
    plot = Plot(bars())
    before = (plot.rev, json.dumps([plot.figure_data, plot.figure_layout]))
    change(plot.figure)
    assert plot.rev == before[0] + 1 and json.dumps([plot.figure_data, plot.figure_layout]) != before[1]


def test_bare_assignment_is_sent_by_refresh():
    plot = Plot(bars())
    plot.figure.layout.title = "later"
    assert plot.figure_layout["title"]["text"] == "counts"
    plot.refresh()
    assert plot.figure_layout["title"]["text"] == "later"


def test_assigning_a_new_figure_replaces_the_drawn_one():
    plot = Plot(bars())
    plot.figure = go.Figure(go.Contour(z=[[1, 2], [3, 4]]))
    assert [t["type"] for t in plot.figure_data] == ["contour"]
    plot.figure.update_layout(title="map")  # the new figure is live too
    assert plot.figure_layout["title"]["text"] == "map"


def test_click_messages_reach_callbacks_as_typed_events():
    plot = Plot(bars())
    seen = []
    plot.on_click(seen.append)
    assert plot._events == ["click"]  # the browser forwards clicks only
    plot._on_message(None, {"type": "event", "kind": "click", "points": [{"trace": 0, "index": 1, "x": 2, "y": 5}]}, [])
    assert seen == [PlotEvent("click", (PlotPoint(0, 1, 2, 5),))]
    plot._on_message(None, {"type": "event", "kind": "hover", "points": []}, [])  # no hover callback
    assert len(seen) == 1
    plot.on_click(seen.append, remove=True)
    assert plot._events == []


def test_hover_and_selection_callbacks():
    plot = Plot(bars())
    hovers, selections = [], []
    plot.on_hover(hovers.append)
    plot.on_selection(selections.append)
    assert plot._events == ["hover", "selection"]
    plot._on_message(None, {"type": "event", "kind": "hover", "points": [{"trace": 0, "index": 0}]}, [])
    plot._on_message(
        None, {"type": "event", "kind": "selection", "points": [{"trace": 0, "index": i} for i in (0, 2)]}, []
    )
    assert hovers[0].points == (PlotPoint(0, 0),)
    assert [p.index for p in selections[0].points] == [0, 2]


def test_two_dimensional_point_index_becomes_a_tuple():
    event = event_from_message({"kind": "click", "points": [{"trace": 0, "index": [3, 4], "x": 1.0, "y": 2.0}]})
    assert event.points[0].index == (3, 4)
    assert event.on_trace(1) == ()


@pytest.mark.parametrize(
    "content, message",
    [
        ({"kind": "drag", "points": []}, "unknown event kind 'drag'"),
        ({"kind": "click", "points": "all"}, "'points' must be a list"),
        ({"kind": "click", "points": [{"trace": -1}]}, "'trace' must be a trace index"),
        ({"kind": "click", "points": [{"trace": 0, "index": "__import__('os')"}]}, "'index' must be an integer"),
        ({"kind": "click", "points": [7]}, "a point must be an object"),
    ],
)
def test_malformed_events_are_rejected_with_a_message(content, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        event_from_message(content)


def test_malformed_event_messages_call_nothing(caplog):
    plot = Plot(bars())
    seen = []
    plot.on_click(seen.append)
    plot._on_message(None, {"type": "event", "kind": "click", "points": [{"trace": "x"}]}, [])
    plot._on_message(None, {"type": "nonsense"}, [])
    assert seen == []
    assert "malformed plot event" in caplog.text and "unknown plot message type 'nonsense'" in caplog.text


def test_the_bundle_is_sent_on_request_only(monkeypatch):
    plot = Plot(bars())
    sent = []
    monkeypatch.setattr(plot, "send", lambda content, buffers=None: sent.append((content, buffers)))
    plot._on_message(None, {"type": "plotly-request"}, [])
    ((content, buffers),) = sent
    assert content == {"type": "plotly-bundle"}
    assert buffers[0] == plotly_js_path().read_bytes()
    assert b"plotly.js v" in buffers[0][:200]


def test_the_esm_is_small_and_fetches_nothing_external():
    esm = (Path(plot_module.__file__).parent / "static" / "plot.js").read_text()
    assert len(esm.encode()) < 20_000
    assert "http://" not in esm and "https://" not in esm
    assert "setTimeout" not in esm  # no front-end timeouts


def test_config_defaults_and_override():
    assert Plot(bars()).figure_config == {"displaylogo": False, "responsive": True}
    assert Plot(bars(), config={"staticPlot": True}).figure_config == {"staticPlot": True}
    plot = Plot(bars(), layout={"width": "50%"})  # ``layout`` is still the widget's CSS layout
    assert plot.layout.width == "50%" and plot.figure_layout["title"]["text"] == "counts"


def test_plot_box_reports_the_clicked_x_and_redraws_from_json():
    from twidgets.widgets.plotting import figure_box

    xs = []
    box = figure_box({"data": [{"type": "bar", "x": ["a", "b"], "y": [1, 2]}]}, on_click=xs.append)
    box._on_message(
        None, {"type": "event", "kind": "click", "points": [{"trace": 0, "index": 1, "x": "b", "y": 2}]}, []
    )
    assert xs == ["b"]
    rev = box.rev
    box.set_figure({"data": [{"type": "bar", "x": ["c"], "y": [3]}], "layout": {"title": {"text": "t"}}})
    assert box.rev > rev and box.figure_data[0]["x"] == ["c"] and box.figure_layout["title"]["text"] == "t"
    box._on_message(None, {"type": "event", "kind": "click", "points": [{"trace": 0, "index": 0, "x": "c"}]}, [])
    assert xs == ["b", "c"]  # the callback survives the redraw
