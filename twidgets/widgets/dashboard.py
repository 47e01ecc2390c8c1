"""Dashboard: the editor, the stage inspector, the sweep explorer and a flow view, linked.

Links (ARCHITECTURE.md, data flow)::

    picker (bundled system / seed scenario) --> Dashboard.system
    SystemEditor.system ----------------------> Dashboard.system
    Dashboard.system --> editor.system, inspector.system, explorer.system (debounced sweep)
    StageInspector.evaluation --> flow (Sankey of events/s or bytes/s, power per stage)
    SweepExplorer.selected --> inspector.overrides (a click on the map moves the inspector)

>>> from twidgets.widgets import Dashboard
>>> Dashboard()          # cms-hllhc-pu200
"""

from __future__ import annotations

import html

import ipywidgets as widgets
import traitlets

from ..cms.scenarios import SCENARIOS, scenario
from ..model import ParameterError, System, list_systems, load_system
from .controls import QuietObservers, as_system
from .explorer import DEFAULT_NUM, SweepExplorer
from .flow import FlowView
from .inspector import StageInspector

__all__ = ["Dashboard", "picker_options", "EDITED"]

#: Picker value shown once the system was edited (no bundled system or scenario matches).
EDITED = "edited"


def picker_options() -> list[tuple[str, str]]:
    """(label, value) of the system picker: ``system:<bundled name>`` then ``scenario:<name>``."""
    opts = [(f"System: {name}", f"system:{name}") for name in list_systems()]
    opts += [(f"Scenario: {s.name}", f"scenario:{s.name}") for s in SCENARIOS]
    return opts


def load_choice(value: str) -> System:
    """The System a picker value stands for (a bundled system, or a scenario's ``load()``)."""
    kind, _, name = value.partition(":")
    if kind == "system":
        return load_system(name)
    if kind == "scenario":
        return scenario(name).load()
    raise ParameterError(f"unknown picker choice {value!r}; use 'system:<name>' or 'scenario:<name>'")


class Dashboard(QuietObservers, widgets.VBox):
    """The three widgets composed and linked, plus a Sankey flow and a system picker.

    Parameters
    ----------
    system : System or str, optional
        Default: the bundled ``cms-hllhc-pu200``.
    stage : str
        Stage the inspector shows first.
    seed : int
        Monte-Carlo seed shared by the inspector and the explorer.
    debounce : float
        Explorer recomputation delay (s) while a kernel loop runs; 0 = synchronous.
    num : int
        Grid points per explorer axis.

    Attributes
    ----------
    editor, inspector, explorer, flow : the composed widgets.
    picker : ipywidgets.Dropdown (class ``tw-system-picker``).
    system : traitlets.Instance(System) -- the shared system (the editor's last valid one).
    """

    system = traitlets.Instance(System)

    def __init__(
        self,
        system: System | None = None,
        *,
        stage: str = "Intermediate",
        seed: int = 0,
        debounce: float = 0.3,
        num: int = DEFAULT_NUM,
        **kwargs,
    ):
        from .editor import SystemEditor  # the editor lives in its own module (anywidget assets)

        system = as_system(system, "Dashboard")
        self.editor = SystemEditor(system)
        self.inspector = StageInspector(system, stage=stage, seed=seed)
        self.explorer = SweepExplorer(system, seed=seed, debounce=debounce, num=num)
        self.flow = FlowView(self.inspector.evaluation)
        options = picker_options()
        value = f"system:{system.name}" if system.name in list_systems() else EDITED
        if value == EDITED:
            options = [("(edited system)", EDITED)] + options
        self.picker = widgets.Dropdown(
            options=options, value=value, description="Load", layout=widgets.Layout(width="420px")
        )
        self.picker.add_class("tw-system-picker")
        self.message = widgets.HTML()
        self.message.add_class("tw-dashboard-message")
        self._loaded = system
        self.system = system
        panel = widgets.Layout(flex="1 1 480px", min_width="420px")
        self.inspector.layout = panel
        self.explorer.layout = widgets.Layout(flex="1 1 560px", min_width="420px")
        header = widgets.HBox([self.picker, self.message], layout=widgets.Layout(align_items="center"))
        body = widgets.HBox([self.inspector, self.explorer], layout=widgets.Layout(flex_flow="row wrap"))
        super().__init__(children=[header, self.editor, body, self.flow], **kwargs)
        self.add_class("twidgets-dashboard")

        self.picker.observe(self._on_picker, names="value")
        self.editor.observe(self._on_editor, names="system")
        self.observe(self._on_system, names="system")
        self.inspector.observe(self._on_evaluation, names="evaluation")
        self.explorer.observe(self._on_selected, names="selected")

    # ------------------------------------------------------------------ links
    def _on_picker(self, change):
        if self._quiet or change["new"] == EDITED:
            return
        try:
            system = load_choice(change["new"])
        except (ParameterError, ValueError, KeyError) as exc:
            self.message.value = f'<span class="tw-error">{html.escape(str(exc))}</span>'
            return
        label = dict((v, k) for k, v in self.picker.options)[change["new"]]
        self.message.value = f"loaded {html.escape(label)}"
        self.explorer.selected = {}
        self.inspector.overrides = {}
        self._loaded = system
        self.system = system

    def _on_editor(self, change):
        self.system = change["new"]

    def _on_system(self, change):
        new = change["new"]
        if self.editor.system is not new:
            self.editor.system = new
        if new is not self._loaded:
            self._mark_edited()
        self.inspector.system = new
        self.explorer.system = new  # the explorer debounces its own sweep

    def _mark_edited(self):
        with self._hold():
            opts = list(self.picker.options)
            if EDITED not in [v for _, v in opts]:
                self.picker.options = [("(edited system)", EDITED)] + opts
            self.picker.value = EDITED

    def _on_evaluation(self, change):
        self.flow.evaluation = change["new"]

    def _on_selected(self, change):
        if change["new"]:
            self.inspector.overrides = dict(change["new"])
