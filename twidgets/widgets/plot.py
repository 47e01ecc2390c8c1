"""The project's own plotly figure widget: one plotly.js per page, the figure as JSON.

:class:`Plot` is an ``anywidget`` whose front end (``static/plot.js``) is a few kB. The
figure lives in three JSON traits (``figure_data``, ``figure_layout``, ``figure_config``;
``layout`` stays the widget's CSS layout, as for every ipywidget) and the browser draws each
change with ``Plotly.react``. plotly.js itself -- the copy the installed ``plotly``
package ships -- is loaded once per page, however many figures the page holds:

* from the ``<script id="tw-plotly-preload">`` that ``twidgets app``'s page template puts in
  the page's head, so the bundle loads (and is parsed off the main thread) while the kernel
  runs the notebook;
* from the URL the page config names (``extensionConfig.twidgetsPlotlyUrl``: ``twidgets app``
  sets it for its standalone Voila, see :func:`twidgets.app.plotly_arguments`);
* else from ``{base_url}twidgets/static/plotly.min.js`` when the page's Jupyter server runs
  twidgets' server extension (:mod:`twidgets.widgets.server`; JupyterLab, Notebook 7, Voila
  as a server extension as on Binder), probed with a HEAD request first;
* otherwise from the kernel, once per page, over a widget's comm (e.g. a server without the
  extension).

Nothing is fetched from the network. The front end never gives up on a figure: a figure
whose data or plotly.js arrives late is drawn when it arrives. Each drawn view carries the
class ``tw-plot`` and ``data-tw-rev`` (the :attr:`Plot.rev` it shows), so a test can wait for
``.tw-plot[data-tw-rev]`` ("drawn with data").

Python side: ``plot.figure`` is a ``plotly.graph_objects.Figure``; every change made through
``figure.update(...)``, ``update_layout``/``update_traces``, ``trace.update(...)`` or inside
``with figure.batch_update():`` is sent to the browser when it completes (a bare attribute
assignment is sent with the next of those, or by :meth:`Plot.refresh`). Clicks, hovers and
selections in the browser reach :meth:`Plot.on_click`, :meth:`Plot.on_hover` and
:meth:`Plot.on_selection` callbacks as typed :class:`PlotEvent` objects.
"""

from __future__ import annotations

import contextlib
import json
import logging
import pathlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import anywidget
import plotly.graph_objects as go
import traitlets
from _plotly_utils.utils import PlotlyJSONEncoder

from .server import plotly_directory

__all__ = ["Plot", "PlotEvent", "PlotPoint", "plotly_js_path", "EVENT_KINDS"]

_STATIC = pathlib.Path(__file__).parent / "static"
_LOG = logging.getLogger(__name__)

#: The kinds of browser events a :class:`Plot` forwards to Python.
EVENT_KINDS = ("click", "hover", "selection")


def plotly_js_path() -> pathlib.Path:
    """The plotly.js bundle shipped by the installed ``plotly`` package (``plotly.min.js``)."""
    return plotly_directory() / "plotly.min.js"


@dataclass(frozen=True)
class PlotPoint:
    """One point of a browser event.

    ``trace`` is the index of the trace in ``data``; ``index`` the point's index in that trace
    (an ``(row, column)`` pair for 2-D traces such as contours and heatmaps, ``None`` when
    plotly gives none); ``x``, ``y``, ``z`` its coordinates in data units (``None`` if absent).
    """

    trace: int
    index: int | tuple[int, ...] | None
    x: Any = None
    y: Any = None
    z: Any = None
    customdata: Any = None


@dataclass(frozen=True)
class PlotEvent:
    """A click, hover or selection in the browser: its ``kind`` and the ``points`` it concerns."""

    kind: str
    points: tuple[PlotPoint, ...]

    def on_trace(self, *traces: int) -> tuple[PlotPoint, ...]:
        """The points that lie on any of the given trace indices."""
        return tuple(p for p in self.points if p.trace in traces)


def _point_from_message(raw: Any) -> PlotPoint:
    """A :class:`PlotPoint` from the browser's plain JSON (validated; never evaluated)."""
    if not isinstance(raw, dict):
        raise ValueError(f"a point must be an object, got {type(raw).__name__}")
    trace = raw.get("trace")
    if not isinstance(trace, int) or isinstance(trace, bool) or trace < 0:
        raise ValueError(f"a point's 'trace' must be a trace index, got {trace!r}")
    index = raw.get("index")
    if isinstance(index, list):
        if not all(isinstance(i, int) and not isinstance(i, bool) for i in index):
            raise ValueError(f"a point's 'index' must hold integers, got {index!r}")
        index = tuple(index)
    elif index is not None and (not isinstance(index, int) or isinstance(index, bool)):
        raise ValueError(f"a point's 'index' must be an integer, a list of integers or null, got {index!r}")
    return PlotPoint(trace, index, raw.get("x"), raw.get("y"), raw.get("z"), raw.get("customdata"))


def event_from_message(content: Any) -> PlotEvent:
    """Parse the browser's event message ``{"type": "event", "kind": ..., "points": [...]}``.

    Raises ``ValueError`` naming what is wrong.
    """
    if not isinstance(content, dict):
        raise ValueError(f"an event message must be an object, got {type(content).__name__}")
    kind = content.get("kind")
    if kind not in EVENT_KINDS:
        raise ValueError(f"unknown event kind {kind!r}; expected one of {', '.join(EVENT_KINDS)}")
    points = content.get("points")
    if not isinstance(points, list):
        raise ValueError(f"an event's 'points' must be a list, got {type(points).__name__}")
    return PlotEvent(kind, tuple(_point_from_message(p) for p in points))


def figure_json(figure: go.Figure) -> tuple[list[dict], dict]:
    """``(data, layout)`` of ``figure`` as plain JSON values (numpy arrays become lists, NaN null)."""
    plain = json.loads(json.dumps(figure.to_plotly_json(), cls=PlotlyJSONEncoder))
    return plain.get("data", []), plain.get("layout", {})


class PlotFigure(go.Figure):
    """A ``go.Figure`` that sends itself to its :class:`Plot` after every batched change.

    ``figure.update(...)``, ``update_layout``, ``update_traces``, ``trace.update(...)`` and
    ``with figure.batch_update():`` all run through :meth:`batch_update`, which pushes the
    figure to the browser once when the outermost batch ends.
    """

    def __init__(self, *args, plot: Plot | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self._tw_plot = plot

    @contextlib.contextmanager
    def batch_update(self) -> Iterator[None]:
        outermost = not self._in_batch_mode
        with super().batch_update():
            yield
        plot = getattr(self, "_tw_plot", None)  # None while go.Figure.__init__ runs
        if outermost and plot is not None:
            plot.refresh()


class Plot(anywidget.AnyWidget):
    """A plotly figure drawn by one page-wide plotly.js, updated with ``Plotly.react``.

    >>> plot = Plot(go.Figure(go.Bar(x=[1, 2], y=[3, 4])))
    >>> plot.figure.update_layout(title="counts")   # drawn in every view of the plot
    >>> plot.on_click(lambda event: print(event.points))
    """

    _esm = _STATIC / "plot.js"
    _css = _STATIC / "plot.css"

    figure_data = traitlets.List(traitlets.Dict(), help="the figure's traces, as plotly.js JSON").tag(sync=True)
    figure_layout = traitlets.Dict(help="the figure's layout, as plotly.js JSON").tag(sync=True)
    figure_config = traitlets.Dict(
        help="plotly.js config (modebar, responsiveness...); see plotly.js's configuration options"
    ).tag(sync=True)
    rev = traitlets.Int(0, help="revision of data + layout: +1 each time the figure is sent").tag(sync=True)
    _events = traitlets.List(
        traitlets.Unicode(), help="event kinds with Python callbacks: the browser sends only these"
    ).tag(sync=True)

    def __init__(self, figure: go.Figure | dict | None = None, *, config: dict | None = None, **kwargs):
        super().__init__(figure_config=dict(config or {"displaylogo": False, "responsive": True}), **kwargs)
        self._callbacks: dict[str, list[Callable[[PlotEvent], Any]]] = {k: [] for k in EVENT_KINDS}
        self._figure = PlotFigure(figure, plot=self)
        self.on_msg(self._on_message)
        self.refresh()

    # ------------------------------------------------------------------ the figure
    @property
    def figure(self) -> PlotFigure:
        """The figure (a ``go.Figure``): read it, and change it with ``update``/``batch_update``."""
        return self._figure

    @figure.setter
    def figure(self, figure: go.Figure | dict) -> None:
        self._figure = PlotFigure(figure, plot=self)
        self.refresh()

    def refresh(self) -> None:
        """Send the figure's current data and layout to the browser (only what changed is sent)."""
        data, layout = figure_json(self._figure)
        with self.hold_sync():
            self.figure_data = data
            self.figure_layout = layout
            self.rev += 1

    # ------------------------------------------------------------------ events
    def on_click(self, callback: Callable[[PlotEvent], Any], remove: bool = False) -> None:
        """Call ``callback(event)`` when the user clicks a point (``remove=True`` unregisters)."""
        self._register("click", callback, remove)

    def on_hover(self, callback: Callable[[PlotEvent], Any], remove: bool = False) -> None:
        """Call ``callback(event)`` when the pointer hovers a point."""
        self._register("hover", callback, remove)

    def on_selection(self, callback: Callable[[PlotEvent], Any], remove: bool = False) -> None:
        """Call ``callback(event)`` when the user selects points (box or lasso)."""
        self._register("selection", callback, remove)

    def _register(self, kind: str, callback, remove: bool) -> None:
        callbacks = self._callbacks[kind]
        if remove:
            if callback in callbacks:
                callbacks.remove(callback)
        else:
            callbacks.append(callback)
        self._events = [k for k in EVENT_KINDS if self._callbacks[k]]

    def dispatch(self, event: PlotEvent) -> None:
        """Run the callbacks registered for ``event.kind`` (what a browser event does)."""
        for callback in list(self._callbacks[event.kind]):
            callback(event)

    def _on_message(self, widget, content, buffers) -> None:
        kind = content.get("type") if isinstance(content, dict) else None
        if kind == "plotly-request":
            self.send({"type": "plotly-bundle"}, [plotly_js_path().read_bytes()])
        elif kind == "event":
            try:
                event = event_from_message(content)
            except ValueError as exc:
                _LOG.warning("ignored a malformed plot event: %s", exc)
                return
            self.dispatch(event)
        else:
            _LOG.warning("ignored an unknown plot message type %r", kind)
