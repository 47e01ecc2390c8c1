"""Memory bounds of the Monte-Carlo models: a per-system sample budget, a cache bounded in bytes."""

from __future__ import annotations

import threading

import numpy as np
import pytest

import twidgets
from twidgets import ParameterError, SpecError
from twidgets.model.sample_cache import (
    MAX_SYSTEM_SAMPLES,
    SAMPLE_CACHE,
    SampleCache,
    check_sample_budget,
    sample_bytes,
)


def test_budget_names_the_stage_the_total_and_the_budget():
    assert check_sample_budget([("A", 1000), ("B", 2000)]) == 6000
    with pytest.raises(ParameterError, match=r"stage 'B'.*12,000.*budget of 10,000"):
        check_sample_budget([("A", 1000), ("B", 5000), ("C", 1)], budget=10_000)


def test_a_workbook_past_the_budget_is_refused_naming_row_and_column():
    s = twidgets.load_system("cms-hllhc-pu200")
    ok = s.with_stage("Intermediate", n_samples=MAX_SYSTEM_SAMPLES // 2)  # exactly the budget (Global: Gaussian)
    assert ok.param("Intermediate.n_samples") == MAX_SYSTEM_SAMPLES // 2
    stages = s.stages
    stages.loc[stages.Name == "Global", "Classifier"] = "HLT"
    stages["Samples"] = [None] * 4 + [6_000_000, 6_000_000, None]
    with pytest.raises(SpecError) as err:
        twidgets.System.from_frames(s.detectors, stages, s.globals)
    msg = str(err.value)
    assert "'Global'" in msg and "24,000,000" in msg and f"{MAX_SYSTEM_SAMPLES:,}" in msg
    assert err.value.sheet == "Triggers" and err.value.column == "Samples" and err.value.row == 7


def test_budget_also_guards_structural_overrides():
    s = twidgets.load_system("cms-hllhc-pu200").with_stage("Global", classifier="HLT", n_samples=9_000_000)
    with pytest.raises((SpecError, ParameterError), match="budget"):
        twidgets.evaluate(s, {"Intermediate.n_samples": 2_000_000})


def _arr(nbytes):
    return np.zeros(nbytes // 8)


def test_cache_is_bounded_in_bytes_least_recently_used_first():
    cache = SampleCache(max_bytes=1000)
    built = []

    def build(key, nbytes):
        def f():
            built.append(key)
            return _arr(nbytes)

        return cache.get(key, f)

    a = build("a", 400)
    build("b", 400)
    assert build("a", 400) is a and built == ["a", "b"]  # a hit, and now the most recent
    build("c", 400)  # 1200 > 1000: drops b, the least recently used
    assert "b" not in cache and "a" in cache and "c" in cache
    assert cache.nbytes == 800 and len(cache) == 2
    huge = build("huge", 4000)  # larger than the budget: returned, not kept
    assert huge.nbytes == 4000 and "huge" not in cache and cache.nbytes == 800
    cache.clear()
    assert cache.nbytes == 0 and len(cache) == 0


def test_cache_shares_one_value_between_threads():
    cache = SampleCache(max_bytes=10_000)
    out = []
    threads = [threading.Thread(target=lambda: out.append(cache.get("k", lambda: _arr(800)))) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(cache) == 1 and cache.nbytes == 800
    assert all(x is cache.get("k", lambda: _arr(800)) for x in out[-1:])


def test_the_shared_cache_holds_classifiers_by_their_sample_bytes():
    SAMPLE_CACHE.clear()
    s = twidgets.load_system("cms-hllhc-pu200")
    ev = twidgets.evaluate(s, seed=11)
    clf = ev.classifier("Intermediate")._clf
    assert sample_bytes(clf) == 2 * 50_000 * 8
    assert SAMPLE_CACHE.nbytes >= sample_bytes(clf)
    assert SAMPLE_CACHE.max_bytes == 512 * 2**20
