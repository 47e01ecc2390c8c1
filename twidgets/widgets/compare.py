"""CompareView: variants side by side (power per part, F1, productivity) and one click to
make a row the current system.

The numbers and the figure come from :mod:`.compare_data`; this widget holds the list of
variants (the ones it is given plus those saved with :meth:`CompareView.save`), draws
them, and calls ``on_pick(variant)`` when a bar or the "Make current" button picks a row.

>>> from twidgets.cms.variants import published_variants
>>> view = CompareView(published_variants())
>>> view.rows[0].scaled_power        # W, on the variant's technology year
"""

from __future__ import annotations

import html
from collections.abc import Callable

import ipywidgets as widgets
import traitlets

from ..model import ParameterError, System
from .compare_data import CompareRow, Variant, compare_figure, compare_rows, compare_table_html
from .plotting import figure_box

__all__ = ["CompareView"]


class CompareView(widgets.VBox):
    """Grouped bars and a table of variants, with the change from a baseline row.

    Parameters
    ----------
    variants : list of Variant
    on_pick : callable(Variant), optional
        Called when a row is made current (a click on one of its bars, or the button).
    seed : int
        Monte-Carlo seed of the evaluations.
    """

    current = traitlets.Int(-1, help="index of the row shown as the current system (-1: none)")
    baseline = traitlets.Int(0, help="index of the row the changes are measured against")

    def __init__(
        self,
        variants=(),
        *,
        on_pick: Callable[[Variant], None] | None = None,
        seed: int = 0,
        baseline: int = 0,
        **kwargs,
    ):
        self.variants: list[Variant] = list(variants)
        self.on_pick = on_pick
        self.seed = seed
        self.rows: list[CompareRow] = compare_rows(self.variants, seed=seed)
        self.box = figure_box(compare_figure(self.rows), on_click=self._on_bar_click)
        self.box.add_class("tw-compare-figure")
        self.table = widgets.HTML()
        self.table.add_class("tw-compare-table-box")
        self.row_picker = widgets.Dropdown(description="Row", layout=widgets.Layout(width="420px"))
        self.row_picker.add_class("tw-compare-row")
        self.pick_button = widgets.Button(description="Make current", icon="arrow-up")
        self.pick_button.add_class("tw-compare-pick")
        self.baseline_button = widgets.Button(description="Use as baseline")
        self.baseline_button.add_class("tw-compare-baseline")
        self.name_input = widgets.Text(placeholder="name of the current state", layout=widgets.Layout(width="260px"))
        self.name_input.add_class("tw-scenario-name")
        self.save_button = widgets.Button(description="Save as scenario", icon="plus")
        self.save_button.add_class("tw-save-scenario")
        self.message = widgets.HTML()
        self.message.add_class("tw-compare-message")
        self.pick_button.on_click(lambda _: self.pick(self.row_picker.index))
        self.baseline_button.on_click(lambda _: setattr(self, "baseline", self.row_picker.index or 0))
        controls = widgets.HBox(
            [self.row_picker, self.pick_button, self.baseline_button, self.name_input, self.save_button],
            layout=widgets.Layout(flex_flow="row wrap", align_items="center"),
        )
        super().__init__(children=[controls, self.message, self.box, self.table], **kwargs)
        self.add_class("twidgets-compare")
        self.baseline = baseline
        self.observe(lambda _: self._draw(), names=["current", "baseline"])
        self._draw()

    # ------------------------------------------------------------------ actions
    def pick(self, index) -> Variant:
        """Make row ``index`` current: calls ``on_pick(variant)`` and marks the row."""
        if index is None or not 0 <= int(index) < len(self.variants):
            raise ParameterError(f"no row {index!r}; rows 0 to {len(self.variants) - 1}")
        variant = self.variants[int(index)]
        if self.on_pick is not None:
            self.on_pick(variant)
        self.current = int(index)
        return variant

    def save(self, name: str, system: System) -> Variant:
        """Add ``system`` as a row named ``name`` (what "Save as scenario" does)."""
        name = (name or "").strip()
        if not name:
            raise ParameterError("give the scenario a name")
        if name in [v.name for v in self.variants]:
            raise ParameterError(f"a row is already named {name!r}; pick another name")
        variant = Variant(name, system, {}, "saved from the dashboard")
        self.variants.append(variant)
        self.rows.extend(compare_rows([variant], seed=self.seed))
        self.current = len(self.variants) - 1
        self._draw()
        return variant

    def _on_bar_click(self, x_value):
        names = [v.name for v in self.variants]
        if x_value in names:
            self.pick(names.index(x_value))

    # ------------------------------------------------------------------ drawing
    def _draw(self):
        current = self.current if self.current >= 0 else None
        base = self.baseline if 0 <= self.baseline < len(self.rows) else 0
        self.box.set_figure(compare_figure(self.rows, current=current, baseline=base))
        self.table.value = compare_table_html(self.rows, baseline=base, current=current)
        options = [(f"{i + 1}. {v.name}", i) for i, v in enumerate(self.variants)]
        if list(self.row_picker.options) != options:
            self.row_picker.options = options
            self.row_picker.index = current if current is not None else base
        if current is not None:
            self.row_picker.index = current
            self.message.value = f"current: <b>{html.escape(self.variants[current].name)}</b>"
