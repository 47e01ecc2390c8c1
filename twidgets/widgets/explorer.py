"""SweepExplorer: a metric over two parameters as a labelled contour map, plus the Pareto view.

All the numbers come from :func:`twidgets.sweep`; this module only picks the grids, draws
and handles clicks. Reduction-ratio axes are reversed (high RR on the left), as in the
seed analysis' figures, and the seed's scenarios are marked where they fall on the map.

>>> from twidgets.widgets import SweepExplorer
>>> explorer = SweepExplorer(system, x="Intermediate.reduction_ratio", y="Intermediate.skill_boost",
...                          metric="f1", debounce=0)
>>> explorer.select(100.0, 0.4)      # what a click on the map does
>>> explorer.selected                # {"Intermediate.reduction_ratio": ..., "Intermediate.skill_boost": ...}
"""

from __future__ import annotations

import asyncio
import base64
import html
import math
import time

import ipywidgets as widgets
import numpy as np
import traitlets

from ..model import ParameterError, System
from ..model.display import axis_title, format_quantity, format_value
from ..model.display import label as _name
from ..model.registry import study_for
from .controls import QuietObservers, as_system
from .explorer_figures import (
    CURRENT_MARKER,
    CURRENT_NAME,
    DEFAULT_NUM,
    METRIC_CHOICES,
    SELECTED_MARKER,
    SELECTED_NAME,
    contour_figure,
    default_range,
    fallback_axes,
    front_note,
    grid,
    pareto_figure,
    progress_chunk,
    snap,
)
from .plot import Plot, PlotEvent, PlotFigure

__all__ = [
    "SweepExplorer",
    "METRIC_CHOICES",
    "DEFAULT_NUM",
    "CURRENT_MARKER",
    "CURRENT_NAME",
    "SELECTED_MARKER",
    "SELECTED_NAME",
    "default_range",
    "fallback_axes",
    "front_note",
    "grid",
    "snap",
    "progress_chunk",
]

_WRAP = widgets.Layout(flex_flow="row wrap", align_items="center")


def _label(key: str) -> str:
    return axis_title(key)


def _running_loop():
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


class SweepExplorer(QuietObservers, widgets.VBox):
    """Contour map of a metric over two ``"Stage.param"`` parameters, with a Pareto view.

    Parameters
    ----------
    system : System or str, optional (a bundled name; default: the default bundled system)
    x, y : str, optional
        Numeric parameters (``system.parameters()``) on the horizontal / vertical axis.
        Default: the axes its study registered for the system, else the reduction ratio
        and skill boost of the first selecting stage.
    metric : str
        One of :data:`METRIC_CHOICES`.
    x_range, y_range : (start, stop, num), optional
        Default: :func:`default_range` with ``num`` points.
    sigma : float
        Gaussian smoothing of the map, in grid cells (0: none; the seed uses 3).
    repeats : int
        Monte-Carlo repeats averaged by the sweep (different seeds).
    debounce : float
        Seconds to wait after a change before recomputing when an asyncio loop is running
        (in a kernel); 0 computes synchronously.
    scenarios : sequence, optional
        Named points to mark on the map where both axes are among their ``overrides``
        (each has ``name``, ``overrides`` and a plotly ``marker`` symbol). Default: the
        scenarios its study registered for the system; ``()`` for none.

    Traits
    ------
    system, x, y, metric, x_range, y_range, sigma, repeats, seed, debounce,
    selected (dict param -> value of the clicked grid point), result (the SweepResult,
    read-only), status (text).
    """

    system = traitlets.Instance(System)
    x = traitlets.Unicode("", help="'Stage.param' on the horizontal axis")
    y = traitlets.Unicode("", help="'Stage.param' on the vertical axis")
    metric = traitlets.Enum(tuple(METRIC_CHOICES), default_value="f1")
    x_range = traitlets.Tuple(traitlets.Float(), traitlets.Float(), traitlets.Int(), default_value=(450.0, 40.0, 51))
    y_range = traitlets.Tuple(traitlets.Float(), traitlets.Float(), traitlets.Int(), default_value=(0.0, 1.0, 51))
    sigma = traitlets.Float(0.0)
    repeats = traitlets.Int(1)
    seed = traitlets.Int(0)
    debounce = traitlets.Float(0.3)
    selected = traitlets.Dict()
    current = traitlets.Dict(
        help="the operating point shown, {x param: value, y param: value}; empty: the system's own values"
    )
    follow_selection = traitlets.Bool(
        False, help="a click also moves the current operating point there (the dashboard's what-if values do)"
    )
    result = traitlets.Any(None, read_only=True)
    status = traitlets.Unicode("")

    def __init__(
        self,
        system: System | None = None,
        x: str | None = None,
        y: str | None = None,
        metric: str = "f1",
        *,
        scenarios=None,
        x_range=None,
        y_range=None,
        num: int = DEFAULT_NUM,
        sigma: float = 0.0,
        repeats: int = 1,
        seed: int = 0,
        debounce: float = 0.3,
        **kwargs,
    ):
        system = as_system(system, "SweepExplorer")
        study = study_for(system.name)
        if x is None or y is None:
            x, y = (study.axes if study is not None and study.axes else None) or fallback_axes(system)
        #: The named points marked on the map (fixed at construction: one trace each).
        self.scenarios = tuple(study.scenarios if study is not None else ()) if scenarios is None else tuple(scenarios)
        self._pending = None
        self._grids = (np.empty(0), np.empty(0))
        self._build_controls()
        super().__init__(children=self._layout_children(), **kwargs)
        self.add_class("twidgets-explorer")
        with self._hold():
            self.system = system
            self.x, self.y = x, y
            self.metric = metric
            self.x_range = tuple(x_range) if x_range is not None else (*default_range(system, x), num)
            self.y_range = tuple(y_range) if y_range is not None else (*default_range(system, y), num)
            self.sigma, self.repeats, self.seed, self.debounce = sigma, repeats, seed, debounce
            self._controls_from_traits()
        self.observe(self._on_axis_param, names=["x", "y"])
        self.observe(self._on_change, names=["system", "x_range", "y_range", "repeats", "seed"])
        self.observe(self._on_view_change, names=["metric", "sigma"])
        self.observe(self._on_selected, names=["selected", "current"])
        self.recompute()

    # ------------------------------------------------------------------ building
    def _build_controls(self):
        style = {"description_width": "initial"}
        self.x_picker = widgets.Dropdown(description="x", style=style)
        self.x_picker.add_class("tw-x-param")
        self.y_picker = widgets.Dropdown(description="y", style=style)
        self.y_picker.add_class("tw-y-param")
        small = widgets.Layout(width="150px")
        self.x_start = widgets.FloatText(description="from", layout=small, style=style)
        self.x_stop = widgets.FloatText(description="to", layout=small, style=style)
        self.x_num = widgets.BoundedIntText(min=2, max=401, description="points", layout=small, style=style)
        self.y_start = widgets.FloatText(description="from", layout=small, style=style)
        self.y_stop = widgets.FloatText(description="to", layout=small, style=style)
        self.y_num = widgets.BoundedIntText(min=2, max=401, description="points", layout=small, style=style)
        for w, cls in (
            (self.x_start, "tw-x-start"),
            (self.x_stop, "tw-x-stop"),
            (self.x_num, "tw-x-num"),
            (self.y_start, "tw-y-start"),
            (self.y_stop, "tw-y-stop"),
            (self.y_num, "tw-y-num"),
        ):
            w.add_class(cls)
        self.metric_picker = widgets.Dropdown(
            options=[(v[0], k) for k, v in METRIC_CHOICES.items()], description="Metric", style=style
        )
        self.metric_picker.add_class("tw-metric")
        self.sigma_input = widgets.BoundedFloatText(
            min=0.0,
            max=50.0,
            step=0.5,
            description="Smoothing sigma",
            layout=widgets.Layout(width="180px"),
            style=style,
        )
        self.sigma_input.add_class("tw-sigma")
        self.repeats_input = widgets.BoundedIntText(
            min=1, max=50, description="Repeats", layout=widgets.Layout(width="140px"), style=style
        )
        self.repeats_input.add_class("tw-repeats")
        self.progress = widgets.IntProgress(min=0, max=1, value=0, layout=widgets.Layout(width="90px"))
        self.progress.add_class("tw-progress")
        self.status_html = widgets.HTML()
        self.status_html.add_class("tw-status")
        self.selected_html = widgets.HTML("click the map to pick a point")
        self.selected_html.add_class("tw-selected")
        self.download = widgets.HTML()
        self.download.add_class("tw-download-csv")

        contour = contour_figure(self.scenarios)
        self.contour_plot = Plot(contour)
        self.contour_plot.add_class("tw-contour")
        pareto = pareto_figure()
        self.pareto_plot = Plot(pareto)
        self.pareto_plot.add_class("tw-pareto")
        self.contour_plot.on_click(self._on_click)
        self.pareto_plot.on_click(self._on_pareto_click)

        self.x_picker.observe(lambda c: self._from_control("x", c["new"]), names="value")
        self.y_picker.observe(lambda c: self._from_control("y", c["new"]), names="value")
        for w in (self.x_start, self.x_stop, self.x_num):
            w.observe(
                lambda c: self._from_control("x_range", (self.x_start.value, self.x_stop.value, self.x_num.value)),
                names="value",
            )
        for w in (self.y_start, self.y_stop, self.y_num):
            w.observe(
                lambda c: self._from_control("y_range", (self.y_start.value, self.y_stop.value, self.y_num.value)),
                names="value",
            )
        self.metric_picker.observe(lambda c: self._from_control("metric", c["new"]), names="value")
        self.sigma_input.observe(lambda c: self._from_control("sigma", c["new"]), names="value")
        self.repeats_input.observe(lambda c: self._from_control("repeats", c["new"]), names="value")

    def _layout_children(self):
        ranges = widgets.VBox(
            [
                widgets.HBox([self.x_picker, self.x_start, self.x_stop, self.x_num], layout=_WRAP),
                widgets.HBox([self.y_picker, self.y_start, self.y_stop, self.y_num], layout=_WRAP),
                widgets.HBox([self.sigma_input, self.repeats_input], layout=_WRAP),
            ]
        )
        # the axes and ranges fold away so the map sits in the first screen of a projector
        self.ranges = widgets.Accordion(children=[ranges], titles=("Axes, ranges, smoothing",), selected_index=None)
        self.ranges.add_class("tw-ranges")
        top = widgets.HBox([self.metric_picker, self.progress, self.status_html, self.download], layout=_WRAP)
        return [top, self.ranges, self.contour_plot, self.selected_html, self.pareto_plot]

    @property
    def contour(self) -> PlotFigure:
        """The map (a ``go.Figure``, drawn by :attr:`contour_plot`; ``update``/``batch_update`` changes are drawn)."""
        return self.contour_plot.figure

    @property
    def pareto(self) -> PlotFigure:
        """The Pareto view (a ``go.Figure``, drawn by :attr:`pareto_plot`)."""
        return self.pareto_plot.figure

    def _controls_from_traits(self):
        with self._hold():
            params = self.system.parameters()
            self.x_picker.options = [(_name(p), p) for p in params]
            self.y_picker.options = [(_name(p), p) for p in params]
            self.x_picker.value, self.y_picker.value = self.x, self.y
            self.x_start.value, self.x_stop.value, self.x_num.value = self.x_range
            self.y_start.value, self.y_stop.value, self.y_num.value = self.y_range
            self.metric_picker.value = self.metric
            self.sigma_input.value = self.sigma
            self.repeats_input.value = self.repeats

    # ------------------------------------------------------------------ validation
    @traitlets.validate("x", "y")
    def _valid_param(self, proposal):
        key = proposal["value"]
        if self.system is not None and key not in self.system.parameters():
            raise traitlets.TraitError(
                f"{key!r} is not a numeric parameter of the system; e.g. {', '.join(self.system.parameters()[:4])}, ..."
            )
        return key

    @traitlets.validate("x_range", "y_range")
    def _valid_range(self, proposal):
        start, stop, num = proposal["value"]
        if not (math.isfinite(start) and math.isfinite(stop)):
            raise traitlets.TraitError(f"{proposal['trait'].name}: start and stop must be finite numbers")
        if num < 2:
            raise traitlets.TraitError(f"{proposal['trait'].name}: at least 2 points, got {num}")
        return (float(start), float(stop), int(num))

    @traitlets.validate("sigma")
    def _valid_sigma(self, proposal):
        if not proposal["value"] >= 0:
            raise traitlets.TraitError(f"sigma must be >= 0 grid cells, got {proposal['value']!r}")
        return proposal["value"]

    @traitlets.validate("repeats")
    def _valid_repeats(self, proposal):
        if proposal["value"] < 1:
            raise traitlets.TraitError(f"repeats must be >= 1, got {proposal['value']!r}")
        return proposal["value"]

    # ------------------------------------------------------------------ reactions
    def _from_control(self, name, value):
        if self._quiet:
            return
        try:
            setattr(self, name, value)
        except traitlets.TraitError as exc:
            self._show_error(str(exc))

    def _on_axis_param(self, change):
        if self._quiet:
            return
        with self._hold():
            rng = default_range(self.system, change["new"])
            name = "x_range" if change["name"] == "x" else "y_range"
            setattr(self, name, (*rng, getattr(self, name)[2]))
            self._controls_from_traits()
        self.selected = {}
        self.schedule()

    def _on_change(self, change):
        if self._quiet:
            return
        if change["name"] == "system":
            with self._hold():
                params = change["new"].parameters()
                for axis, fallback in zip(("x", "y"), fallback_axes(change["new"])):
                    if getattr(self, axis) not in params:
                        setattr(self, axis, fallback)
                        name = f"{axis}_range"
                        setattr(self, name, (*default_range(change["new"], fallback), getattr(self, name)[2]))
                self._controls_from_traits()
        else:
            self._controls_from_traits()
        self.schedule()

    def _on_view_change(self, change):
        if self._quiet:
            return
        self._controls_from_traits()
        if self.result is not None and self._result_key == self._key():
            self._draw()  # every offered metric is in the result: no new sweep for the metric or smoothing
        else:
            self.schedule()

    def _on_selected(self, change):
        if self._marking:
            return
        if change["name"] == "selected" and change["new"] and self.follow_selection:
            self._marking = True  # one draw for both markers
            try:
                self.current = dict(change["new"])
            finally:
                self._marking = False
        self._draw_selected()

    # ------------------------------------------------------------------ computing
    def _key(self):
        return (self.x, self.y, self.x_range, self.y_range, self.repeats, self.seed, id(self.system))

    _result_key = None
    _marking = False
    #: Why the Pareto front says little ("" when it does not), set by each draw.
    front_note = ""

    def schedule(self):
        """Recompute after ``debounce`` seconds (restarting the wait on every call) when an
        asyncio loop runs (a kernel); otherwise, or with ``debounce == 0``, right now."""
        loop = _running_loop()
        if self._pending is not None:
            self._pending.cancel()
            self._pending = None
        if self.debounce <= 0 or loop is None:
            self.recompute()
            return
        self.status = "waiting for more changes..."
        self.status_html.value = html.escape(self.status)
        self._pending = loop.call_later(self.debounce, self._run_pending)

    def _run_pending(self):
        self._pending = None
        self.recompute()

    def _progress(self, done, total):
        self.progress.max = max(int(total), 1)
        self.progress.value = min(int(done), self.progress.max)
        self.status = f"computing: {done}/{total} points"
        self.status_html.value = html.escape(self.status)

    def recompute(self):
        """Run the sweep now and redraw (what the debounced schedule eventually calls)."""
        from ..model.sweep import sweep

        if self.x == self.y:
            self._show_error(f"x and y are the same parameter ({self.x}); pick two different ones")
            return
        xs, ys = grid(*self.x_range), grid(*self.y_range)
        metrics = tuple(METRIC_CHOICES)  # one vectorised evaluation yields them all: switching is free
        self.status = f"computing {xs.size} x {ys.size} points..."
        self.status_html.value = html.escape(self.status)
        t0 = time.perf_counter()
        try:
            result = sweep(
                self.system,
                {self.x: xs, self.y: ys},
                metrics=list(metrics),
                seed=self.seed,
                repeats=self.repeats,
                progress=self._progress,
                chunk_size=progress_chunk(xs.size * ys.size),
            )
        except (ParameterError, ValueError) as exc:
            self._show_error(str(exc))
            return
        elapsed = time.perf_counter() - t0
        self._grids = (xs, ys)
        self.set_trait("result", result)
        self._result_key = self._key()
        # keep the selection on the new grid when it still lies inside it
        if self.selected:
            sel = self.selected
            if set(sel) == {self.x, self.y} and self._inside(sel[self.x], xs) and self._inside(sel[self.y], ys):
                self.select(sel[self.x], sel[self.y])
            else:
                self.selected = {}
        self._draw()
        took = f"{elapsed:.2f} s" if elapsed >= 1 else f"{elapsed * 1e3:.0f} ms"
        reps = f", mean of {self.repeats} seeds" if self.repeats > 1 else ""
        self.status = f"{xs.size} x {ys.size} points{reps} in {took}"
        self.status_html.value = html.escape(self.status)
        self._update_download()

    @staticmethod
    def _inside(v, values):
        lo, hi = float(np.min(values)), float(np.max(values))
        return lo <= float(v) <= hi

    def _show_error(self, text):
        self.status = text
        self.status_html.value = f'<span class="tw-error">{html.escape(text)}</span>'

    def z(self) -> np.ndarray:
        """The shown map: the metric (smoothed when sigma > 0), shaped (len(x grid), len(y grid))."""
        r = self.result
        if r is None:
            raise ParameterError("no sweep computed yet")
        return np.asarray(r.smoothed(self.metric, self.sigma) if self.sigma > 0 else r.metric(self.metric))

    # ------------------------------------------------------------------ drawing
    def _draw(self):
        xs, ys = self._grids
        label, factor, unit = METRIC_CHOICES[self.metric]
        z = self.z() * factor
        fig = self.contour
        title = f"{label}{f' ({unit})' if unit else ''}"
        if self.sigma > 0:
            title += f", smoothed (sigma {self.sigma:g})"
        with fig.batch_update():
            fig.data[0].update(
                x=xs.tolist(), y=ys.tolist(), z=z.T.tolist(), colorbar=dict(title=f"{label} {unit}".strip())
            )
            for trace, scen in zip(fig.data[1 : 1 + len(self.scenarios)], self.scenarios):
                px, py = self._scenario_point(scen, xs, ys)
                trace.x, trace.y = ([px], [py]) if px is not None else ([], [])
            fig.layout.title = title
            fig.layout.xaxis.title = _label(self.x)
            fig.layout.yaxis.title = _label(self.y)
            fig.layout.xaxis.autorange = "reversed" if self.x.endswith(".reduction_ratio") else True
            fig.layout.yaxis.autorange = "reversed" if self.y.endswith(".reduction_ratio") else True
        r = self.result
        power = np.asarray(r.metric("scaled_power")) / 1e6
        f1 = np.asarray(r.metric("f1"))
        # ties (grid points with equal power and F1) resolved: one point each on the front
        front = r.pareto(x="scaled_power", y="f1").drop_duplicates(subset=["scaled_power", "f1"])
        front = front.reset_index(drop=True)
        note = front_note(
            front[["scaled_power", "f1"]],
            float(np.nanmax(power) - np.nanmin(power)) * 1e6,
            float(np.nanmax(f1) - np.nanmin(f1)),
        )
        with self.pareto.batch_update():
            self.pareto.data[0].update(x=power.ravel().tolist(), y=f1.ravel().tolist())
            self.pareto.data[1].update(
                x=(np.asarray(front["scaled_power"]) / 1e6).tolist(), y=np.asarray(front["f1"]).tolist()
            )
            self.pareto.layout.title = "Pareto front: scaled power vs F1" + (f" ({note})" if note else "")
        self.front_note = note
        self._front = front
        self._draw_selected()

    def _scenario_point(self, scen, xs, ys):
        """Where a scenario sits on the map: its override values of both axes, if inside."""
        ov = scen.overrides
        px, py = ov.get(self.x), ov.get(self.y)
        if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (px, py)):
            return None, None
        if self._inside(px, xs) and self._inside(py, ys):
            return float(px), float(py)
        return None, None

    def current_point(self) -> tuple[float, float]:
        """The operating point shown (x, y): :attr:`current` where it names the axes, else
        the system's own values."""
        cur = self.current
        x = float(cur[self.x]) if self.x in cur else float(self.system.param(self.x))
        y = float(cur[self.y]) if self.y in cur else float(self.system.param(self.y))
        return x, y

    def _draw_current(self):
        from ..model import evaluate

        xs, ys = self._grids
        cx, cy = self.current_point()
        inside = xs.size and self._inside(cx, xs) and self._inside(cy, ys)
        point = ([cx], [cy]) if inside else ([], [])
        with self.contour.batch_update():
            self.contour.data[-2].update(x=point[0], y=point[1])
        if inside:
            ev = evaluate(self.system, {self.x: cx, self.y: cy}, seed=self.seed)
            ppoint = ([float(ev.scaled_power) / 1e6], [float(ev.f1)])
        else:
            ppoint = ([], [])
        with self.pareto.batch_update():
            self.pareto.data[2].update(x=ppoint[0], y=ppoint[1])

    def _draw_selected(self):
        # one batch per figure: each figure reaches the browser once, with both markers
        with self.contour.batch_update(), self.pareto.batch_update():
            self._draw_markers()

    def _draw_markers(self):
        sel = self.selected
        marker = self.contour.data[-1]
        if self.result is not None:
            self._draw_current()
        if not sel or self.result is None or set(sel) != {self.x, self.y}:
            with self.contour.batch_update():
                marker.x, marker.y = [], []
            with self.pareto.batch_update():
                self.pareto.data[3].update(x=[], y=[])
            self.selected_html.value = "click the map to pick a point"
            return
        xs, ys = self._grids
        ix, iy = snap(xs, sel[self.x]), snap(ys, sel[self.y])
        label, factor, unit = METRIC_CHOICES[self.metric]
        value = float(self.z()[ix, iy]) * factor
        r = self.result
        spread = ""
        if r.repeats > 1:
            sd = float(np.asarray(r.spread(self.metric))[ix, iy]) * factor
            spread = f' &plusmn; <span class="tw-selected-spread" data-value="{sd!r}">{sd:.2g}</span>'
        power = float(np.asarray(r.metric("scaled_power"))[ix, iy])
        f1 = float(np.asarray(r.metric("f1"))[ix, iy])
        with self.contour.batch_update():
            marker.x, marker.y = [float(xs[ix])], [float(ys[iy])]
        with self.pareto.batch_update():
            self.pareto.data[3].update(x=[power / 1e6], y=[f1])
        self.selected_html.value = (
            f'selected: <span class="tw-selected-x" data-value="{float(xs[ix])!r}">{html.escape(_name(self.x))} = '
            f"{html.escape(format_value(self.x, xs[ix]))}</span>, "
            f'<span class="tw-selected-y" data-value="{float(ys[iy])!r}">{html.escape(_name(self.y))} = '
            f"{html.escape(format_value(self.y, ys[iy]))}</span>; "
            f'{label} <span class="tw-selected-value" data-value="{value!r}">{value:.4g}</span>{spread} {unit}; '
            f"scaled power {html.escape(format_quantity(power, 'W'))}, F1 {f1:.3f}"
        )

    def _update_download(self):
        csv = self.result.to_dataframe().to_csv(index=False)
        payload = base64.b64encode(csv.encode()).decode("ascii")
        name = f"sweep_{self.x}_{self.y}.csv".replace(" ", "_")
        self.download.value = (
            f'<a class="tw-download-link" download="{html.escape(name)}" '
            f'href="data:text/csv;base64,{payload}">Download CSV</a>'
        )

    # ------------------------------------------------------------------ clicking
    def select(self, x_value: float, y_value: float) -> dict:
        """Select the grid point nearest to (x_value, y_value), as a click on the map does.

        Returns the new :attr:`selected` (``{x: value, y: value}``, snapped to the grid).
        """
        xs, ys = self._grids
        if xs.size == 0 or ys.size == 0:
            raise ParameterError("no sweep computed yet: nothing to select")
        ix, iy = snap(xs, x_value), snap(ys, y_value)
        self.selected = {self.x: float(xs[ix]), self.y: float(ys[iy])}
        return self.selected

    def _on_click(self, event: PlotEvent):
        """A click on the map (or on a scenario marker): select the nearest grid point."""
        points = [p for p in event.on_trace(*range(1 + len(self.scenarios))) if p.x is not None and p.y is not None]
        if not points or self.result is None:
            return
        self.select(float(points[0].x), float(points[0].y))

    def _on_pareto_click(self, event: PlotEvent):
        """A click on the Pareto view (front or grid points): select that grid point on the map."""
        points = [p for p in event.on_trace(0, 1) if isinstance(p.index, int)]
        if not points or self.result is None:
            return
        point = points[0]
        if point.trace == 1:
            row = self._front.iloc[point.index]
            self.select(row[self.x], row[self.y])
        else:
            xs, ys = self._grids
            ix, iy = np.unravel_index(point.index, (xs.size, ys.size))
            self.select(xs[ix], ys[iy])
