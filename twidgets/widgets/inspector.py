"""StageInspector: one stage's score histograms, threshold, confusion matrix and power.

The widget is thin: every number comes from :func:`twidgets.evaluate` with scalar
overrides (``"Stage.param" -> value``); the histograms are binned once per classifier
(:mod:`.histograms`) and a slider step only moves bins and the threshold line inside one
``figure.batch_update()``, which sends the figure to the browser once.

>>> from twidgets.widgets import StageInspector
>>> inspector = StageInspector(twidgets.load_system("cms-hllhc-pu200"), stage="Intermediate")
>>> inspector.overrides = {"Intermediate.reduction_ratio": 100.0}   # e.g. from a click elsewhere
>>> inspector.evaluation.f1
"""

from __future__ import annotations

import html
import math

import ipywidgets as widgets
import numpy as np
import traitlets

from ..model import Evaluation, ParameterError, System, evaluate
from ..model.display import label, quantity
from ..model.params import NUMERIC_PARAMS, check_values, split_param
from ..model.registry import study_for
from .controls import QuietObservers, as_system
from .histograms import DEFAULT_BINS, bin_scores
from .inspector_choices import clean_overrides, log_bounds, stage_choices
from .inspector_figures import histogram_figure, histogram_title, threshold_line
from .panels import confusion_html, headline_html, stage_html
from .plot import Plot, PlotFigure

__all__ = ["StageInspector", "stage_choices", "clean_overrides"]

#: Quantities of the shown stage that the number panels read.
_STAGE_QUANTITIES = (
    "input_rate",
    "output_rate",
    "reduction_ratio",
    "message_bytes",
    "ops",
    "op_power",
    "link_power",
    "cumulative_energy_per_event",
    "contingency",
)


class StageInspector(QuietObservers, widgets.VBox):
    """Inspect one trigger stage of a :class:`~twidgets.System`.

    Parameters
    ----------
    system : System or str, optional
        Default: the default bundled system.
    stage : str, optional
        Stage to show first. Default: the stage the system's study registered, else the
        first selecting stage.
    overrides : dict, optional
        ``"Stage.param" -> value`` applied on top of ``system`` (numbers or structural scalars).
    seed : int
        Seed of the classifiers' Monte-Carlo samples.

    Traits
    ------
    system : System
    stage : str
    overrides : dict   (settable from outside; the sliders follow)
    evaluation : Evaluation  (read-only: the latest scalar evaluation)
    """

    system = traitlets.Instance(System)
    stage = traitlets.Unicode("", help="name of the stage shown")
    overrides = traitlets.Dict()
    seed = traitlets.Int(0)
    evaluation = traitlets.Instance(Evaluation, allow_none=True, read_only=True)

    def __init__(
        self,
        system: System | None = None,
        stage: str | None = None,
        *,
        overrides=None,
        seed: int = 0,
        bins: int = DEFAULT_BINS,
        **kwargs,
    ):
        system = as_system(system, "StageInspector")
        self._bins = int(bins)
        self._binned = {}
        self._build_controls()
        super().__init__(children=self._layout_children(), **kwargs)
        self.add_class("twidgets-inspector")
        with self._hold():
            self.system = system
            self.seed = seed
            names = system.stage_names
            if stage is None:
                study = study_for(system.name)
                stage = study.stage if study is not None and study.stage in names else stage_choices(system)[0][1]
            elif stage not in names:
                raise ParameterError(f"no stage {stage!r}; stages: {', '.join(names)}")
            self.stage = stage
            self.overrides = dict(overrides or {})
        self._reset_controls()
        self._refresh()
        self.observe(self._on_system, names="system")
        self.observe(self._on_stage, names="stage")
        self.observe(self._on_overrides, names=["overrides", "seed"])

    # ------------------------------------------------------------------ building
    def _build_controls(self):
        self.stage_picker = widgets.Dropdown(description="Stage")
        self.stage_picker.add_class("tw-stage-picker")
        # step=None: the browser must not snap the value to a grid (53.3 would come back as 53.70)
        self.rr_slider = widgets.FloatLogSlider(
            value=10.0,
            base=10,
            min=0.0,
            max=3.0,
            step=None,
            description="Reduction ratio",
            continuous_update=True,
            readout_format=".4g",
            style={"description_width": "initial"},
        )
        self.rr_slider.add_class("tw-rr-slider")
        self.boost_slider = widgets.FloatSlider(
            value=0.0,
            min=-1.0,
            max=2.0,
            step=0.01,
            description="Skill boost",
            readout_format=".2f",
            style={"description_width": "initial"},
        )
        self.boost_slider.add_class("tw-boost-slider")
        self.mean_slider = widgets.FloatSlider(
            value=0.0,
            min=-2.0,
            max=10.0,
            step=0.05,
            description="Skill mean",
            readout_format=".2f",
            style={"description_width": "initial"},
        )
        self.mean_slider.add_class("tw-mean-slider")
        self.scale_slider = widgets.FloatSlider(
            value=1.0,
            min=0.05,
            max=5.0,
            step=0.05,
            description="Skill scale",
            readout_format=".2f",
            style={"description_width": "initial"},
        )
        self.scale_slider.add_class("tw-scale-slider")
        figure = histogram_figure()
        self.histogram = Plot(figure)
        self.histogram.add_class("tw-histogram")
        self.headline = widgets.HTML()
        self.headline.add_class("tw-headline")
        self.confusion = widgets.HTML()
        self.confusion.add_class("tw-confusion")
        self.stage_figures = widgets.HTML()
        self.stage_figures.add_class("tw-stage-figures")
        self.message = widgets.HTML()
        self.message.add_class("tw-inspector-message")
        self.stage_picker.observe(self._on_picker, names="value")
        for slider, param in (
            (self.rr_slider, "reduction_ratio"),
            (self.boost_slider, "skill_boost"),
            (self.mean_slider, "skill_mean"),
            (self.scale_slider, "skill_scale"),
        ):
            slider.observe(lambda change, p=param: self._on_slider(p, change["new"]), names="value")

    def _layout_children(self):
        sliders = widgets.VBox(
            [self.stage_picker, self.rr_slider, self.boost_slider, self.mean_slider, self.scale_slider]
        )
        numbers = widgets.HBox(
            [self.headline, self.confusion, self.stage_figures], layout=widgets.Layout(flex_flow="row wrap")
        )
        return [sliders, self.histogram, numbers, self.message]

    @property
    def figure(self) -> PlotFigure:
        """The histogram (a ``go.Figure``; changes made with ``update``/``batch_update`` are drawn)."""
        return self.histogram.figure

    # ------------------------------------------------------------------ validation
    @traitlets.validate("stage")
    def _valid_stage(self, proposal):
        name = proposal["value"]
        if self.system is not None and name not in self.system.stage_names:
            raise traitlets.TraitError(f"no stage {name!r}; stages: {', '.join(self.system.stage_names)}")
        return name

    @traitlets.validate("overrides")
    def _valid_overrides(self, proposal):
        ov = dict(proposal["value"])
        for key, value in ov.items():
            try:
                node, param = split_param(key)
                if self.system is not None:
                    self.system.param(key)
                if param in NUMERIC_PARAMS:
                    check_values(param, value, f"override {key!r}")
                    if np.ndim(value):
                        raise ParameterError(f"override {key!r}: the inspector shows one point, give a scalar")
            except ParameterError as exc:
                raise traitlets.TraitError(str(exc)) from None
        return ov

    # ------------------------------------------------------------------ reactions
    def _on_system(self, change):
        with self._hold():
            self.overrides = clean_overrides(change["old"], change["new"], self.overrides)
            if self.stage not in change["new"].stage_names:
                self.stage = stage_choices(change["new"])[0][1]
        self._reset_controls()
        self._refresh()

    def _on_stage(self, change):
        if self._quiet:
            return
        self._reset_controls()
        self._refresh()

    def _on_overrides(self, change):
        if self._quiet:
            return
        self._refresh()

    def _on_picker(self, change):
        if self._quiet or change["new"] is None:
            return
        self.stage = change["new"]

    def _on_slider(self, param: str, value):
        if self._quiet:
            return
        try:
            now = float(self.value(param))
        except (ParameterError, TypeError, ValueError):
            now = math.nan
        if math.isclose(float(value), now, rel_tol=1e-9, abs_tol=1e-12):
            return  # a browser slider echoing the value it was given (53.3 -> 53.29999...): no what-if
        ov = dict(self.overrides)
        ov[f"{self.stage}.{param}"] = float(value)
        self.overrides = ov

    # ------------------------------------------------------------------ helpers
    def value(self, param: str, system: System | None = None):
        """Effective value of ``param`` of the current stage: the override, else the system's."""
        key = f"{self.stage}.{param}"
        if key in self.overrides:
            return self.overrides[key]
        return (system or self.system).param(key)

    def _reset_controls(self):
        """Picker options, slider ranges and visibility for the current system and stage."""
        with self._hold():
            self.stage_picker.options = stage_choices(self.system)
            self.stage_picker.value = self.stage
            node = self.system.node(self.stage)
            for slider, param in (
                (self.rr_slider, "reduction_ratio"),
                (self.boost_slider, "skill_boost"),
                (self.mean_slider, "skill_mean"),
                (self.scale_slider, "skill_scale"),
            ):
                key = f"{self.stage}.{param}"
                slider.description = label(key)
                slider.tooltip = f"{key}: {quantity(key).help}"
            rr = float(self.value("reduction_ratio"))
            lo, hi = log_bounds(rr)
            self.rr_slider.min, self.rr_slider.max = lo, hi
            boost = float(self.value("skill_boost"))
            self.boost_slider.min = min(-1.0, math.floor(boost) - 1.0)
            self.boost_slider.max = max(2.0, math.ceil(boost) + 1.0)
            gaussian = node.classifier == "Gaussian"
            for s in (self.mean_slider, self.scale_slider):
                s.layout.display = None if gaussian else "none"
            if gaussian:
                mean, scale = float(self.value("skill_mean")), float(self.value("skill_scale"))
                self.mean_slider.min = min(-2.0, math.floor(mean) - 1.0)
                self.mean_slider.max = max(10.0, math.ceil(mean) + 1.0)
                self.scale_slider.max = max(5.0, math.ceil(scale) + 1.0)
            selecting = node.classifier != "Dummy"
            self.boost_slider.disabled = not selecting
            self.rr_slider.disabled = not selecting

    def _sync_sliders(self, system: System):
        with self._hold():
            self.rr_slider.value = float(self.value("reduction_ratio", system))
            self.boost_slider.value = float(self.value("skill_boost", system))
            if system.node(self.stage).classifier == "Gaussian":
                self.mean_slider.value = float(self.value("skill_mean", system))
                self.scale_slider.value = float(self.value("skill_scale", system))

    def _refresh(self):
        """Evaluate at the current overrides and redraw figure and numbers."""
        try:
            ev = evaluate(self.system, self.overrides, seed=self.seed)
        except (ParameterError, ValueError) as exc:
            self.message.value = f'<span class="tw-error">{html.escape(str(exc))}</span>'
            return
        self.message.value = ""
        self.set_trait("evaluation", ev)
        self._sync_sliders(ev.system)
        self._draw(ev)

    def _binned_for(self, stage: str, scores, node):
        """Pre-binned (null, pos) histograms of a stage's classifier, binned once per samples.

        Returns (null, pos, reference) where ``reference`` is the boost (sampled classifiers)
        or (mean, scale) (Gaussian) that the relevant bins were computed at.
        """
        null = scores.null_scores
        gaussian = node.classifier == "Gaussian"
        ref = (node.params["skill_mean"], node.params["skill_scale"]) if gaussian else None
        hit = self._binned.get(stage)
        if hit is not None and hit[0] is null and hit[1] == ref:
            return hit[2], hit[3], hit[4]
        boost = float(scores.skill_boost)
        pos = scores.pos_scores
        if gaussian:
            mean, scale = ref
            z = (pos - boost - mean) / scale  # standardised relevant scores
            lo = min(float(null.min()), float(z.min()))
            hi = max(float(null.max()), float(z.max()))
            bn, bp = bin_scores(null, self._bins, lo, hi), bin_scores(z, self._bins, lo, hi)
            reference = None
        else:
            lo = min(float(null.min()), float(pos.min()))
            hi = max(float(null.max()), float(pos.max()))
            bn, bp = bin_scores(null, self._bins, lo, hi), bin_scores(pos, self._bins, lo, hi)
            reference = boost
        self._binned[stage] = (null, ref, bn, bp, reference)
        return bn, bp, reference

    def _draw(self, ev: Evaluation):
        stage = self.stage
        node = ev.system.node(stage)
        row = {q: ev.value(stage, q) for q in _STAGE_QUANTITIES}  # cheaper than building ev.stages
        fig = self.figure
        if node.classifier == "Dummy":
            threshold = None
            with fig.batch_update():
                for trace in fig.data:
                    trace.x, trace.y = [], []
                fig.layout.shapes = []
                fig.layout.title.text = histogram_title(stage, node.classifier, False, None)
        else:
            scores = ev.classifier(stage)
            threshold = float(scores.threshold)
            bn, bp, reference = self._binned_for(stage, scores, node)
            boost = float(scores.skill_boost)
            if node.classifier == "Gaussian":
                mean, scale = float(self.value("skill_mean", ev.system)), float(self.value("skill_scale", ev.system))
                pos_x, pos_w = bp.placed(mean + boost, scale)
            else:
                pos_x, pos_w = bp.placed(boost - reference)
            null_x, null_w = bn.placed()
            with fig.batch_update():
                fig.data[0].update(x=null_x.tolist(), y=bn.counts.tolist(), width=null_w)
                fig.data[1].update(x=pos_x.tolist(), y=bp.counts.tolist(), width=pos_w)
                fig.layout.shapes = [threshold_line(threshold)]
                fig.layout.title.text = histogram_title(stage, node.classifier, scores.monte_carlo, threshold)
        self.headline.value = headline_html(ev, threshold, stage)
        self.confusion.value = confusion_html(row["contingency"], row["input_rate"])
        self.stage_figures.value = stage_html(row)

    @property
    def threshold(self) -> float:
        """The solved threshold of the current stage (NaN for a pass-through stage)."""
        ev = self.evaluation
        if ev is None or ev.system.node(self.stage).classifier == "Dummy":
            return float("nan")
        return float(ev.classifier(self.stage).threshold)
