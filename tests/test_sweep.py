"""twidgets.sweep / SweepResult: equality with evaluate, chunking, repeats, Pareto, export."""

from __future__ import annotations

import io
import itertools
import math
import sys
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.ndimage import gaussian_filter

import twidgets
from twidgets.model.sweep import DEFAULT_METRICS, plan_blocks
from twidgets.model.sweep_result import SweepResult, read_provenance
from twidgets.model.technology import density_scale

RR = "Intermediate.reduction_ratio"
BOOST = "Intermediate.skill_boost"
PARAMS_2D = {RR: np.linspace(450, 40, 6), BOOST: np.linspace(0, 1, 5)}


@pytest.fixture(scope="module")
def result_2d(pu200):
    return twidgets.sweep(pu200, PARAMS_2D)


def _same(a, b):
    return np.array_equal(np.asarray(a, dtype=float), np.asarray(b, dtype=float), equal_nan=True)


# ------------------------------------------------------------------ equality with evaluate
def test_public_names():
    assert callable(twidgets.sweep) and callable(twidgets.sensitivity)
    assert twidgets.SweepResult is SweepResult
    from twidgets.model import SweepResult as R2
    from twidgets.model import sensitivity

    assert R2 is SweepResult and sensitivity is twidgets.sensitivity


def test_sweep_equals_a_loop_of_evaluate(pu200, result_2d):
    assert result_2d.shape == (6, 5)
    assert result_2d.metrics == DEFAULT_METRICS
    for i, j in itertools.product(range(6), range(5)):
        ev = twidgets.evaluate(pu200, {RR: PARAMS_2D[RR][i], BOOST: PARAMS_2D[BOOST][j]})
        for m in DEFAULT_METRICS:
            assert _same(result_2d.metric(m)[i, j], ev.metric(m)), (m, i, j)


def test_three_d_sweep_in_many_blocks_equals_evaluate(pu200):
    params = {"HGCAL.data_bytes": [1e6, 3e6, 4e6], RR: [400.0, 53.3], "year": [2028, 2030, 2032, 2034]}
    res = twidgets.sweep(pu200, params, chunk_size=5, metrics=["f1", "power", "scaled_power", "productivity"])
    assert res.shape == (3, 2, 4)
    rng = np.random.default_rng(7)
    for flat in rng.choice(24, size=10, replace=False):
        i, j, k = np.unravel_index(flat, res.shape)
        ev = twidgets.evaluate(
            pu200, {"HGCAL.data_bytes": params["HGCAL.data_bytes"][i], RR: params[RR][j], "year": params["year"][k]}
        )
        for m in res.metrics:
            assert _same(res.metric(m)[i, j, k], ev.metric(m)), (m, i, j, k)
    # the year only rescales the power by the technology density
    np.testing.assert_allclose(
        res.metric("scaled_power"),
        res.metric("power") / density_scale(np.array(params["year"]))[None, None, :],
        rtol=1e-12,
    )


@pytest.mark.parametrize("chunk_size", [1, 4, 7, 29, 10_000])
def test_chunk_size_does_not_change_results(pu200, result_2d, chunk_size):
    res = twidgets.sweep(pu200, PARAMS_2D, chunk_size=chunk_size)
    for m in DEFAULT_METRICS:
        assert _same(res.metric(m), result_2d.metric(m)), m


def test_axes_follow_param_order(pu200, result_2d):
    swapped = twidgets.sweep(pu200, {BOOST: PARAMS_2D[BOOST], RR: PARAMS_2D[RR]}, metrics=["f1"])
    assert swapped.shape == (5, 6)
    assert list(swapped.params) == [BOOST, RR]
    assert _same(swapped.metric("f1"), result_2d.metric("f1").T)


@settings(max_examples=60, deadline=None)
@given(shape=st.lists(st.integers(1, 6), min_size=1, max_size=4), chunk=st.integers(1, 80))
def test_blocks_are_contiguous_subgrids_covering_the_grid(shape, chunk):
    shape = tuple(shape)
    total = math.prod(shape)
    expected_start = 0
    for start, stop, slices in plan_blocks(shape, chunk):
        assert start == expected_start and stop > start
        sub = np.arange(total).reshape(shape)[slices]
        assert np.array_equal(sub.reshape(-1), np.arange(start, stop))
        assert stop - start <= max(chunk, shape[-1])
        expected_start = stop
    assert expected_start == total


# ------------------------------------------------------------------ repeats
def test_repeats_use_k_seeds_and_report_their_spread(pu200):
    params = {RR: [400.0, 100.0, 53.3], BOOST: [0.0, 0.4]}
    res = twidgets.sweep(pu200, params, repeats=3, seed=5, metrics=["f1", "power"])
    assert res.provenance["seeds"] == [5, 6, 7] and res.repeats == 3
    evs = [
        twidgets.evaluate(pu200, {RR: np.array(params[RR])[:, None], BOOST: np.array(params[BOOST])[None, :]}, seed=s)
        for s in (5, 6, 7)
    ]
    # K different sample sets for the Monte-Carlo L1T stage
    samples = [ev.classifier("Intermediate").null_scores for ev in evs]
    assert not np.array_equal(samples[0], samples[1]) and not np.array_equal(samples[1], samples[2])
    for m in ("f1", "power"):
        stack = np.stack([ev.metric(m) for ev in evs])
        np.testing.assert_allclose(res.metric(m), stack.mean(axis=0), rtol=1e-12)
        # power hardly depends on the seed (every stage keeps exactly input/RR, to the event): its
        # spread may be pure round-off, so it is compared relative to the power itself
        np.testing.assert_allclose(
            res.spread(m), stack.std(axis=0, ddof=1), rtol=1e-9, atol=1e-12 * np.abs(stack).max()
        )
    assert (res.spread("f1") > 0).all()


def test_single_repeat_has_zero_spread(result_2d):
    assert (result_2d.spread("f1") == 0).all()


def test_analytic_classifiers_have_exactly_zero_spread(pu200):
    gauss = pu200.with_params(
        {"Intermediate.classifier": "Gaussian", "Intermediate.skill_mean": 3.0, "Intermediate.skill_scale": 1.0}
    )
    params = {RR: [400.0, 53.3], BOOST: [0.0, 0.5]}
    one = twidgets.sweep(gauss, params, metrics=["f1", "power"])
    three = twidgets.sweep(gauss, params, metrics=["f1", "power"], repeats=3)
    for m in ("f1", "power"):
        assert (three.spread(m) == 0).all()
        assert _same(three.metric(m), one.metric(m))


# ------------------------------------------------------------------ selections
def test_best_is_the_arg_extreme(result_2d):
    prod = result_2d.metric("productivity")
    i, j = np.unravel_index(np.nanargmax(prod), prod.shape)
    assert result_2d.best("productivity") == {RR: PARAMS_2D[RR][i], BOOST: PARAMS_2D[BOOST][j]}
    i, j = np.unravel_index(np.nanargmin(result_2d.metric("power")), prod.shape)
    assert result_2d.best("power", maximize=False) == {RR: PARAMS_2D[RR][i], BOOST: PARAMS_2D[BOOST][j]}


def _brute_front(xs, ys):
    keep = []
    for i in range(len(xs)):
        if np.isnan(xs[i]) or np.isnan(ys[i]):
            continue
        dominated = any(
            xs[j] <= xs[i] and ys[j] >= ys[i] and (xs[j] < xs[i] or ys[j] > ys[i])
            for j in range(len(xs))
            if j != i and not (np.isnan(xs[j]) or np.isnan(ys[j]))
        )
        if not dominated:
            keep.append(i)
    return keep


def test_pareto_points_are_non_dominated(pu200):
    res = twidgets.sweep(
        pu200, {RR: np.linspace(450, 40, 12), BOOST: np.linspace(0, 1, 9)}, metrics=["scaled_power", "f1"]
    )
    front = res.pareto()
    xs, ys = res.metric("scaled_power").ravel(), res.metric("f1").ravel()
    expected = res.to_dataframe().iloc[_brute_front(xs, ys)].sort_values(["scaled_power", "f1"])
    assert len(front) == len(expected) > 1
    assert list(front.columns) == [RR, BOOST, "scaled_power", "f1"]
    np.testing.assert_array_equal(
        front[[RR, BOOST, "scaled_power", "f1"]].to_numpy(), expected[[RR, BOOST, "scaled_power", "f1"]].to_numpy()
    )
    assert (np.diff(front["scaled_power"]) >= 0).all()


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 5), st.integers(0, 5) | st.just(-1)), min_size=1, max_size=30))
def test_pareto_matches_brute_force_with_ties_and_nans(points):
    xs = np.array([p[0] for p in points], dtype=float)
    ys = np.array([np.nan if p[1] < 0 else p[1] for p in points], dtype=float)
    res = SweepResult(
        {"a.x": np.arange(len(points))},
        {"cost": xs, "gain": ys},
        {"cost": np.zeros(len(xs)), "gain": np.zeros(len(xs))},
        {"repeats": 1},
    )
    front = res.pareto(x="cost", y="gain")
    assert sorted(front["a.x"].astype(int)) == _brute_front(xs, ys)


def test_smoothed_is_the_gaussian_filter_of_the_mean(result_2d):
    f1 = result_2d.metric("f1")
    assert _same(result_2d.smoothed("f1", 0), f1)
    sm = result_2d.smoothed("f1", 1.5)
    np.testing.assert_allclose(sm, gaussian_filter(f1, 1.5), rtol=1e-12)
    assert sm.std() < f1.std()
    with pytest.raises(twidgets.ParameterError, match="sigma"):
        result_2d.smoothed("f1", -1)


# ------------------------------------------------------------------ export / provenance
def test_to_dataframe_is_tidy(result_2d):
    df = result_2d.to_dataframe()
    assert len(df) == 30
    assert list(df.columns) == [RR, BOOST, *DEFAULT_METRICS]  # no _std with one repeat
    grid = result_2d.grid()
    assert _same(df[RR], grid[RR].ravel()) and _same(df[BOOST], grid[BOOST].ravel())
    assert _same(df["f1"], result_2d.metric("f1").ravel())
    row = df.iloc[7]
    assert result_2d.point(7) == {RR: row[RR], BOOST: row[BOOST]}


def test_csv_round_trips_values_and_provenance(pu200, tmp_path):
    res = twidgets.sweep(
        pu200, {RR: [400.0, 53.3], "Global.op_efficiency": [8.0, 16.0]}, repeats=2, metrics=["f1", "scaled_power"]
    )
    path = tmp_path / "sweep.csv"
    res.to_csv(path)
    df = pd.read_csv(path, comment="#")
    assert list(df.columns) == [RR, "Global.op_efficiency", "f1", "scaled_power", "f1_std", "scaled_power_std"]
    pd.testing.assert_frame_equal(df, res.to_dataframe(), check_exact=True)
    prov = read_provenance(path)
    assert prov == res.provenance
    assert prov["system"] == "cms-hllhc-pu200" and prov["seed"] == 0 and prov["repeats"] == 2
    assert prov["twidgets_version"] == twidgets.__version__
    assert prov["params"] == {RR: [400.0, 53.3], "Global.op_efficiency": [8.0, 16.0]}
    back = SweepResult.from_csv(path)
    assert back.shape == res.shape and back.provenance == res.provenance
    for m in res.metrics:
        assert _same(back.metric(m), res.metric(m)) and _same(back.spread(m), res.spread(m))


# ------------------------------------------------------------------ progress
def test_progress_callback_counts_points_and_repeats(pu200):
    calls = []
    twidgets.sweep(
        pu200,
        PARAMS_2D,
        chunk_size=8,
        repeats=2,
        metrics=["f1"],
        progress=lambda done, total: calls.append((done, total)),
    )
    assert calls[0] == (0, 60) and calls[-1] == (60, 60)
    assert all(b[0] > a[0] for a, b in zip(calls, calls[1:]))


def test_progress_bar_only_when_asked_or_slow(pu200, capsys):
    twidgets.sweep(pu200, PARAMS_2D, metrics=["f1"])  # tiny: no bar
    assert capsys.readouterr().err == ""
    twidgets.sweep(pu200, PARAMS_2D, metrics=["f1"], progress=False)
    assert capsys.readouterr().err == ""
    twidgets.sweep(pu200, PARAMS_2D, metrics=["f1"], progress=True)
    err = capsys.readouterr().err
    assert "sweep:" in err and "/30" in err  # a tqdm bar on stderr
    with pytest.raises(TypeError, match="progress"):
        twidgets.sweep(pu200, PARAMS_2D, progress="yes")


# ------------------------------------------------------------------ executors
def test_thread_and_process_executors_give_identical_results(pu200):
    params = {RR: [400.0, 100.0, 53.3], BOOST: [0.0, 0.4], "Muon CSC.data_bytes": [4.7e5, 9e5]}
    local = twidgets.sweep(pu200, params, chunk_size=3, repeats=2)
    with ThreadPoolExecutor(2) as ex:
        threaded = twidgets.sweep(pu200, params, chunk_size=3, repeats=2, executor=ex)
    with ProcessPoolExecutor(2) as ex:
        processes = twidgets.sweep(pu200, params, chunk_size=3, repeats=2, executor=ex)
    for m in DEFAULT_METRICS:
        assert _same(threaded.metric(m), local.metric(m)) and _same(processes.metric(m), local.metric(m))
        assert _same(processes.spread(m), local.spread(m))
    assert processes.provenance["executor"] == "ProcessPoolExecutor"


# ------------------------------------------------------------------ bad input
@pytest.mark.parametrize(
    "params, match",
    [
        (
            {"Nowhere.reduction_ratio": [2.0]},
            r"'Nowhere.reduction_ratio'.*no detector or stage named 'Nowhere'.*"
            r"stages: Tracking",
        ),
        ({"Intermediate.speed": [2.0]}, r"'speed' is not a numeric parameter.*Intermediate.reduction_ratio"),
        ({"Intermediate.classifier": ["L1T"]}, r"not a numeric parameter.*with_params"),
        ({"Inner Tracker.reduction_ratio": [2.0]}, r"detector 'Inner Tracker'.*Inner Tracker.data_bytes"),
        ({"reduction_ratio": [2.0]}, r"Stage.param"),
        ({RR: []}, r"'Intermediate.reduction_ratio'.*empty"),
        ({RR: 53.3}, r"'Intermediate.reduction_ratio'.*1-D"),
        ({RR: [[2.0, 3.0]]}, r"'Intermediate.reduction_ratio'.*1-D.*\(1, 2\)"),
        ({RR: ["a", "b"]}, r"'Intermediate.reduction_ratio'.*expected numbers"),
        ({RR: "400"}, r"'Intermediate.reduction_ratio'.*1-D sequence of numbers"),
        ({RR: [400.0, 0.5]}, r"'Intermediate.reduction_ratio'.*0.5 is not a reduction ratio >= 1"),
        ({"Global.compression": [0.5, 1.0]}, r"'Global.compression'.*1.0 is not a fraction in \[0, 1\)"),
        ({RR: [400.0, np.nan]}, r"'Intermediate.reduction_ratio'.*nan"),
        ({"year": [2030], "Global.year": [2032]}, r"same as 'year'"),
        ({}, r"non-empty mapping"),
        ([(RR, [1.0])], r"non-empty mapping"),
    ],
)
def test_bad_params_raise_clear_errors(pu200, params, match):
    with pytest.raises(twidgets.ParameterError, match=match):
        twidgets.sweep(pu200, params)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"metrics": ["f1", "speed"]}, r"unknown metric 'speed'; metrics: f1, precision"),
        ({"metrics": []}, r"metrics is empty"),
        ({"repeats": 0}, r"repeats must be an integer >= 1"),
        ({"chunk_size": 0}, r"chunk_size must be an integer >= 1"),
        ({"seed": -1}, r"seed must be an integer >= 0"),
        ({"seed": 1.5}, r"seed must be an integer"),
        ({"executor": object()}, r"executor must have a submit\(\) method"),
    ],
)
def test_bad_options_raise_clear_errors(pu200, kwargs, match):
    with pytest.raises(twidgets.ParameterError, match=match):
        twidgets.sweep(pu200, {RR: [400.0]}, **kwargs)


def test_not_a_system_and_uncomputed_metric(result_2d):
    with pytest.raises(twidgets.ParameterError, match="expected a System"):
        twidgets.sweep("cms-hllhc-pu200", PARAMS_2D)
    with pytest.raises(twidgets.ParameterError, match=r"'link_power' was not computed.*computed: f1"):
        result_2d.metric("link_power")
    res = SweepResult({"a.x": [1.0, 2.0]}, {"f1": [np.nan, np.nan]}, {"f1": [0.0, 0.0]}, {})
    with pytest.raises(twidgets.ParameterError, match="NaN at every point"):
        res.best("f1")


def test_reporter_shows_a_bar_only_for_long_work(capsys, monkeypatch):
    from twidgets.model.progress import progress_reporter

    with progress_reporter(None, 10, expected_seconds=0.2) as rep:
        rep.update(10)
    assert capsys.readouterr().err == "" and rep.done == 10
    with progress_reporter(None, 10, expected_seconds=5.0) as rep:
        rep.update(10)
    assert "/10" in capsys.readouterr().err
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)  # tqdm not installed
    with progress_reporter(None, 10, expected_seconds=5.0) as rep:
        rep.update(10)
    assert capsys.readouterr().err == ""
    with pytest.raises(ImportError, match="progress=True needs tqdm"):
        progress_reporter(True, 10, expected_seconds=5.0)


# ------------------------------------------------------------------ memory budget, CSV safety
def test_blocks_are_counted_without_listing_them():
    from twidgets.model.sweep import count_blocks

    for shape, chunk in [((7,), 3), ((5, 4, 3), 5), ((2, 50), 7), ((10, 10), 1000), ((3, 4, 5), 1)]:
        assert count_blocks(shape, chunk) == len(list(plan_blocks(shape, chunk)))


def test_sweep_past_the_result_budget_is_refused_before_evaluating(pu200, monkeypatch):
    from twidgets.model import sweep as sweep_module

    calls = []
    monkeypatch.setattr(sweep_module, "evaluate", lambda *a, **k: calls.append(1))
    params = {RR: np.linspace(450, 40, 1000), BOOST: np.linspace(0, 1, 1000), "year": np.arange(2022, 2122)}
    with pytest.raises(twidgets.ParameterError) as info:  # 10^8 points x 7 metrics x 8 B = 5.2 GiB
        twidgets.sweep(pu200, params, progress=False)
    msg = str(info.value)
    fit = sweep_module.RESULT_BUDGET_BYTES // (8 * len(DEFAULT_METRICS))
    assert "100,000,000 points" in msg and f"{fit:,} points" in msg
    with pytest.raises(twidgets.ParameterError, match="and 3 repeats"):
        twidgets.sweep(pu200, params, metrics=["f1", "power"], repeats=3, progress=False)
    assert calls == []


def test_single_repeat_spread_is_not_an_array_per_metric(result_2d):
    # the spreads of a one-repeat sweep share one read-only zero
    assert result_2d.spread("f1").shape == result_2d.shape and not result_2d.spread("f1").any()
    assert result_2d._spreads["f1"].strides == (0, 0)


def test_neutralise_cell_prefixes_exactly_the_formula_starts():
    from twidgets.model.sweep_result import _restore_cell, neutralise_cell

    for text in ("=1+1", "+1", "-1", "@A1", "\tx", "\rx"):
        assert neutralise_cell(text) == "'" + text and _restore_cell(neutralise_cell(text)) == text
    for text in ("Global.f1", "'quoted", "a=b", " =x"):
        assert neutralise_cell(text) == text and _restore_cell(text) == text


# (a stage name may not start with "=": the tables refuse formulas; the other starts pass)
@pytest.mark.parametrize("name", ["+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "+=HYPERLINK(1)"])
def test_csv_neutralises_formula_looking_text_and_reads_it_back(pu200, tmp_path, name):
    system = pu200.rename("Global", name)
    key = f"{name}.reduction_ratio"
    res = twidgets.sweep(system, {key: [50.0, 100.0], BOOST: [0.0, 0.5]}, metrics=["f1", "power"])
    text = res.to_csv_text()
    header = text.splitlines()[2]
    first_cell = pd.read_csv(io.StringIO(text), comment="#", nrows=0).columns[0]
    assert first_cell == "'" + key  # the one text cell a spreadsheet would run is prefixed
    assert header.split(",")[1:] == [BOOST, "f1", "power"]
    res.to_csv(tmp_path / "s.csv")
    assert (tmp_path / "s.csv").read_text(encoding="utf-8") == text
    back = SweepResult.from_csv(tmp_path / "s.csv")
    assert list(back.params) == [key, BOOST]
    assert _same(back.metric("power"), res.metric("power"))
    # numbers, negative ones included, are written as numbers
    neg = twidgets.sweep(pu200, {BOOST: [-0.5, 0.5]}, metrics=["f1"])
    assert neg.to_csv_text().splitlines()[3].startswith("-0.5,")


def test_csv_written_in_row_chunks_equals_one_dataframe(pu200, monkeypatch):
    from twidgets.model import sweep_result

    res = twidgets.sweep(pu200, {RR: np.linspace(450, 40, 7), BOOST: np.linspace(0, 1, 3)}, metrics=["f1"])
    whole = res.to_csv_text()
    monkeypatch.setattr(sweep_result, "CSV_ROWS_PER_WRITE", 4)
    assert res.to_csv_text() == whole
    assert len(whole.splitlines()) == 2 + 1 + 21


def test_csv_to_a_path_replaces_atomically_and_leaves_no_temporary(result_2d, tmp_path, monkeypatch):
    import os

    target = tmp_path / "out.csv"
    target.write_text("old complete file\n")
    real_replace = os.replace
    seen = []

    def replace(src, dst):
        seen.append((os.path.dirname(src), os.path.basename(src), open(src).read() == result_2d.to_csv_text()))
        assert target.read_text() == "old complete file\n"  # untouched until the rename
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", replace)
    result_2d.to_csv(target)
    assert seen and seen[0][0] == str(tmp_path) and seen[0][2]
    assert target.read_text(encoding="utf-8") == result_2d.to_csv_text()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv"]
    with pytest.raises(OSError):
        result_2d.to_csv(tmp_path / "missing-dir" / "x.csv")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv"]


def test_sweep_memory_does_not_grow_with_the_grid_beyond_its_results(pu200):
    import tracemalloc

    def peak(n):
        params = {RR: np.linspace(450, 40, n), BOOST: np.linspace(0, 1, n)}
        tracemalloc.start()
        try:
            res = twidgets.sweep(pu200, params, metrics=["f1"], progress=False)
            return tracemalloc.get_traced_memory()[1], res
        finally:
            tracemalloc.stop()

    twidgets.sweep(pu200, {RR: [50.0]}, metrics=["f1"], progress=False)  # classifier samples built once
    small, _ = peak(60)  # 3,600 points: one block
    large, res = peak(400)  # 160,000 points: ten blocks of 16,384
    result_growth = 8 * (400**2 - 60**2)  # the one result array (f1 means)
    # evaluating the whole grid at once would need ~20 B per point and node (~80 MiB here)
    assert large - small < result_growth + 16 * 2**20, (small, large)
    assert res.metric("f1").shape == (400, 400)
