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

import html

import ipywidgets as widgets
import numpy as np
import traitlets

from ..model import ParameterError, System
from ..model.registry import study_for
from . import explorer_points as on_grid
from .controls import QuietObservers, as_system
from .debounce import Debouncer
from .explorer_controls import CONTROL_NAMES, ExplorerControls
from .explorer_draw import draw_map, draw_pareto
from .explorer_figures import (
    CURRENT_MARKER,
    CURRENT_NAME,
    DEFAULT_NUM,
    METRIC_CHOICES,
    SELECTED_MARKER,
    SELECTED_NAME,
    check_input,
    contour_figure,
    default_range,
    fallback_axes,
    front_note,
    grid,
    pareto_figure,
    progress_chunk,
    snap,
)
from .explorer_text import NOTHING_SELECTED, csv_filename, selected_html, sweep_status
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
        self._debounced = Debouncer(lambda: self.recompute())
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
        self.controls = ExplorerControls(self._from_control)
        for name in CONTROL_NAMES:  # each control stays reachable as explorer.<name>
            setattr(self, name, getattr(self.controls, name))
        self.contour_plot = Plot(contour_figure(self.scenarios))
        self.contour_plot.add_class("tw-contour")
        self.pareto_plot = Plot(pareto_figure())
        self.pareto_plot.add_class("tw-pareto")
        self.contour_plot.on_click(self._on_click)
        self.pareto_plot.on_click(self._on_pareto_click)

    def _layout_children(self):
        return [self.controls.top_row(), self.ranges, self.contour_plot, self.selected_html, self.pareto_plot]

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
            self.controls.show(
                self.system.parameters(),
                self.x,
                self.y,
                self.x_range,
                self.y_range,
                self.metric,
                self.sigma,
                self.repeats,
            )

    # ------------------------------------------------------------------ validation
    @traitlets.validate("x", "y", "x_range", "y_range", "sigma", "repeats")
    def _valid_input(self, proposal):
        try:
            return check_input(proposal["trait"].name, proposal["value"], self.system)
        except ValueError as exc:
            raise traitlets.TraitError(str(exc)) from None

    # ------------------------------------------------------------------ reactions
    def _from_control(self, name, value):
        if self._quiet:
            return
        try:
            setattr(self, name, value)
        except traitlets.TraitError as exc:
            self._say(str(exc), error=True)

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
        if self._debounced(self.debounce):
            self._say("waiting for more changes...")

    def _progress(self, done, total):
        self.progress.max = max(int(total), 1)
        self.progress.value = min(int(done), self.progress.max)
        self._say(f"computing: {done}/{total} points")

    def recompute(self):
        """Run the sweep now and redraw (what the debounced schedule eventually calls)."""
        if self.x == self.y:
            self._say(f"x and y are the same parameter ({self.x}); pick two different ones", error=True)
            return
        xs, ys = grid(*self.x_range), grid(*self.y_range)
        self._say(f"computing {xs.size} x {ys.size} points...")
        try:
            result, elapsed = on_grid.sweep_grid(
                self.system, self.x, self.y, xs, ys, seed=self.seed, repeats=self.repeats, progress=self._progress
            )
        except (ParameterError, ValueError) as exc:
            self._say(str(exc), error=True)
            return
        self._grids = (xs, ys)
        self.set_trait("result", result)
        self._result_key = self._key()
        # keep the selection on the new grid when it still lies inside it
        if self.selected:
            sel = self.selected
            if set(sel) == {self.x, self.y} and on_grid.inside(sel[self.x], xs) and on_grid.inside(sel[self.y], ys):
                self.select(sel[self.x], sel[self.y])
            else:
                self.selected = {}
        self._draw()
        self._say(sweep_status(xs.size, ys.size, self.repeats, elapsed))
        self._update_download()

    def _say(self, text: str, error: bool = False):
        """Show ``text`` on the status line (as an error when ``error``)."""
        self.status = text
        shown = html.escape(text)
        self.status_html.value = f'<span class="tw-error">{shown}</span>' if error else shown

    def z(self) -> np.ndarray:
        """The shown map: the metric (smoothed when sigma > 0), shaped (len(x grid), len(y grid))."""
        if self.result is None:
            raise ParameterError("no sweep computed yet")
        return on_grid.metric_map(self.result, self.metric, self.sigma)

    # ------------------------------------------------------------------ drawing
    def _draw(self):
        xs, ys = self._grids
        z = self.z() * METRIC_CHOICES[self.metric][1]
        draw_map(self.contour, xs, ys, z, self.x, self.y, self.metric, self.sigma, self.scenarios)
        power, f1, front, note = on_grid.pareto_points(self.result)
        draw_pareto(self.pareto, power, f1, front, note)
        self.front_note = note
        self._front = front
        self._draw_selected()

    def current_point(self) -> tuple[float, float]:
        """The operating point shown (x, y): :attr:`current` where it names the axes, else
        the system's own values."""
        cur = self.current
        x = float(cur[self.x]) if self.x in cur else float(self.system.param(self.x))
        y = float(cur[self.y]) if self.y in cur else float(self.system.param(self.y))
        return x, y

    def _draw_selected(self):
        """Both markers (current operating point, selected grid point) on both figures and
        the read-out; one batch per figure: each reaches the browser once."""
        with self.contour.batch_update(), self.pareto.batch_update():
            sel, r = self.selected, self.result
            if r is not None:
                xs, ys = self._grids
                cx, cy = self.current_point()
                shown = bool(xs.size) and on_grid.inside(cx, xs) and on_grid.inside(cy, ys)
                self.contour.data[-2].update(on_grid.marker_xy((cx, cy) if shown else None))
                on_pareto = on_grid.operating_point(self.system, {self.x: cx, self.y: cy}, self.seed) if shown else None
                self.pareto.data[2].update(on_grid.marker_xy(on_pareto))
            if not sel or r is None or set(sel) != {self.x, self.y}:
                self.contour.data[-1].update(on_grid.marker_xy(None))
                self.pareto.data[3].update(on_grid.marker_xy(None))
                self.selected_html.value = NOTHING_SELECTED
                return
            p = on_grid.grid_point(r, self.metric, self.sigma, *self._grids, sel[self.x], sel[self.y])
            self.contour.data[-1].update(on_grid.marker_xy((p.x, p.y)))
            self.pareto.data[3].update(on_grid.marker_xy((p.power / 1e6, p.f1)))
            self.selected_html.value = selected_html(self.x, self.y, self.metric, p)

    def _update_download(self):
        # the file is made when the user clicks (SweepResult.to_csv_text: formula-looking text
        # neutralised); only its name travels with the page
        result = self.result
        self.download.filename = csv_filename(self.x, self.y)
        self.download.content = result.to_csv_text
        self.download.disabled = False

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
        self.select(*on_grid.pareto_pick(points[0].trace, points[0].index, self._front, *self._grids, self.x, self.y))
