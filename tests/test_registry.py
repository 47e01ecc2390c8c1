"""The generic core and its registry: classifier kinds register themselves; the core imports no study."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import twidgets
from twidgets import ParameterError, SpecError
from twidgets.model import registry
from twidgets.model.classifiers import SampledClassifier
from twidgets.model.registry import (
    ClassifierKind,
    calibration_names,
    classifier_kind,
    classifier_kinds,
    register_classifier,
)

sys.path.insert(0, str(Path(__file__).parent))
from generic_system import sensor_network

MODEL = Path(twidgets.__file__).parent / "model"


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            out |= {"." * node.level + (node.module or "") + "." + a.name for a in node.names}
    return out


def test_the_core_imports_no_study_package():
    for path in MODEL.glob("*.py"):
        for name in _imports(path):
            assert "cms" not in name.split("."), f"{path.name} imports {name}"
            assert not name.startswith("..widgets"), f"{path.name} imports {name}"


def test_the_core_source_names_no_cms_object():
    for path in MODEL.glob("*.py"):
        text = path.read_text()
        for word in ("L1T_", "HLT_PATHS", "egamma", "Scenario"):
            assert word not in text, f"{path.name} mentions {word}"


def _code_strings(path):
    """String constants of a module's code: docstrings left out (they may cite examples)."""
    tree = ast.parse(path.read_text())
    docstrings = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                docstrings.add(id(first.value))
    return [
        n.value
        for n in ast.walk(tree)
        if isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in docstrings
    ]


def test_core_and_widget_code_names_no_cms_stage_or_system():
    words = ("cms-", "Intermediate", "hlt-cpu", "hlt-gpu", "l1t-linear", "Inner Tracker", "HGCAL")
    for folder in (MODEL, MODEL.parent / "widgets"):
        for path in folder.glob("*.py"):
            for text in _code_strings(path):
                for word in words:
                    assert word not in text, f"{path.parent.name}/{path.name} names {word!r} in {text!r}"


def test_the_default_system_and_complexity_names_come_from_the_study():
    from twidgets.model.complexity import NAMED, parse_complexity, register_complexity
    from twidgets.model.io import default_system, list_systems

    assert registry.default_system() == "cms-hllhc-pu200" == default_system()
    assert default_system() in list_systems()
    assert {"l1t-linear", "hlt-cpu", "hlt-gpu"} <= set(NAMED)
    with pytest.raises(ParameterError, match="already registered"):
        register_complexity("hlt-cpu", lambda: parse_complexity("poly:1"))
    with pytest.raises(ParameterError, match="lower-case word"):
        register_complexity("Bad Name", lambda: parse_complexity("poly:1"))
    with pytest.raises(ParameterError, match="'hlt-gpu'"):
        parse_complexity("no-such-model")


def test_builtin_and_cms_kinds_are_registered():
    assert classifier_kinds()[:2] == ("Dummy", "Gaussian")
    assert {"L1T", "HLT"} <= set(classifier_kinds())
    assert classifier_kind("l1t").name == "L1T" and classifier_kind("l1t").monte_carlo
    assert classifier_kind("L1T").curve_objects == ("jet", "muon", "egamma", "tau")
    assert classifier_kind("Gaussian").curve_objects == ()
    assert calibration_names()[0] == "published"
    assert {"per-object", "parametric"} <= set(calibration_names())
    with pytest.raises(ParameterError, match="unknown classifier 'Magic'.*Dummy, Gaussian"):
        classifier_kind("Magic")


def test_a_second_kind_with_the_same_name_is_refused():
    with pytest.raises(ParameterError, match="already registered"):
        register_classifier(ClassifierKind("gaussian", lambda node, seed: None))
    with pytest.raises(ParameterError, match="callable"):
        ClassifierKind("Broken", None)  # type: ignore[arg-type]


def _toy(node, seed):
    """A user's own Monte-Carlo classifier: irrelevant ~ U(0, 1), relevant ~ U(0.5, 1.5)."""
    rng = np.random.default_rng(seed)
    n = node.n_samples
    return SampledClassifier("Toy", rng.random(n), 0.5 + rng.random(n))


def test_a_new_kind_works_through_workbook_evaluate_and_budget(monkeypatch):
    monkeypatch.setattr(registry, "_KINDS", dict(registry._KINDS))  # forget the Toy kind afterwards
    register_classifier(ClassifierKind("Toy", _toy, monte_carlo=True, description="uniform scores"))
    register_classifier(ClassifierKind("Toy", _toy, monte_carlo=True, description="uniform scores"))  # idempotent
    base = sensor_network()
    stages = base.stages
    stages.loc[stages.Name == "Edge", "Classifier"] = "toy"
    system = twidgets.System.from_frames(base.detectors, stages, base.globals)
    assert system.param("Edge.classifier") == "Toy"
    ev = twidgets.evaluate(system, {"Edge.reduction_ratio": np.array([2.0, 20.0])}, seed=4)
    assert ev.classifier("Edge").kind == "Toy"
    np.testing.assert_allclose(ev.value("Edge", "output_rate"), [1e6 / 2, 1e6 / 20], atol=2)
    # the generic kind counts against the sample budget like any Monte-Carlo stage
    stages.loc[stages.Name == "Datacenter", "Classifier"] = "Toy"
    stages["Samples"] = [None, None, 6_000_000, 6_000_000, None]
    with pytest.raises(SpecError, match="stage 'Datacenter'.*budget"):
        twidgets.System.from_frames(base.detectors, stages, base.globals)


def test_unknown_curve_object_is_named_with_the_registered_objects():
    s = twidgets.load_system("cms-hllhc-pu200")
    curves = pd.DataFrame(
        {"Stage": ["Intermediate"] * 2, "Object": ["photon"] * 2, "Energy (GeV)": [1, 2], "Efficiency": [0.1, 0.9]}
    )
    with pytest.raises(SpecError, match="unknown trigger object 'photon'.*jet, muon, egamma, tau"):
        twidgets.System.from_frames(s.detectors, s.stages, s.globals, curves=curves)


def test_the_cms_package_describes_every_bundled_system():
    from twidgets.cms import STUDY
    from twidgets.cms.systems import DESCRIPTIONS, SYSTEMS

    assert set(SYSTEMS) == set(DESCRIPTIONS) == set(twidgets.list_systems()) == set(STUDY.systems)
    assert STUDY.axes == ("Intermediate.reduction_ratio", "Intermediate.skill_boost") and STUDY.stage == "Intermediate"
    assert [s.name for s in STUDY.scenarios][0] == "Phase-1" and len(STUDY.variants()) == 9
