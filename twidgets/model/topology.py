"""How the nodes of a system connect: references, the sink, cycles, liveness, order.

Detectors feed the stage named in their ``Category``; each stage feeds the stage named in
its ``Output``; exactly one stage (the sink, storage) has an empty ``Output``. Every
check raises :class:`SpecError` at the row and column to fix.
"""

from __future__ import annotations

import heapq

from .errors import SpecError
from .tables import check_curves

__all__ = ["check_topology", "topological_order", "curves_by_stage"]


def _check_references(det_rows: list, stg_rows: list, stage_names: list) -> list:
    """Unknown Category / Output names and self-loops; returns the indices of the sinks."""
    stage_set = set(stage_names)
    for i, r in enumerate(det_rows):
        if r["output"] not in stage_set:
            raise SpecError(
                f"unknown Category {r['output']!r}: it must name a stage of the Triggers sheet "
                f"({', '.join(stage_names)})"
                if r["output"]
                else "empty cell: which stage does this detector feed?",
                sheet="Detectors",
                row=i + 2,
                column="Category",
            )
    sinks = []
    for i, r in enumerate(stg_rows):
        out = r["output"]
        if out == "":
            sinks.append(i)
        elif out == r["name"]:
            raise SpecError(f"stage {out!r} outputs to itself", sheet="Triggers", row=i + 2, column="Output")
        elif out not in stage_set:
            raise SpecError(
                f"unknown Output {out!r}: it must name another stage "
                f"({', '.join(stage_names)}) or be empty for the sink",
                sheet="Triggers",
                row=i + 2,
                column="Output",
            )
    return sinks


def _check_one_sink(sinks: list, stage_names: list) -> None:
    if not sinks:
        raise SpecError(
            "no sink: exactly one stage must have an empty Output (storage, e.g. 'Disk')",
            sheet="Triggers",
            column="Output",
        )
    if len(sinks) > 1:
        names = ", ".join(f"{stage_names[i]!r} (row {i + 2})" for i in sinks)
        raise SpecError(
            f"several sinks: {names} have an empty Output; exactly one stage may",
            sheet="Triggers",
            row=sinks[1] + 2,
            column="Output",
        )


def _find_cycle(stage_names: list, output_of: dict) -> list | None:
    """The first cycle met walking each stage's outputs in table order (its members, in
    flow order, from the stage the walk re-entered), or ``None``. Each stage has at most one
    output, so a walk is a path."""
    done: set = set()
    for start in stage_names:
        path: list = []
        on_path: dict = {}
        node = start
        while node and node not in done:
            if node in on_path:
                return path[on_path[node] :]
            on_path[node] = len(path)
            path.append(node)
            node = output_of.get(node, "")
        done.update(path)
    return None


def _check_acyclic(stg_rows: list, stage_names: list) -> None:
    members = _find_cycle(stage_names, {r["name"]: r["output"] for r in stg_rows})
    if members is None:
        return
    first = min(stage_names.index(m) for m in members)
    raise SpecError(
        f"cycle: {' -> '.join(members + [members[0]])}; outputs must lead to the sink",
        sheet="Triggers",
        row=first + 2,
        column="Output",
    )


def _check_live(det_rows: list, stg_rows: list) -> None:
    """Every stage must receive events from some detector."""
    output_of = {r["name"]: r["output"] for r in stg_rows}
    live: set = set()
    for start in {r["output"] for r in det_rows}:
        node = start
        while node and node not in live:
            live.add(node)
            node = output_of[node]
    for i, r in enumerate(stg_rows):
        if r["name"] not in live:
            raise SpecError(
                f"stage {r['name']!r} receives no events: no detector's Category and no "
                "upstream stage's Output leads to it; connect it or delete the row",
                sheet="Triggers",
                row=i + 2,
                column="Name",
            )


def check_topology(det_rows: list, stg_rows: list) -> None:
    """References name stages, one sink, no cycle, every stage fed (in that order)."""
    stage_names = [r["name"] for r in stg_rows]
    sinks = _check_references(det_rows, stg_rows, stage_names)
    _check_one_sink(sinks, stage_names)
    _check_acyclic(stg_rows, stage_names)
    _check_live(det_rows, stg_rows)


def topological_order(names: list, outputs: dict) -> list:
    """``names`` (detectors first, in table order) sorted so every node precedes its output;
    among the nodes ready at each step, the earliest in ``names`` comes first."""
    index = {n: i for i, n in enumerate(names)}
    waiting = dict.fromkeys(names, 0)  # number of inputs not yet placed
    for out in outputs.values():
        if out:
            waiting[out] += 1
    ready = [index[n] for n in names if waiting[n] == 0]
    heapq.heapify(ready)
    order: list = []
    while ready:
        node = names[heapq.heappop(ready)]
        order.append(node)
        out = outputs.get(node)
        if out:
            waiting[out] -= 1
            if waiting[out] == 0:
                heapq.heappush(ready, index[out])
    if len(order) != len(names):
        raise SpecError("the outputs form a cycle; every output must lead to the sink", sheet="Triggers")
    return order


def curves_by_stage(cur, stg_rows: list) -> tuple:
    """``(curves frame or None, {stage: {object: [(energy, efficiency), ...]}})``, checked."""
    if cur is None:
        return None, {}
    cframe, crows = cur
    stage_set = {r["name"] for r in stg_rows}
    curve_map: dict = {}
    first_row: dict = {}
    for i, r in enumerate(crows):
        if r["stage"] not in stage_set:
            raise SpecError(f"unknown stage {r['stage']!r}", sheet="Curves", row=i + 2, column="Stage")
        curve_map.setdefault(r["stage"], {}).setdefault(r["object"], []).append((r["energy"], r["efficiency"]))
        first_row.setdefault((r["stage"], r["object"]), i + 2)
    check_curves(curve_map, first_row, {r["name"]: r["classifier"] for r in stg_rows})
    return cframe, curve_map
