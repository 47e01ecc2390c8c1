"""Technology scaling by year (fits to published transistor-density trends).

Power computed with today's (2022) efficiencies is divided by the density scale of the
target year to estimate the power of the same work on that year's technology.
"""

from __future__ import annotations

import numpy as np

__all__ = ["density_scale", "transistor_count_scale", "DENSITY_RATE", "REFERENCE_YEAR"]

#: Exponential growth rate of transistor density per year.
DENSITY_RATE = 0.18717361
#: Year whose technology the efficiencies in the workbooks describe.
REFERENCE_YEAR = 2022
_TRANSISTOR_OFFSET = -0.19815559


def density_scale(year):
    """Transistor density relative to 2022: ``exp(0.18717361 * (year - 2022))``.

    Dimensionless; 6.50 in 2032. Accepts scalars or arrays.
    """
    return np.exp(DENSITY_RATE * (np.asarray(year, dtype=float) - REFERENCE_YEAR))[()]


def transistor_count_scale(year):
    """Transistor-count model ``exp(-0.19815559 + 0.18717361 * (year - 2022))`` (dimensionless)."""
    return np.exp(_TRANSISTOR_OFFSET + DENSITY_RATE * (np.asarray(year, dtype=float) - REFERENCE_YEAR))[()]
