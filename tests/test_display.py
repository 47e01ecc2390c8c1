"""The display table: names and units people read, engineering-prefix formatting."""

from __future__ import annotations

import math

import pytest

import twidgets  # noqa: F401  (registers the CMS study's stage names)
from twidgets.model.display import (
    axis_title,
    format_change,
    format_number,
    format_quantity,
    format_value,
    label,
    register_stage_labels,
    stage_label,
)


@pytest.mark.parametrize(
    ("value", "unit", "text"),
    [
        (3.92462e7, "Hz", "39.2 MHz"),
        (4e7, "Hz", "40 MHz"),
        (8.4e6, "B", "8.4 MB"),
        (51.61e6, "W", "51.6 MW"),
        (63.179e9, "B/s", "63.2 GB/s"),
        (749_989.0, "Hz", "750 kHz"),
        (7499.0, "Hz", "7.5 kHz"),
        (0.0015, "J", "1.5 mJ"),
        (2.5e-11, "J/bit", "25 pJ/bit"),
        (999.7e3, "Hz", "1 MHz"),  # rounding reaches the next prefix
        (0.0, "W", "0 W"),
        (-2.5e6, "W", "-2.5 MW"),
    ],
)
def test_engineering_prefixes(value, unit, text):
    assert format_quantity(value, unit) == text


def test_numbers_without_a_unit_read_plainly():
    assert format_number(400.0) == "400"
    assert format_number(53.3) == "53.3"
    assert format_number(0.0001234) == "0.000123"
    assert format_number(float("nan")) == "n/a"
    assert "e" in format_number(3.2e-9)  # far below one: exponent notation
    assert format_quantity(0.0670075, "/kJ", prefix=False) == "0.067 /kJ"


def test_cms_stage_names_come_from_the_cms_package():
    assert label("Intermediate.reduction_ratio") == "L1 reduction ratio"
    assert label("Intermediate.skill_boost") == "L1 skill boost"
    assert label("Global.skill_scale") == "HLT skill width"
    assert stage_label("Global") == "HLT"


def test_unregistered_stages_keep_their_names():
    assert label("Trigger B.reduction_ratio") == "Trigger B reduction ratio"
    assert label("Inner Tracker.data_bytes") == "Inner Tracker event size"
    assert axis_title("Inner Tracker.data_bytes") == "Inner Tracker event size (B)"


def test_metrics_and_global_parameters():
    assert label("f1") == "F1"
    assert label("scaled_power") == "Scaled power"
    assert axis_title("scaled_power", "MW") == "Scaled power (MW)"
    assert label("year") == "Technology year"
    assert format_value("Inner Tracker.sample_rate", 4e7) == "40 MHz"
    assert format_value("Intermediate.reduction_ratio", 53.3) == "53.3"


def test_register_stage_labels_rejects_empty_names():
    with pytest.raises(ValueError, match="non-empty"):
        register_stage_labels({"X": "  "})


def test_changes_against_a_baseline():
    assert format_change(20.46, 51.61) == "-60.4 %"
    assert format_change(0.843, 0.461, relative=False) == "+0.38"
    assert format_change(1.0, 1.0) == "±0"
    assert format_change(51.6, 0.32) == "×161"
    assert format_change(1.0, 0.0) == ""
    assert format_change(math.nan, 1.0) == ""
