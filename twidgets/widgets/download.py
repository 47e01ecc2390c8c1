"""A download button whose file is made in Python only when the user clicks it.

A ``data:`` link would carry the whole file in the widget's state: sent to every page at
load and again at every change, whether anyone downloads it or not. This button holds
only a file name; a click asks the kernel for the content (an anywidget command) and the
browser saves what comes back.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import anywidget
import traitlets
from anywidget.experimental import command

__all__ = ["DownloadButton"]

_log = logging.getLogger(__name__)


class DownloadButton(anywidget.AnyWidget):
    """A button that saves ``content()`` (text) as ``filename`` in the browser when clicked.

    >>> button = DownloadButton(lambda: "a,b\\n1,2\\n", filename="table.csv", mime="text/csv")
    >>> button.text()
    'a,b\\n1,2\\n'
    """

    _esm = Path(__file__).parent / "static" / "download.js"

    description = traitlets.Unicode("Download", help="The button's text.").tag(sync=True)
    filename = traitlets.Unicode("download.txt", help="Name the browser saves the file under.").tag(sync=True)
    mime = traitlets.Unicode("text/plain", help="MIME type of the file, e.g. 'text/csv'.").tag(sync=True)
    disabled = traitlets.Bool(False, help="True while there is nothing to download.").tag(sync=True)
    error = traitlets.Unicode("", help="Why the last download failed ('' when it did not).").tag(sync=True)

    def __init__(self, content: Callable[[], str] | None = None, **kwargs):
        super().__init__(**kwargs)
        self.content = content

    def text(self) -> str:
        """The file's text now (what a click downloads)."""
        if self.content is None:
            raise ValueError("nothing to download yet")
        return self.content()

    @command
    def _on_fetch(self, msg, buffers):
        """Browser -> Python: the file's content as one UTF-8 buffer (never raises)."""
        try:
            data = self.text().encode("utf-8")
        except Exception as e:  # say it on the button, keep the page alive
            _log.warning("download of %s failed", self.filename, exc_info=True)
            self.error = f"could not make {self.filename}: {e}"
            return {"ok": False, "error": self.error}, []
        self.error = ""
        return {"ok": True, "filename": self.filename, "mime": self.mime}, [data]
