"""The Voila server behind ``twidgets app``: a session cap, quick release of kernels, no foreign pages.

Run as ``python -m twidgets.app_voila NOTEBOOK [Voila options]`` by :mod:`twidgets.app` (this
module imports Voila; the CLI never does). It is Voila itself with three things added through
Voila's own extension points (its configurable kernel-manager class and the handler that
renders the notebook):

* **a cap on sessions.** :class:`SessionKernelManager` counts the kernels that serve visitors
  (kernels still waiting, executed, in the preheat pool are not visitors). A visitor over the
  cap gets the "full" page (HTTP 503, ``full.html`` of the app's template) at once instead of
  a kernel; a pool refill waits for a free slot instead of going over
  ``max_sessions + pool size`` kernels.
* **kernels released quickly.** A kernel whose page has gone (its tab closed) is shut down
  after ``cull_disconnected_timeout`` seconds, one whose page never connected after
  ``cull_unconnected_timeout``; a kernel whose page is open but idle after
  ``cull_idle_timeout`` seconds (the page then says the session ended and offers a reload).
* **no foreign requests.** A page request whose ``Origin`` is not the address it was sent to
  is refused (403), like Jupyter's websockets; the ``Host`` check is Jupyter's own
  (``allow_remote_access`` / ``local_hostnames`` in ``Voila.tornado_settings``).
"""

from __future__ import annotations

import asyncio
import sys
from datetime import timedelta

from jupyter_server.services.kernels.kernelmanager import AsyncMappingKernelManager
from tornado import web
from traitlets import Bool, Float, Int
from voila.app import Voila
from voila.tornado.handler import TornadoVoilaHandler

__all__ = ["SessionKernelManager", "SessionCapHandler", "TwidgetsVoila", "main"]

#: Environment variable Voila sets to "True" in the kernels it starts for its preheat pool.
PREHEAT_ENV = "VOILA_PREHEAT"


def _utcnow():
    from jupyter_server._tz import utcnow

    return utcnow()


class SessionKernelManager(AsyncMappingKernelManager):
    """Jupyter's kernel manager with a cap on visitor sessions and a short life for orphans."""

    max_sessions = Int(
        4,
        config=True,
        help="Most kernels serving visitors at once; a visitor over it gets the 'full' page (HTTP 503).",
    )
    pool_size = Int(
        0,
        config=True,
        help="Kernels kept executed and waiting for visitors (Voila's preheat pool), on top of max_sessions.",
    )
    cull_disconnected_timeout = Float(
        60.0,
        config=True,
        help="Seconds after which a kernel with no page connected (tab closed) and not executing is shut down.",
    )

    cull_unconnected_timeout = Float(
        300.0,
        config=True,
        help="Seconds after which a kernel whose page never connected (the visitor left while the page "
        "loaded, or a client that is not a browser) and not executing is shut down; longer than "
        "cull_disconnected_timeout because a page on a busy server may take minutes to connect.",
    )

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._starting_visitors = 0
        self._starting_pool = 0
        self._seen_connected: set[str] = set()  # kernels a page has connected to

    # ----------------------------------------------------------------------------- counting
    def ready_pool_kernels(self) -> int:
        """Kernels started for Voila's preheat pool and not yet handed to a visitor."""
        pools = getattr(self, "_pools", {})  # Voila's VoilaKernelManager keeps its pool here
        return sum(
            1
            for pool in pools.values()
            for task in pool
            if task.done() and not task.cancelled() and task.exception() is None
        )

    def visitor_sessions(self) -> int:
        """Kernels serving visitors, counting those still starting."""
        running = len(self.list_kernel_ids())
        return max(0, running - self.ready_pool_kernels()) + self._starting_visitors

    def is_full(self) -> bool:
        """True when one more visitor would go over :attr:`max_sessions`."""
        return self.visitor_sessions() >= self.max_sessions

    # ------------------------------------------------------------------------------ starting
    async def start_kernel(self, *args, **kwargs):  # type: ignore[override]  # async, as its base class
        env = kwargs.get("env") or {}
        if kwargs.get("kernel_id") is not None:  # a restart keeps its slot
            return await super().start_kernel(*args, **kwargs)
        if env.get(PREHEAT_ENV) == "True":
            # a pool refill: wait for a free slot rather than go over the total
            while len(self.list_kernel_ids()) + self._starting_visitors + self._starting_pool >= (
                self.max_sessions + self.pool_size
            ):
                await asyncio.sleep(0.5)
            self._starting_pool += 1
            try:
                return await super().start_kernel(*args, **kwargs)
            finally:
                self._starting_pool -= 1
        if self.is_full():
            raise web.HTTPError(503, "all %d sessions are in use", self.max_sessions)
        self._starting_visitors += 1
        try:
            return await super().start_kernel(*args, **kwargs)
        finally:
            self._starting_visitors -= 1

    # ------------------------------------------------------------------------------- culling
    def notify_connect(self, kernel_id):
        self._seen_connected.add(kernel_id)
        super().notify_connect(kernel_id)

    async def cull_kernel_if_idle(self, kernel_id):
        kernel = self._kernels.get(kernel_id)
        connected = self._kernel_connections.get(kernel_id, 0) > 0
        if not connected and kernel is not None and hasattr(kernel, "last_activity"):
            was_connected = kernel_id in self._seen_connected
            limit = self.cull_disconnected_timeout if was_connected else self.cull_unconnected_timeout
            idle = _utcnow() - kernel.last_activity
            executing = getattr(kernel, "execution_state", None) == "busy"
            if idle > timedelta(seconds=limit) and not executing:
                self.log.info(
                    "Shutting down kernel %s: no page %s for %d s",
                    kernel_id,
                    "connected" if was_connected else "has connected",
                    int(idle.total_seconds()),
                )
                self._seen_connected.discard(kernel_id)
                await self.shutdown_kernel(kernel_id)
                return
        await super().cull_kernel_if_idle(kernel_id)


class SessionCapHandler(TornadoVoilaHandler):
    """Voila's notebook page, refused (403) to a foreign ``Origin`` and answered by the
    "full" page (503) when every session is taken."""

    async def prepare(self, *args, **kwargs):
        await super().prepare(*args, **kwargs)
        if not self.check_origin():  # Jupyter's rule: an Origin header must name this host
            raise web.HTTPError(403, "request from a foreign origin")

    @web.authenticated
    async def get(self, path=None):
        km = self.kernel_manager
        # checked before Voila takes a pool kernel or starts one (no await in between)
        if isinstance(km, SessionKernelManager) and km.is_full():
            raise web.HTTPError(503, "all %d sessions are in use", km.max_sessions)
        await super().get(path=path)

    def write_error(self, status_code, **kwargs):
        if status_code != 503:
            return super().write_error(status_code, **kwargs)
        km = self.kernel_manager
        limit = getattr(km, "max_sessions", 0)
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.set_header("Retry-After", "60")
        self.set_header("Cache-Control", "no-store")
        self.finish(self.render_template("full.html", max_sessions=limit, page_url=self.request.uri))


class TwidgetsVoila(Voila):
    """Voila serving one notebook through :class:`SessionCapHandler`."""

    name = "twidgets-voila"

    local_only = Bool(
        True,
        config=True,
        help="Refuse requests whose Host header is not 'localhost' or a loopback address "
        "(Jupyter's check against DNS rebinding); False when the app is served to other machines.",
    )
    ws_ping_interval = Int(
        15_000,
        config=True,
        help="Milliseconds between websocket pings; a page gone without closing its socket is "
        "noticed after three missed pings, and its kernel then counts as disconnected.",
    )

    def init_settings(self):
        settings = super().init_settings()
        settings["allow_remote_access"] = not self.local_only
        settings["local_hostnames"] = ["localhost"]
        settings["ws_ping_interval"] = self.ws_ping_interval
        return settings

    def init_handlers(self):
        handlers = super().init_handlers()
        out = []
        for spec in handlers:
            if len(spec) >= 2 and spec[1] is TornadoVoilaHandler:
                spec = (spec[0], SessionCapHandler, *spec[2:])
            out.append(spec)
        return out


def main(argv=None) -> None:
    """Start the server (arguments as for ``voila``)."""
    TwidgetsVoila.launch_instance(argv=sys.argv[1:] if argv is None else argv)


if __name__ == "__main__":
    # run the copy imported under its package name: the configuration names
    # twidgets.app_voila.SessionKernelManager, which must be the class the handler checks for
    from twidgets.app_voila import main as _main

    _main()
