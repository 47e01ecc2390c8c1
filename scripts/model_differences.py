"""Measure where twidgets differs from the published research code, and by how much.

Prints a Markdown table (the README section "Where twidgets differs" quotes it). Every
number is computed here, from twidgets itself, on the pile-up-200 CMS baseline (L1 RR
53.3, CPU HLT, no L1 tracking) unless a row says otherwise:

* curve choice -- F1 with the measured turn-on points (``published``, the default) against
  the parametric fits (``parametric``) and against each object's own rate (``per-object``),
  mean over seeds 0-4;
* seeded Monte Carlo -- the run-to-run spread of F1 over ten seeds: what an unseeded run
  (the research code) varies by, and what a fixed seed removes;
* exact target rate -- the L1 output rate of the fractional solve against the one-sample
  quantised solve ("smallest threshold reaching the target") at L1 RR 400 and 53.3, and the
  system power that follows (the HLT's compute scales with the L1 output);
* minimiser landing -- the size of one Monte-Carlo sample in L1 output rate and power
  (the published code lands one or two samples either side of the target);
* Gaussian threshold clipped to [0, 20] -- the output rate of a Gaussian stage at small
  reduction ratios where the research code's clip binds.

Run: ``python scripts/model_differences.py [--seeds N]``.
"""

from __future__ import annotations

import argparse

import numpy as np
from scipy.special import ndtr

import twidgets
from twidgets.model.classifiers import solve_gaussian

L1 = "Intermediate"
BASE = {f"{L1}.reduction_ratio": 53.3, "Global.complexity": "hlt-cpu", "year": 2032}


def f1_over_seeds(system, overrides, seeds) -> np.ndarray:
    return np.array([twidgets.evaluate(system, overrides, seed=s).f1 for s in seeds])


def quantised_kept(null, pos, boost, neg_in, pos_in, rr) -> float:
    """Events/s an L1 stage keeps when its threshold is the smallest sample reaching 1 - 1/RR."""
    total = neg_in + pos_in
    scores = np.concatenate([null, pos + boost])
    weights = np.concatenate(
        [np.full(null.size, neg_in / total / null.size), np.full(pos.size, pos_in / total / pos.size)]
    )
    order = np.argsort(scores, kind="stable")
    cum = np.cumsum(weights[order])
    rejected = cum[np.searchsorted(cum, 1.0 - 1.0 / rr - 1e-12)]
    return float(total * (1.0 - rejected))


def exact_vs_quantised(system, rr: float, seed: int) -> tuple[float, float, float, float, float]:
    """Target, exact and quantised L1 output (events/s), the quantised solve's power change (W,
    today's technology: the HLT's compute and the L1 output link scale with the L1 output) and
    the system power (W)."""
    ev = twidgets.evaluate(system, dict(BASE, **{f"{L1}.reduction_ratio": rr}), seed=seed)
    node = ev.node(L1)
    neg_in, pos_in = float(node.irrelevant_in), float(node.relevant_in)
    clf = ev.classifier(L1)
    kept_q = quantised_kept(clf.null_scores, clf.pos_scores, 0.0, neg_in, pos_in, rr)
    exact = ev.value(L1, "output_rate")
    per_event = (ev.value("Global", "op_power") + ev.value(L1, "link_power")) / exact
    return (neg_in + pos_in) / rr, exact, kept_q, (kept_q - exact) * per_event, ev.power


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=5, help="seeds averaged for F1 (default 5)")
    args = ap.parse_args(argv)
    seeds = range(args.seeds)
    system = twidgets.load_system("cms-hllhc-pu200")
    rows = []

    pub = f1_over_seeds(system, BASE, seeds)
    for cal in ("parametric", "per-object"):
        other = f1_over_seeds(system, dict(BASE, **{f"{L1}.calibration": cal}), seeds)
        rows.append(
            (
                f"L1 turn-on curves: measured points (default) vs `{cal}`",
                f"F1 {pub.mean():.4f} vs {other.mean():.4f} (mean of {len(pub)} seeds): "
                f"{other.mean() - pub.mean():+.4f}",
            )
        )

    spread = f1_over_seeds(system, BASE, range(10))
    rows.append(
        (
            "seeded Monte Carlo (the research code is unseeded)",
            f"F1 run-to-run spread over 10 seeds: sd {spread.std(ddof=1):.4f}, range {np.ptp(spread):.4f}; "
            "a fixed seed gives bit-identical results",
        )
    )

    for rr in (400.0, 53.3):
        target, exact, quant, dpower, power = exact_vs_quantised(system, rr, 0)
        rows.append(
            (
                f"exact target rate vs one-sample quantised solve, L1 RR {rr:g}",
                f"L1 output {exact:,.0f} vs {quant:,.0f} events/s (target {target:,.0f}): "
                f"{100 * (quant / target - 1):+.2f} %; system power {100 * dpower / power:+.2f} %",
            )
        )

    n = system.node(L1).n_samples
    ev = twidgets.evaluate(system, BASE)
    sample_rate = ev.value(L1, "input_rate") / n
    rows.append(
        (
            "minimiser landing one or two samples off the target (research code)",
            f"one sample = {sample_rate:,.0f} events/s of L1 output at {n:,} samples "
            f"({100 * sample_rate / ev.value(L1, 'output_rate'):.2f} % of the L1 output at RR 53.3)",
        )
    )

    # a Gaussian stage at small reduction ratios: the research code searches t in [0, 20]
    neg, pos = 9.9e5, 1e4
    for rr in (1.2, 1.5, 2.0):
        rho = 1 - 1 / rr
        t, f0, f1 = solve_gaussian(4.0, 1.0, neg, pos, rho)
        tc = max(float(t), 0.0)
        kept_exact = neg * (1 - f0) + pos * (1 - f1)
        kept_clip = neg * (1 - ndtr(tc)) + pos * (1 - ndtr(tc - 4.0))
        rows.append(
            (
                f"Gaussian threshold clipped to [0, 20] (skill 4, RR {rr:g})",
                f"kept {kept_exact / (neg + pos):.3f} of the input (exact) vs {kept_clip / (neg + pos):.3f} "
                f"(clipped): {100 * (kept_clip / kept_exact - 1):+.1f} %",
            )
        )

    print("| difference | size of the effect |")
    print("|---|---|")
    for what, size in rows:
        print(f"| {what} | {size} |")


if __name__ == "__main__":
    main()
