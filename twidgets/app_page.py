"""What the app notebook's kernel knows about the page it serves (no Voila import outside Voila).

:func:`page_query_string` is the one way the app notebook reads the visitor's query string
(``?system=...&Stage.param=...`` deep links), whether its kernel was started for the visitor
or was preheated before the visitor arrived.
"""

from __future__ import annotations

import os
import sys

__all__ = ["page_query_string", "is_preheated", "READY_LINE"]

#: Written to the server's log (the kernel's own stderr) when a preheated kernel has run the
#: notebook up to :func:`page_query_string` and waits for its visitor.
READY_LINE = "twidgets: preheated kernel ready, waiting for a visitor"


def is_preheated() -> bool:
    """True in a kernel Voila started ahead of time for its pool (``twidgets app --preheat``)."""
    return os.environ.get("VOILA_PREHEAT") == "True"


def page_query_string() -> str:
    """The query string of the page this kernel serves, without the ``?`` ('' when none).

    * Kernel started for the visitor (Voila without preheat, or Voila's Jupyter server
      extension as on Binder): Voila put the request in the ``QUERY_STRING`` environment
      variable before the kernel started.
    * Preheated kernel: the notebook ran up to this call before anyone asked for the page;
      the call waits until Voila hands this kernel to a visitor and sends it the request
      (``voila.utils.get_query_string``), then returns that visitor's query string.
    * Outside Voila (JupyterLab, nbclient): ''.
    """
    if is_preheated():
        from voila.utils import get_query_string  # only ever imported inside a Voila kernel

        if sys.__stderr__ is not None:  # the server's log, not the page (ipykernel redirects sys.stderr)
            print(READY_LINE, file=sys.__stderr__, flush=True)
        return get_query_string() or ""
    return os.environ.get("QUERY_STRING", "")
