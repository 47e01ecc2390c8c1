"""Tabs whose views are built the first time they are shown (or first asked for).

A page's first screen then creates, sends and draws only what it shows; a tab chosen later
shows "Preparing this tab…" for the moment its view takes to build and arrive.
"""

from __future__ import annotations

from collections.abc import Callable

import ipywidgets as widgets

__all__ = ["LazyTabs"]


class LazyTabs:
    """A ``widgets.Tab`` (:attr:`tab`) whose first view is given and whose others are built
    on demand by ``builders`` (tab key -> callable returning the view).

    ``titles`` maps every tab key, in order, to the title shown on the tab.
    """

    def __init__(
        self, titles: dict[str, str], first: widgets.Widget, builders: dict[str, Callable[[], widgets.Widget]]
    ):
        self.keys = list(titles)
        missing = set(self.keys[1:]) - set(builders)
        if missing:
            raise KeyError(f"no builder for tab(s) {', '.join(sorted(missing))}")
        self._builders = builders
        self.views: dict[str, widgets.Widget] = {}  # the views built so far, by key
        self.pending = widgets.HTML('<div class="tw-tab-pending">Preparing this tab…</div>')
        self.tab = widgets.Tab(children=[first] + [self.pending] * (len(self.keys) - 1))
        self.tab.titles = tuple(titles.values())

    @property
    def selected(self) -> str:
        """Key of the tab shown."""
        return self.keys[self.tab.selected_index or 0]

    def built(self, key: str) -> widgets.Widget | None:
        """The view of tab ``key`` if it has been built, else ``None``."""
        return self.views.get(key)

    def view(self, key: str) -> widgets.Widget:
        """The view of tab ``key``, built now (and put in its tab) if it was not yet."""
        view = self.views.get(key)
        if view is None:
            if key not in self._builders:
                raise KeyError(f"no tab {key!r} built on demand; those are {', '.join(self._builders)}")
            view = self.views[key] = self._builders[key]()
            children = list(self.tab.children)
            children[self.keys.index(key)] = view
            self.tab.children = tuple(children)
        return view
