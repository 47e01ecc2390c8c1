"""ShareBar: "Copy link" and "Export view" for talks.

The bar shows the link to the dashboard's current state (the page's address plus
:meth:`DashboardState.to_query`; ``base_url`` overrides the address, e.g. a Binder URL)
and copies it to the clipboard. "Export view" asks the kernel for ``export()`` -- a
self-contained HTML file of the headline and figures (:mod:`.export`) -- and the browser
saves it.
"""

from __future__ import annotations

import logging
import pathlib
from collections.abc import Callable, Mapping

import anywidget
import traitlets

__all__ = ["ShareBar"]

_STATIC = pathlib.Path(__file__).parent / "static"
_log = logging.getLogger(__name__)


class ShareBar(anywidget.AnyWidget):
    """Copy-link and export buttons. ``export`` is a callable returning the HTML text."""

    _esm = _STATIC / "share.js"
    _css = _STATIC / "share.css"
    query = traitlets.Unicode("", help="query string of the state the link opens (no '?')").tag(sync=True)
    base_url = traitlets.Unicode(
        "", help="address the link starts with; empty: the page's own address (local app, Binder, ...)"
    ).tag(sync=True)
    filename = traitlets.Unicode("twidgets-view.html", help="name the exported file is saved under")

    def __init__(self, export: Callable[[], str] | None = None, **kwargs):
        super().__init__(**kwargs)
        self.export = export
        self.on_msg(self._on_msg)

    def _on_msg(self, widget, content, buffers):
        if not isinstance(content, Mapping) or content.get("type") != "export" or self.export is None:
            return
        try:
            data = self.export().encode("utf-8")
        except Exception:  # never raise into the page
            _log.warning("export failed", exc_info=True)
            return
        self.send({"type": "export", "name": self.filename, "size": len(data)}, [data])
