"""Same seed -> bit-identical evaluations and sweeps, also in separate processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import twidgets
from twidgets.model.sample_cache import SAMPLE_CACHE

# Prints a JSON object of sha256 digests of everything an evaluation and a sweep return.
_SCRIPT = textwrap.dedent("""
    import hashlib, json, sys
    import numpy as np
    import twidgets

    def digest(*arrays):
        h = hashlib.sha256()
        for a in arrays:
            a = np.ascontiguousarray(np.asarray(a, dtype=np.float64))
            h.update(repr(a.shape).encode())
            h.update(a.tobytes())
        return h.hexdigest()

    def ev_digest(ev):
        parts = [ev.power, ev.link_power, ev.op_power, ev.scaled_power, ev.confusion, ev.precision,
                 ev.recall, ev.f1, ev.productivity, ev.output_rate]
        for name in ev.stages.index:
            for q in ("input_rate", "output_rate", "threshold", "message_bytes", "op_power", "contingency"):
                parts.append(ev.value(name, q))
        return digest(*parts)

    seed = int(sys.argv[1])
    out = {}
    for name in ("cms-hllhc-pu200", "cms-run3-pu60"):
        s = twidgets.load_system(name)
        out[name + ":scalar"] = ev_digest(twidgets.evaluate(s, seed=seed))
    s = twidgets.load_system("cms-hllhc-pu200")
    rr = np.linspace(450, 40, 21)[:, None]
    boost = np.linspace(0, 1, 11)[None, :]
    ev = twidgets.evaluate(s, {"Intermediate.reduction_ratio": rr, "Intermediate.skill_boost": boost}, seed=seed)
    out["grid"] = ev_digest(ev)
    l1 = ev.classifier("Intermediate")
    out["l1t:null"] = digest(l1.null_scores)
    out["l1t:pos"] = digest(l1.pos_scores)
    out["l1t:threshold"] = digest(l1.threshold)
    out["hlt:classifier"] = digest(*(lambda c: (c.null_scores, c.pos_scores))(
        twidgets.evaluate(s.with_stage("Global", classifier="HLT"), seed=seed).classifier("Global")))
    out["gauss:display"] = digest(ev.classifier("Global").null_scores, ev.classifier("Global").pos_scores)
    from twidgets.cms.scenarios import paper_table, scenario_table
    for label, table in (("paper", paper_table(seed=seed)), ("scenarios", scenario_table(seed=seed))):
        out[label] = digest(*(table[c].to_numpy(dtype=float) for c in table.columns if table[c].dtype != object))
    try:
        res = twidgets.sweep(s, {"Intermediate.reduction_ratio": np.linspace(450, 40, 9),
                                 "Intermediate.skill_boost": np.linspace(0, 1, 5)},
                             seed=seed, repeats=2, chunk_size=10, progress=False)
        out["sweep"] = digest(*(res.metric(m) for m in res.metrics), *(res.spread(m) for m in res.metrics))
    except (ImportError, AttributeError):
        out["sweep"] = "no sweep"
    print(json.dumps(out, sort_keys=True))
""")


def _run(seed: int, hashseed: str) -> dict:
    env = dict(os.environ, PYTHONHASHSEED=hashseed)
    return subprocess.Popen(
        [sys.executable, "-c", _SCRIPT, str(seed)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )


def _result(proc) -> dict:
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    return json.loads(out.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def runs():
    # two fresh interpreters at once, same seed, different hash seeds
    procs = [_run(0, "1"), _run(0, "2")]
    return [_result(p) for p in procs]


def _in_process(seed: int) -> dict:
    ns: dict = {}
    code = _SCRIPT.replace("seed = int(sys.argv[1])", f"seed = {int(seed)}").replace(
        "print(json.dumps(out, sort_keys=True))", ""
    )
    exec(compile(code, "<determinism script>", "exec"), ns)  # our own fixed script, not user text
    return ns["out"]


def test_same_seed_is_bit_identical_across_processes(runs):
    a, b = runs
    assert a == b
    assert a["sweep"] != "no sweep", "twidgets.sweep is expected to exist"


def test_different_seeds_differ_for_the_monte_carlo_stage(runs):
    a, c = runs[0], _in_process(1)
    assert a["l1t:null"] != c["l1t:null"]
    assert a["l1t:pos"] != c["l1t:pos"]
    assert a["hlt:classifier"] != c["hlt:classifier"]
    assert a["grid"] != c["grid"]
    assert a["sweep"] != c["sweep"]
    assert a["paper"] != c["paper"]  # the L1T samples differ, so do the published-table F1 values


def test_subprocess_matches_this_process(runs):
    # the digests are the same computed here (after dropping every classifier cache)
    SAMPLE_CACHE.clear()
    assert _in_process(0) == runs[0]


def test_repeated_evaluations_in_one_process_are_identical():
    s = twidgets.load_system("cms-hllhc-pu200")
    a = twidgets.evaluate(s, seed=3)
    SAMPLE_CACHE.clear()
    b = twidgets.evaluate(s, seed=3)
    assert a.classifier("Intermediate")._clf is not b.classifier("Intermediate")._clf  # really redrawn
    for name in ("power", "scaled_power", "f1", "precision", "recall", "productivity", "output_rate"):
        assert getattr(a, name) == getattr(b, name), name
    assert np.array_equal(a.confusion, b.confusion)
    assert np.array_equal(a.classifier("Intermediate").null_scores, b.classifier("Intermediate").null_scores)


def test_vectorised_grid_equals_scalar_points_bit_for_bit():
    s = twidgets.load_system("cms-hllhc-pu200")
    rr = np.array([450.0, 120.0, 53.3, 40.0])
    boost = np.array([0.0, 0.4, 1.0])
    ev = twidgets.evaluate(s, {"Intermediate.reduction_ratio": rr[:, None], "Intermediate.skill_boost": boost}, seed=5)
    for i, r in enumerate(rr):
        for j, b in enumerate(boost):
            one = twidgets.evaluate(s, {"Intermediate.reduction_ratio": r, "Intermediate.skill_boost": b}, seed=5)
            assert one.power == ev.power[i, j]
            assert one.f1 == ev.f1[i, j]
            assert np.array_equal(one.confusion, ev.confusion[i, j])


def test_sweep_in_worker_processes_is_identical_to_local():
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    s = twidgets.load_system("cms-hllhc-pu200")
    params = {"Intermediate.reduction_ratio": np.linspace(450, 40, 7), "Intermediate.skill_boost": [0.0, 0.5, 1.0]}
    local = twidgets.sweep(s, params, seed=2, chunk_size=4, progress=False)
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("fork")) as ex:
        remote = twidgets.sweep(s, params, seed=2, chunk_size=4, executor=ex, progress=False)
    for m in local.metrics:
        assert np.array_equal(local.metric(m), remote.metric(m), equal_nan=True), m
