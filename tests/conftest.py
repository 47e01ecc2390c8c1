"""Shared fixtures for the test suite."""

from __future__ import annotations

import pytest

import twidgets


@pytest.fixture(scope="session")
def pu200():
    """The bundled pile-up-200 CMS system."""
    return twidgets.load_system("cms-hllhc-pu200")


@pytest.fixture(scope="session")
def run3():
    return twidgets.load_system("cms-run3-pu60")
