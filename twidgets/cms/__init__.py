"""The CMS study: data about the CMS trigger system that the generic core is told about.

Importing this package registers its names with the core (``import twidgets`` does it).
"""

from . import labels  # noqa: F401  (registers the stage names people use)
