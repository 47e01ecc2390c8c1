"""twidgets' Jupyter server extension: serves the installed plotly's ``plotly.min.js``.

Enabled by ``jupyter-config/jupyter_server_config.d/twidgets.json`` (installed with the
package into ``etc/jupyter``), it adds one route, ``{base_url}twidgets/static/plotly.min.js``,
from which every :class:`twidgets.widgets.plot.Plot` on a page served by that Jupyter server
(JupyterLab, Notebook 7, Voila as a server extension) loads plotly.js once.
"""

from __future__ import annotations

import pathlib

__all__ = ["ROUTE", "plotly_directory"]

#: The route, under the server's base URL.
ROUTE = "twidgets/static/(plotly\\.min\\.js)"


def plotly_directory() -> pathlib.Path:
    """The directory of the installed plotly's ``plotly.min.js``."""
    import plotly

    return pathlib.Path(plotly.__file__).parent / "package_data"


def _jupyter_server_extension_points():
    return [{"module": "twidgets.widgets.server"}]


def _load_jupyter_server_extension(serverapp) -> None:
    from jupyter_server.utils import url_path_join
    from tornado.web import StaticFileHandler

    web_app = serverapp.web_app
    route = url_path_join(web_app.settings["base_url"], ROUTE)
    web_app.add_handlers(".*$", [(route, StaticFileHandler, {"path": str(plotly_directory())})])
    serverapp.log.info("twidgets: serving plotly.js at %s", route)
