"""The immutable System: accessors, derivation, graph, parameter addressing."""

from __future__ import annotations

import copy
import pickle

import networkx as nx
import pandas as pd
import pytest

import twidgets
from twidgets import ParameterError, SpecError, System


def test_bundled_names(pu200):
    assert twidgets.list_systems() == sorted(
        [
            "cms-run3-pu60",
            "cms-hllhc-pu140",
            "cms-hllhc-pu200",
            "cms-hllhc-pu200-smartpx",
            "cms-hllhc-pu200-smartpx-lowpower",
        ]
    )
    assert pu200.name == "cms-hllhc-pu200"
    assert len(pu200.detectors) == 19 and len(pu200.stages) == 7
    assert pu200.year == 2032 and pu200.sink == "Disk"
    with pytest.raises(SpecError, match="no bundled system named 'cms-lhc'.*cms-hllhc-pu200"):
        twidgets.load_system("cms-lhc")


def test_tables_are_copies(pu200):
    det = pu200.detectors
    det.loc[0, "Data (bytes)"] = -1
    assert pu200.detectors.loc[0, "Data (bytes)"] == 1_440_000
    g = pu200.graph
    with pytest.raises(nx.NetworkXError):
        g.add_node("x")
    glob = pu200.globals
    glob["Year"] = 1999
    assert pu200.year == 2032


def test_with_stage_returns_a_new_system(pu200):
    s2 = pu200.with_stage("Intermediate", reduction_ratio=80, skill_boost=0.4)
    assert s2 is not pu200 and s2 != pu200
    assert s2.param("Intermediate.reduction_ratio") == 80
    assert s2.param("Intermediate.skill_boost") == 0.4
    assert pu200.param("Intermediate.reduction_ratio") == 53.3
    assert s2.with_stage("Intermediate", reduction_ratio=53.3, skill_boost=0.0) == pu200
    s3 = pu200.with_detector("Inner Tracker", data_bytes=662_400)
    smart = twidgets.load_system("cms-hllhc-pu200-smartpx")
    pd.testing.assert_frame_equal(s3.detectors, smart.detectors)
    pd.testing.assert_frame_equal(s3.stages, smart.stages)
    assert pu200.with_year(2030).year == 2030
    with pytest.raises(ParameterError, match="reduction ratio >= 1"):
        pu200.with_stage("Intermediate", reduction_ratio=0.5)
    with pytest.raises(ParameterError, match="is a detector"):
        pu200.with_stage("Inner Tracker", reduction_ratio=2)
    with pytest.raises(ParameterError, match="no parameter 'colour'"):
        pu200.with_stage("Global", colour="red")
    with pytest.raises(SpecError, match="unknown classifier"):
        pu200.with_stage("Global", classifier="Oracle")


def test_structural_edits_are_validated(pu200):
    with pytest.raises(SpecError, match="cycle"):
        pu200.with_stage("Global", output="Intermediate")
    with pytest.raises(SpecError, match="outputs to itself"):
        pu200.with_stage("Global", output="Global")
    gpu = pu200.with_stage("Global", complexity="hlt-gpu")
    assert gpu.param("Global.complexity") == "hlt-gpu"


def test_rename_follows_references(pu200):
    s = pu200.rename("Tracking", "Tracker Readout")
    assert "Tracker Readout" in s.stage_names
    assert (s.detectors["Category"] == "Tracker Readout").sum() == 4
    assert twidgets.evaluate(s).power == twidgets.evaluate(pu200).power
    with pytest.raises(SpecError, match="duplicate name"):
        pu200.rename("Tracking", "Timing")


def test_graph_structure(pu200):
    g = pu200.graph
    assert nx.is_directed_acyclic_graph(g)
    assert g.number_of_nodes() == 26
    assert set(g.successors("Inner Tracker")) == {"Tracking"}
    assert list(g.successors("Intermediate")) == ["Global"]
    assert g.nodes["Intermediate"]["classifier"] == "L1T"
    assert g.edges["Global", "Disk"]["link_efficiency"] == 2.5e-11
    assert [n.name for n in pu200.nodes][-3:] == ["Intermediate", "Global", "Disk"]


def test_param_addressing(pu200):
    assert pu200.param("Inner Tracker.data_bytes") == 1_440_000
    assert pu200.param("year") == 2032
    assert pu200.param("Global.classifier") == "Gaussian"
    assert "Intermediate.reduction_ratio" in pu200.parameters()
    with pytest.raises(ParameterError, match="Stage.param"):
        pu200.param("reduction_ratio")
    with pytest.raises(ParameterError, match="no detector or stage named 'Nope'"):
        pu200.param("Nope.data_bytes")


def test_immutability_copy_pickle(pu200):
    assert copy.deepcopy(pu200) is pu200
    assert pickle.loads(pickle.dumps(pu200)) == pu200
    with pytest.raises(TypeError):
        System()


def test_extra_columns_are_kept(pu200):
    det = pu200.detectors
    det["Notes"] = ["n%d" % i for i in range(len(det))]
    s = System.from_frames(det, pu200.stages, {"Year": 2032, "Campaign": "HL-LHC"})
    assert s.detectors["Notes"].tolist() == det["Notes"].tolist()
    assert s.globals["Campaign"] == "HL-LHC"
    assert twidgets.evaluate(s).power == twidgets.evaluate(pu200).power


def test_stage_without_events_is_an_error(pu200):
    import pandas as pd

    stg = pu200.stages
    extra = stg.iloc[[0]].copy()
    extra["Name"] = "Orphan"
    stg = pd.concat([stg, extra], ignore_index=True)
    with pytest.raises(SpecError) as e:
        System.from_frames(pu200.detectors, stg, {"Year": 2032})
    assert (e.value.sheet, e.value.row, e.value.column) == ("Triggers", 9, "Name")
    assert "receives no events" in str(e.value)
