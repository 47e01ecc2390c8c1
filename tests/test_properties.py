"""Property tests of the model on random valid systems (hypothesis)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from twidgets import System, evaluate

DET_COLS = [
    "Category",
    "Detector",
    "Data (bytes)",
    "Sample Rate",
    "Compression",
    "Link Efficiency (J/bit)",
    "Op Efficiency (J/op)",
]
STG_COLS = [
    "Name",
    "Output",
    "Data (bytes)",
    "Reduction Ratio",
    "Classifier",
    "Skill mean",
    "Skill variance",
    "Link Efficiency (J/bit)",
    "Op Efficiency (J/op)",
    "Compression",
    "Samples",
    "Complexity",
]

finite_pos = st.floats(min_value=0.0, max_value=5e6, allow_nan=False)


@st.composite
def systems(draw):
    """A random valid system: a tree of stages ending in one sink, detectors feeding some stages."""
    n_stages = draw(st.integers(2, 6))
    names = [f"S{i}" for i in range(n_stages)]
    rows = []
    for i, name in enumerate(names):
        # each stage outputs to a later one; the last is the sink
        out = None if i == n_stages - 1 else names[draw(st.integers(i + 1, n_stages - 1))]
        kind = "Dummy" if out is None else draw(st.sampled_from(["Dummy", "Gaussian", "L1T", "HLT"]))
        rows.append(
            [
                name,
                out,
                draw(finite_pos),
                draw(st.floats(1.0, 500.0)),
                kind,
                draw(st.floats(-1.0, 5.0)),
                draw(st.floats(0.2, 3.0)),
                draw(st.floats(0.0, 1e-9)),
                draw(st.floats(0.0, 10.0)),
                draw(st.floats(0.0, 0.9)),
                500,
                draw(st.sampled_from([None, "l1t-linear", "poly:1e-7,1e-13"])),
            ]
        )
    # stages nobody outputs to are fed by a detector of their own (a stage must receive events)
    fed_by_stage = {r[1] for r in rows}
    roots = [n for n in names if n not in fed_by_stage]
    n_extra = draw(st.integers(0, 3))
    feeds = roots + [draw(st.sampled_from(names[:-1] or names)) for _ in range(n_extra)]
    det = [
        [
            cat,
            f"D{j}",
            draw(finite_pos),
            draw(st.floats(1e3, 4e7)),
            draw(st.floats(0.0, 0.9)),
            draw(st.floats(0.0, 1e-9)),
            0.0,
        ]
        for j, cat in enumerate(feeds)
    ]
    return System.from_frames(
        pd.DataFrame(det, columns=DET_COLS),
        pd.DataFrame(rows, columns=STG_COLS),
        {"Year": draw(st.integers(2020, 2040))},
    )


common = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@common
@given(systems())
def test_events_conserved_and_tables_non_negative(system):
    ev = evaluate(system)
    st_ = ev.stages
    for name, row in st_.iterrows():
        c = np.asarray(row["contingency"], dtype=float)
        assert np.all(c >= 0), name
        # in = kept + rejected, up to integer truncation of four cells
        assert 0 <= row["input_rate"] - c.sum() < 4, name
        assert row["output_rate"] == c[1].sum()
        assert row["op_power"] >= 0 and row["link_power"] >= 0
    assert ev.power >= 0 and np.isfinite(ev.power)
    assert (ev.links["throughput"] >= 0).all()
    assert 0 <= ev.f1 <= 1 and 0 <= ev.precision <= 1 and 0 <= ev.recall <= 1


@common
@given(systems(), st.lists(st.floats(1.0, 300.0), min_size=2, max_size=4))
def test_vectorised_equals_loop_of_scalars(system, rrs):
    stage = next(n.name for n in system.nodes if n.kind == "stage" and n.output)
    key = f"{stage}.reduction_ratio"
    grid = evaluate(system, {key: np.array(rrs)})
    for i, rr in enumerate(rrs):
        one = evaluate(system, {key: rr})
        np.testing.assert_array_equal(grid.confusion[i], one.confusion)
        assert grid.power[i] == one.power or abs(grid.power[i] - one.power) <= 1e-9 * abs(one.power)


@common
@given(systems())
def test_rr_one_everywhere_passes_everything(system):
    ov = {f"{n.name}.reduction_ratio": 1.0 for n in system.nodes if n.kind == "stage"}
    ev = evaluate(system, ov)
    for name, row in ev.stages.iterrows():
        c = np.asarray(row["contingency"])
        assert c[0].sum() == 0, name  # nothing rejected
    # every event is relevant when nothing is to be rejected
    assert ev.recall == 1.0 or ev.output_rate == 0


@common
@given(systems(), st.floats(1.0, 100.0), st.floats(1.0, 50.0))
def test_raising_a_stage_rr_never_raises_downstream_input(system, rr, factor):
    stage = next(n for n in system.nodes if n.kind == "stage" and n.output)
    ev = evaluate(system, {f"{stage.name}.reduction_ratio": np.array([rr, rr * factor])})
    before, after = ev.value(stage.output, "input_rate")
    # up to integer truncation: detector rates are split into whole relevant / irrelevant events
    # and means of several inputs are floored
    slack = 1 + len(system.node(stage.output).preds)
    assert after <= before + slack


@common
@given(systems(), st.floats(0.0, 20.0))
def test_power_linear_in_op_efficiency(system, k):
    stage = next(n for n in system.nodes if n.kind == "stage" and n.output)
    eff = stage.params["op_efficiency"]
    key = f"{stage.name}.op_efficiency"
    ev = evaluate(system, {key: np.array([0.0, eff, eff * k])})
    own = ev.value(stage.name, "op_power")
    assert own[0] == 0
    assert own[2] == pytest.approx(k * own[1], rel=1e-12, abs=1e-300)
    # the rest of the system's power does not depend on this stage's op efficiency
    assert ev.link_power[0] == ev.link_power[1] == ev.link_power[2]
    others = sum(ev.value(n.name, "op_power") for n in system.nodes if n.name != stage.name)
    assert np.all(others == others[0])
    np.testing.assert_allclose(ev.power, ev.link_power + own + others, rtol=1e-12)
