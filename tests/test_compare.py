"""The Compare view's data: the nine published variants equal paper_table()."""

from __future__ import annotations

import pytest

import twidgets
from twidgets.cms.scenarios import paper_table
from twidgets.cms.variants import published_variants
from twidgets.widgets.compare_data import Variant, compare_figure, compare_rows, compare_table_html, parts_total
from twidgets.widgets.headline import headline_html, headline_numbers


@pytest.fixture(scope="module")
def rows():
    return compare_rows(published_variants())


def test_nine_variants_equal_the_paper_table(rows):
    table = paper_table()
    assert len(rows) == len(table) == 9
    for row, (_, ref) in zip(rows, table.iterrows()):
        assert row.scaled_power / 1e6 == pytest.approx(ref.power_MW, rel=1e-12)
        assert parts_total(row) == pytest.approx(row.scaled_power, rel=1e-12)
        assert row.f1 == ref.f1 and row.productivity_per_kJ == ref.productivity_per_kJ
        assert row.year == 2032


def test_figure_bars_equal_the_rows(rows):
    fig = compare_figure(rows, current=2)
    power = [t for t in fig["data"] if t.get("legendgroup") == "power"]
    for i, row in enumerate(rows):
        assert sum(t["y"][i] for t in power) == pytest.approx(row.scaled_power / 1e6, rel=1e-12)
    f1 = next(t for t in fig["data"] if t["name"] == "F1")
    assert f1["y"] == [r.f1 for r in rows]
    assert fig["layout"]["xaxis"]["ticktext"][2].startswith("<b>")
    assert {t["name"] for t in power} >= {"HLT compute", "L1 compute", "Readout links"}


def test_table_shows_change_from_baseline(rows):
    text = compare_table_html(rows, baseline=1)
    assert "(baseline)" in text and "-60.3 %" in text  # PU 200 -> GPU HLT + smart sensors: 20.45 MW
    assert text.count("<tr") == 10


def test_a_system_of_ones_own_compares(pu200):
    rows = compare_rows(
        [("mine", pu200.with_year(2030)), Variant("boosted", "cms-hllhc-pu200", {"Intermediate.skill_boost": 0.4})]
    )
    assert rows[0].scaled_power == twidgets.evaluate(pu200.with_year(2030)).scaled_power
    assert rows[1].f1 == twidgets.evaluate(pu200, {"Intermediate.skill_boost": 0.4}).f1


def test_headline_numbers(pu200):
    ev = twidgets.evaluate(pu200)
    h = headline_numbers(ev)
    assert [s for s, _ in h.accept_rates] == ["Intermediate", "Global"]
    assert h.accept_rates[0][1] == ev.value("Intermediate", "output_rate")
    assert h.storage_throughput == pytest.approx(ev.value("Global", "message_bytes") * ev.output_rate)
    base = headline_numbers(twidgets.evaluate(pu200, {"Intermediate.skill_boost": 0.4}))
    text = headline_html(base, h, baseline_name="cms-hllhc-pu200")
    assert "L1 accept" in text and "HLT accept" in text and "GB/s" in text
    assert f'data-value="{base.f1!r}"' in text
    assert "tw-better" in text  # F1 rose
    assert "335 MW" in text  # the unscaled power is said too
