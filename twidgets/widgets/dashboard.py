"""Dashboard: a headline, then tabs (Explore, Design, Flow, Compare) over one state.

The state is a :class:`~.state.DashboardState`: one System plus a visible list of what-if
overrides (from the inspector's sliders or a click on the map) with "Apply to system" and
"Reset". Every view renders from it (ARCHITECTURE.md, data flow)::

    picker / upload / editor edit / Compare row --> state.load(...)     (overrides cleared)
    inspector sliders, map click               --> state.overrides
    state --> headline, what-if bar, editor grid (the system shown = what Download saves),
              inspector, explorer (its current point), flow, the link "Copy link" copies

>>> from twidgets.widgets import Dashboard
>>> Dashboard()                                        # cms-hllhc-pu200
>>> Dashboard.from_query("system=cms-run3-pu60&Intermediate.reduction_ratio=100&tab=explore")
"""

from __future__ import annotations

import html
import math
import pathlib

import ipywidgets as widgets
import traitlets

from ..model import ParameterError, System, list_systems
from ..model.registry import study_for
from .compare import CompareView
from .controls import QuietObservers, as_system
from .explorer import DEFAULT_NUM, SweepExplorer
from .export import export_html
from .flow import FlowView
from .headline import headline_html, headline_numbers, whatif_html
from .inspector import StageInspector
from .lazy_tabs import LazyTabs
from .picker import EDITED, load_choice, picker_options, scenarios_or_registered
from .share import ShareBar
from .state import TABS, DashboardState, View

__all__ = ["Dashboard", "picker_options", "load_choice", "EDITED"]

#: The dashboard's own layout rules (sticky headline, what-if chips), in a <style> block.
_LAYOUT_CSS = (
    f"<style>\n{(pathlib.Path(__file__).parent / 'static' / 'dashboard.css').read_text(encoding='utf-8')}</style>"
)


def _same_point(overrides: dict, selected: dict) -> bool:
    """Whether the what-if values still name the selected grid point (a browser slider may
    echo a value back with a rounding error of a few ulps)."""
    for key, value in selected.items():
        v = overrides.get(key)
        if v is None or not math.isclose(float(v), float(value), rel_tol=1e-9, abs_tol=1e-12):
            return False
    return True


def _default_variants(system: System) -> list:
    """The Compare view's rows its study registered for ``system`` (none for other systems)."""
    study = study_for(system.name)
    return list(study.variants()) if study is not None and study.variants is not None else []


class Dashboard(QuietObservers, widgets.VBox):
    """Headline, what-if list and tabs over one :class:`DashboardState`.

    Parameters
    ----------
    system : System or str, optional
        Default: the default bundled system.
    stage : str, optional
        Stage the inspector shows first (default: the one the system's study registered,
        else the first selecting stage).
    seed, debounce, num :
        Monte-Carlo seed; explorer recomputation delay (s, 0 = synchronous); grid points per axis.
    state : DashboardState, optional
        Start from this state (system, overrides, view) instead of ``system``.
    variants : list of Variant, optional
        Rows of the Compare tab (default: the variants the system's study registered).
    scenarios : sequence, optional
        Named points offered by the picker and marked on the explorer's map (default:
        the registered studies' scenarios; each has ``name``, ``overrides``, ``marker``,
        ``load()``).
    messages : sequence of str
        Shown under the headline (e.g. what a link asked for that was ignored).

    Attributes
    ----------
    state : DashboardState -- the one source of truth.
    editor, inspector, explorer, flow, compare : the composed widgets. The Design (``editor``),
        Flow and Compare tabs are built when first shown (or first asked for), from the state
        as it is then: a page's first screen creates and draws only the Explore tab.
    picker, headline, whatif, share, tabs, message : the dashboard's own controls.
    """

    system = traitlets.Instance(System, help="the current system (without what-if overrides)")
    overrides = traitlets.Dict(help="what-if values 'Stage.param' -> number shown on top of the system")

    def __init__(
        self,
        system: System | str | None = None,
        *,
        stage: str | None = None,
        seed: int = 0,
        debounce: float = 0.3,
        num: int = DEFAULT_NUM,
        state: DashboardState | None = None,
        variants=None,
        scenarios=None,
        messages=(),
        **kwargs,
    ):
        if state is None:
            system = as_system(system, "Dashboard")
            source = f"system:{system.name}" if system.name in list_systems() else EDITED
            state = DashboardState(system, source, seed=seed)
        self.state = state
        view = state.view
        system = state.system
        self.inspector = StageInspector(system, stage=view.stage or stage, seed=state.seed, overrides=state.overrides)
        self.scenarios = scenarios_or_registered(scenarios)
        study = study_for(system.name)
        axes = study.axes if study is not None and study.axes else (None, None)
        x = view.x or axes[0] or ""
        y = view.y or axes[1] or ""
        explorer_kw = dict(seed=state.seed, debounce=debounce, num=num, x_range=view.x_range, y_range=view.y_range)
        if x not in system.parameters() or y not in system.parameters():
            from .explorer import fallback_axes

            x, y = fallback_axes(system)
        self.explorer = SweepExplorer(
            self._explorer_system(x, y), x, y, view.metric, scenarios=self.scenarios, **explorer_kw
        )
        self.explorer.follow_selection = True  # a click sets what-if values: the operating point moves there
        self._variants = _default_variants(system) if variants is None else list(variants)
        # the Compare tab measures changes from the first row on the system first loaded
        self._base_row = next((i for i, v in enumerate(self._variants) if v.system == system.name), 0)
        self._build_header()
        self.message = widgets.HTML(self._messages_html(messages))
        self.message.add_class("tw-dashboard-message")
        explore = widgets.HBox(
            [self.explorer, self.inspector], layout=widgets.Layout(flex_flow="row wrap", width="100%")
        )
        self.explorer.layout = widgets.Layout(flex="1 1 560px", min_width="0")
        self.inspector.layout = widgets.Layout(flex="1 1 480px", min_width="0")
        builders = {"design": self._build_editor, "flow": self._build_flow, "compare": self._build_compare}
        self._lazy = LazyTabs(TABS, explore, builders)  # the first screen builds only Explore
        self.tabs = self._lazy.tab
        self.tabs.add_class("tw-tabs")
        self.tabs.selected_index = list(TABS).index(view.tab)
        top = widgets.VBox([self.top_bar, self.headline, self.whatif_box])
        top.add_class("tw-dash-top")
        super().__init__(children=[widgets.HTML(_LAYOUT_CSS), top, self.message, self.tabs], **kwargs)
        self.add_class("twidgets-dashboard")
        with self._hold():
            self.system = system
            self.overrides = dict(state.overrides)
        self._render()

        self.picker.observe(self._on_picker, names="value")
        self._upload: tuple[System, str] | None = None
        self.observe(self._on_system, names="system")
        self.observe(self._on_overrides, names="overrides")
        self.inspector.observe(self._on_inspector, names="overrides")
        self.inspector.observe(self._on_view, names="stage")
        self.explorer.observe(self._on_selected, names="selected")
        self.explorer.observe(self._on_view, names=["x", "y", "x_range", "y_range", "metric"])
        self.tabs.observe(self._on_view, names="selected_index")

    @classmethod
    def from_query(cls, query: str, system: System | str | None = None, **kwargs) -> Dashboard:
        """The dashboard a link asks for (``system``, ``scenario``, ``Stage.param=value``,
        ``stage``, ``x``, ``y``, ``x_range``, ``y_range``, ``metric``, ``tab``, ``seed``);
        what it ignored is named in the dashboard's message line. Nothing is evaluated
        and no file is opened. ``system`` is shown when the link names none."""
        state, messages = DashboardState.from_query(query, default=as_system(system, "Dashboard"))
        return cls(state=state, messages=messages, **kwargs)

    # ------------------------------------------------------------------ the lazy tabs
    @property
    def editor(self):
        """The Design tab's :class:`~.editor.SystemEditor` (built on first use)."""
        return self._lazy.view("design")

    @property
    def flow(self) -> FlowView:
        """The Flow tab's :class:`~.flow.FlowView` (built on first use)."""
        return self._lazy.view("flow")

    @property
    def compare(self) -> CompareView:
        """The Compare tab's :class:`~.compare.CompareView` (built on first use)."""
        return self._lazy.view("compare")

    def _build_editor(self):
        from .editor import SystemEditor  # the editor lives in its own module (anywidget assets)

        editor = SystemEditor(self.state.shown_system())
        editor.on_load(self._on_upload)
        editor.observe(self._on_editor, names="system")
        return editor

    def _build_flow(self) -> FlowView:
        return FlowView(self.state.evaluation())

    def _build_compare(self) -> CompareView:
        kw = dict(on_pick=self._on_compare_pick, seed=self.state.seed, baseline=self._base_row)
        compare = CompareView(self._variants, **kw)
        compare.current = self._compare_current(compare)
        return compare

    def _compare_current(self, compare: CompareView) -> int:
        source = self.state.source
        return next((i for i, v in enumerate(compare.variants) if source == f"variant:{v.name}"), -1)

    # ------------------------------------------------------------------ building
    def _build_header(self):
        options = picker_options(self.scenarios)
        value = self.state.source if self.state.source in [v for _, v in options] else EDITED
        if value == EDITED:
            options = [("(edited system)", EDITED)] + options
        self.picker = widgets.Dropdown(
            options=options, value=value, description="Load", layout=widgets.Layout(width="380px")
        )
        self.picker.add_class("tw-system-picker")
        self.baseline_button = widgets.Button(
            description="Set as baseline", tooltip="compare the headline against what is shown now"
        )
        self.baseline_button.add_class("tw-set-baseline")
        self.baseline_button.on_click(lambda _: self.set_baseline())
        self.share = ShareBar(export=self.export_html)
        self.share.layout = widgets.Layout(flex="1 1 360px")
        self.top_bar = widgets.HBox(
            [self.picker, self.baseline_button, self.share],
            layout=widgets.Layout(flex_flow="row wrap", align_items="center", width="100%"),
        )
        self.headline = widgets.HTML()
        self.headline.add_class("tw-headline-box")
        self.whatif = widgets.HTML()
        self.whatif.add_class("tw-whatif")
        self.apply_button = widgets.Button(description="Apply to system", icon="check", button_style="warning")
        self.apply_button.add_class("tw-apply")
        self.reset_button = widgets.Button(description="Reset", icon="undo")
        self.reset_button.add_class("tw-reset")
        self.apply_button.on_click(lambda _: self.apply())
        self.reset_button.on_click(lambda _: self.reset())
        self.whatif_box = widgets.HBox(
            [self.whatif, self.apply_button, self.reset_button],
            layout=widgets.Layout(flex_flow="row wrap", align_items="center"),
        )

    @staticmethod
    def _messages_html(messages) -> str:
        return "".join(f'<div class="tw-warning">{html.escape(m)}</div>' for m in messages)

    def _explorer_system(self, x: str | None = None, y: str | None = None) -> System:
        """The system the map sweeps: the state's, with the what-if values off the map's axes."""
        axes = {x or self.explorer.x, y or self.explorer.y}
        ov = {k: v for k, v in self.state.overrides.items() if k not in axes}
        key = (self.state.system, tuple(sorted(ov.items())))
        cached = getattr(self, "_explorer_cache", None)
        if cached is not None and cached[0][0] is key[0] and cached[0][1] == key[1]:
            return cached[1]
        system = self.state.system.with_params(ov) if ov else self.state.system
        self._explorer_cache = (key, system)
        return system

    # ------------------------------------------------------------------ actions
    def load(self, system: System, source: str = EDITED) -> None:
        """Show a new system (overrides cleared, selection cleared)."""
        self.state.load(system, source)
        self._render(system_changed=True)

    def apply(self) -> None:
        """Fold the what-if values into the system ("Apply to system")."""
        if self.state.overrides:
            self.state.apply()
            self._render(system_changed=True)

    def reset(self) -> None:
        """Drop every what-if value ("Reset")."""
        self.state.reset()
        self._render()

    def set_baseline(self) -> None:
        """Measure the headline's changes against what is shown now."""
        self.state.set_baseline()
        self._render_headline()

    def export_html(self) -> str:
        """A self-contained HTML page of the headline and the figures (opens offline)."""
        self._sync_flow(force=True)
        figures = [
            (self.explorer.contour.layout.title.text or "Map", self.explorer.contour),
            ("Pareto view", self.explorer.pareto),
            (f"Stage {self.inspector.stage}", self.inspector.figure),
            ("Flow", self.flow.figure),
            ("Compare", self.compare.box.figure),
        ]
        link = f"?{self.state.to_query()}"
        return export_html(f"twidgets: {self.state.title}", self.headline.value, figures, note=f"state: {link}")

    # ------------------------------------------------------------------ reactions
    def _on_picker(self, change):
        if self._quiet or change["new"] == EDITED:
            return
        try:
            system = load_choice(change["new"], self.scenarios)
        except (ParameterError, ValueError, KeyError) as exc:
            self.message.value = f'<span class="tw-error">{html.escape(str(exc))}</span>'
            return
        self.message.value = f"loaded {html.escape(dict((v, k) for k, v in self.picker.options)[change['new']])}"
        self.load(system, change["new"])

    def _on_upload(self, system, name):
        self._upload = (system, name)  # the editor's system changes right after this

    def _on_editor(self, change):
        upload, self._upload = self._upload, None
        if self._quiet:
            return
        if upload is not None and upload[0] is change["new"]:
            self.load(change["new"], f"upload:{upload[1]}")
            return
        # the grid shows the overrides folded in: an edit there makes them part of the system
        self.load(change["new"], EDITED)

    def _on_system(self, change):
        if self._quiet:
            return
        self.load(change["new"], EDITED)

    def _on_overrides(self, change):
        if self._quiet:
            return
        try:
            self.state.set_overrides(change["new"])
        except ParameterError as exc:
            self.message.value = f'<span class="tw-error">{html.escape(str(exc))}</span>'
            with self._hold():
                self.overrides = dict(self.state.overrides)
            return
        self._render()

    def _on_inspector(self, change):
        if self._quiet:
            return
        try:
            self.state.set_overrides(change["new"])
        except ParameterError as exc:
            self.message.value = f'<span class="tw-error">{html.escape(str(exc))}</span>'
            return
        self._render()

    def _on_selected(self, change):
        if self._quiet or not change["new"]:
            return
        self.state.set_overrides(dict(self.state.overrides, **change["new"]))
        self._render()

    def _on_compare_pick(self, variant):
        self.load(variant.load(), f"variant:{variant.name}")

    def _sync_flow(self, force: bool = False) -> None:
        """The Sankey follows the state while its tab is shown (or when ``force``); a hidden
        Flow tab catches up when it is chosen, which keeps slider steps cheap."""
        flow = self.flow if force else self._lazy.built("flow")
        if flow is not None and (force or list(TABS)[self.tabs.selected_index or 0] == "flow"):
            ev = self.state.evaluation()
            if flow.evaluation is not ev:
                flow.evaluation = ev

    def _on_view(self, change=None):
        tab = self._lazy.selected
        if tab != "explore":
            self._lazy.view(tab)  # built the first time it is shown
        if change is not None and change.get("name") == "selected_index":
            self._sync_flow()
        ex = self.explorer
        self.state.view = View(tab, self.inspector.stage, ex.x, ex.y, tuple(ex.x_range), tuple(ex.y_range), ex.metric)
        self.share.query = self.state.to_query()

    # ------------------------------------------------------------------ rendering
    def _render(self, system_changed: bool = False):
        """Bring every view in line with the state."""
        st = self.state
        with self._hold():
            self.system = st.system
            self.overrides = dict(st.overrides)
            shown = st.shown_system()
            editor = self._lazy.built("design")
            if editor is not None and editor.system is not shown and (system_changed or editor.system != shown):
                editor.set_system(shown)
            if system_changed:
                self.explorer.selected = {}
            elif self.explorer.selected and not _same_point(st.overrides, self.explorer.selected):
                self.explorer.selected = {}  # the selection always names the point shown
            if self.inspector.system is not st.system:
                self.inspector.system = st.system
            if self.inspector.overrides != st.overrides:
                self.inspector.overrides = dict(st.overrides)
            explorer_system = self._explorer_system()
            if self.explorer.system is not explorer_system:
                self.explorer.system = explorer_system
            axes = (self.explorer.x, self.explorer.y)
            self.explorer.current = {k: v for k, v in st.overrides.items() if k in axes}
            self._sync_flow()
            value = st.source if st.source in [v for _, v in self.picker.options] else EDITED
            if value == EDITED and EDITED not in [v for _, v in self.picker.options]:
                self.picker.options = [("(edited system)", EDITED)] + list(self.picker.options)
            self.picker.value = value
            compare = self._lazy.built("compare")
            if compare is not None:
                compare.current = self._compare_current(compare)
        self._render_headline()
        self._render_whatif()
        self._on_view()

    def _render_headline(self):
        st = self.state
        base = headline_numbers(st.baseline_evaluation())
        name = st.baseline_source.partition(":")[2] or st.baseline.name
        self.headline.value = headline_html(headline_numbers(st.evaluation()), base, title=st.title, baseline_name=name)

    def _render_whatif(self):
        self.whatif.value = whatif_html(self.state.system, self.state.overrides)
        self.apply_button.disabled = self.reset_button.disabled = not self.state.overrides
