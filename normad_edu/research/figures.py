"""Figures of the research wing: the lever study, the comparison of the learning rules, the anatomy of a run.

Built on :mod:`normad_edu.plotting` (the core's figure helpers). Units: ms,
iterations, pA.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import NullFormatter

from ..validation import check_int


def fig_study(rows: Sequence[dict], *, title: str | None = None, paper: dict | None = None) -> Figure:
    """The lever study: converged fraction with its 95 % interval, one panel per configuration.

    Parameters
    ----------
    rows : sequence of dict
        Rows of :func:`normad_edu.research.study.study_table` (``combo``, ``config``,
        ``converged``, ``n``, ``ci_low``, ``ci_high`` in percent, ``faithful``).
    title : str, optional
        Figure title.
    paper : dict, optional
        ``{config: percent}`` drawn as a dashed vertical line (the paper's level).

    Returns
    -------
    matplotlib.figure.Figure
        Deviations from the paper are drawn hatched.
    """
    rows = list(rows)
    if not rows:
        raise ValueError("rows must hold at least one row of study_table")
    configs = list(dict.fromkeys(r["config"] for r in rows))
    combos = list(dict.fromkeys(r["combo"] for r in rows))
    fig, axes = plt.subplots(1, len(configs), figsize=(3.2 * len(configs) + 1.8, 0.32 * len(combos) + 1.4),
                             sharey=True, squeeze=False)
    for ax, c in zip(axes[0], configs):
        for r in rows:
            if r["config"] != c:
                continue
            y = combos.index(r["combo"])
            pct = 100.0 * r["converged"] / r["n"]
            ax.barh(y, pct, color="C0" if r["faithful"] else "C1", alpha=0.8, hatch="" if r["faithful"] else "//")
            ax.plot([r["ci_low"], r["ci_high"]], [y, y], color="k", lw=1)
        if paper and c in paper:
            ax.axvline(paper[c], color="C3", ls="--", lw=1, label="paper")
            ax.legend(fontsize=7, loc="lower right")
        ax.set_xlim(0, 100)
        ax.set_title(c, fontsize=9)
        ax.set_xlabel("converged (%)")
        ax.grid(axis="x", alpha=0.3)
    axes[0][0].set_yticks(range(len(combos)))
    axes[0][0].set_yticklabels(combos, fontsize=8)
    axes[0][0].invert_yaxis()
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


def fig_compare(rows: Sequence[dict], *, title: str | None = None) -> Figure:
    """The comparison of the learning rules: one column per problem family.

    Top: converged fraction of the report problems with its 95 % interval
    (NormAD dark, the others light; ``*`` where the McNemar test against
    NormAD gives p < 0.05). Bottom: wall time per training iteration (ms, log
    scale; processor time), labelled with its ratio to NormAD's.

    Parameters
    ----------
    rows : sequence of dict
        Rows of :func:`normad_edu.research.compare.compare_table`.
    title : str, optional
        Figure title.
    """
    rows = list(rows)
    if not rows:
        raise ValueError("rows must hold at least one row of compare_table")
    families = list(dict.fromkeys(r["family"] for r in rows))
    labels = list(dict.fromkeys(r["label"] for r in rows))
    fig, axes = plt.subplots(2, len(families), figsize=(3.4 * len(families) + 1.6, 0.45 * len(labels) * 2 + 2.0),
                             sharey=True, squeeze=False)
    for col, fam in enumerate(families):
        top, bottom = axes[0][col], axes[1][col]
        for r in rows:
            if r["family"] != fam:
                continue
            y = labels.index(r["label"])
            colour = "C0" if r["rule"] == "normad" else "C7"
            top.barh(y, 100.0 * r["converged"] / r["n"], color=colour, alpha=0.85)
            top.plot([r["ci_low"], r["ci_high"]], [y, y], color="k", lw=1)
            if r.get("mcnemar_p") is not None and r["mcnemar_p"] < 0.05:
                top.text(r["ci_high"] + 2, y, "*", va="center", fontsize=10)
            if r["ms_per_iteration"]:
                bottom.barh(y, r["ms_per_iteration"], color=colour, alpha=0.85)
                if r.get("time_ratio"):
                    bottom.text(r["ms_per_iteration"] * 1.15, y, f"{r['time_ratio']:.1f}x", va="center", fontsize=7)
        n, m = next((r["n"], r["max_iter"]) for r in rows if r["family"] == fam)
        top.set_xlim(0, 105)
        top.set_title(f"{fam}: {n} problems, {m} iterations", fontsize=9)
        top.set_xlabel("converged (%)")
        top.grid(axis="x", alpha=0.3)
        bottom.set_xscale("log")
        bottom.xaxis.set_minor_formatter(NullFormatter())
        bottom.set_xlabel("ms per iteration (processor time)")
        bottom.grid(axis="x", alpha=0.3)
        lo, hi = bottom.get_xlim()
        bottom.set_xlim(lo, hi * 4)
    for row in axes:
        row[0].set_yticks(range(len(labels)))
        row[0].set_yticklabels(labels, fontsize=8)
    axes[0][0].invert_yaxis()  # shared by every panel: once
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


# --------------------------------------------------------------------------
# Private helpers
# --------------------------------------------------------------------------


def fig_run_anatomy(result, problem: int = 0, *, title: str | None = None) -> Figure:
    """One run's anatomy at a glance, from a result trained with a :class:`~normad_edu.research.diagnostics.TrainingMonitor`.

    Panels (x: iteration): (a) correlation of the output and error instants
    by sign; (b) norm of the update applied to each layer (pA, log scale;
    crosses where a plastic layer was dead: errors, but a zero update);
    (c) spikes per hidden layer and their silent fraction; (d) fraction of
    hidden spikes whose 1/Vdot is clipped at vdot_min, and, when the
    monitor re-did the backward pass (``anatomy_every``), the share of a
    hidden layer's normalised update that comes from its largest term.
    """
    d = result.diagnostics
    if not d:
        raise ValueError("result has no diagnostics: train it with monitor=TrainingMonitor()")
    P = d["active"].shape[1]
    problem = check_int("problem", problem, minimum=0)
    if problem >= P:
        raise ValueError(f"problem must be in [0, {P}), got {problem}")
    act = d["active"][:, problem]
    its = np.nonzero(act)[0]
    L = d["update_norm"].shape[2]
    fig, axes = plt.subplots(4, 1, sharex=True, figsize=(9.0, 9.5))
    ax = axes[0]
    ax.plot(its, result.correlation[its, problem].mean(axis=-1), color="k", lw=1, label="correlation")
    ax.set_ylim(-0.02, 1.02)
    ax.set_ylabel("correlation")
    ax2 = ax.twinx()
    ax2.plot(its, d["errors_missed"][its, problem], color="C0", lw=0.7, label="missed (+1)")
    ax2.plot(its, d["errors_extra"][its, problem], color="C3", lw=0.7, label="extra (-1)")
    ax2.set_ylabel("error instants")
    ax.legend(loc="upper left", fontsize=8)
    ax2.legend(loc="upper right", fontsize=8)
    ax.set_title("(a) output", fontsize=9, loc="left")
    ax = axes[1]
    for l in range(L):
        u = d["update_norm"][its, problem, l]
        ok = np.isfinite(u) & (u > 0)
        if ok.any():
            ax.plot(its[ok], u[ok], lw=0.7, color=f"C{l}", label=f"W{l + 1}")
        dead = d["dead_layer"][its, problem, l]
        if dead.any():
            ax.plot(its[dead], np.full(dead.sum(), ax.get_ylim()[0] if ok.any() else 1.0), "x", color=f"C{l}", ms=4)
    ax.set_yscale("log")
    ax.set_ylabel("|update| (pA)")
    ax.legend(fontsize=8, ncol=L)
    ax.set_title("(b) update applied to each layer (x: dead, errors but no update)", fontsize=9, loc="left")
    ax = axes[2]
    sampled = d["sampled"]
    keep = act[sampled] if sampled.size else np.array([], dtype=bool)
    bounds = np.concatenate([[0], np.cumsum(d["hidden_sizes"])])
    ax2 = ax.twinx()
    for l in range(len(d["hidden_sizes"])):
        h = d["hidden_spikes"][keep, problem, bounds[l]:bounds[l + 1]]
        ax.plot(sampled[keep], h.sum(axis=1), color=f"C{l}", lw=1, label=f"layer {l + 1} spikes")
        ax2.plot(sampled[keep], (h == 0).mean(axis=1), color=f"C{l}", lw=0.8, ls="--")
    ax.set_ylabel("spikes per epoch")
    ax2.set_ylabel("silent fraction (dashed)")
    ax2.set_ylim(-0.02, 1.02)
    ax.legend(fontsize=8)
    ax.set_title("(c) hidden activity", fontsize=9, loc="left")
    ax = axes[3]
    for l in range(d["vdot_clipped"].shape[2]):
        ax.plot(its, d["vdot_clipped"][its, problem, l], color=f"C{l}", lw=0.7, label=f"layer {l + 1}: clipped 1/Vdot")
    ai = d["anatomy_iterations"]
    if ai.size:
        for l in range(L - 1):
            ax.plot(ai, d["largest_share"][:, problem, l], "o-", color=f"C{l}", ms=3, lw=0.8,
                    label=f"layer {l + 1}: largest term's share")
    ax.set_ylim(-0.02, 1.02)
    ax.set_ylabel("fraction")
    ax.set_xlabel("iteration")
    ax.legend(fontsize=8)
    ax.set_title("(d) 1/Vdot clipping and how much one spike decides a hidden update", fontsize=9, loc="left")
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


#: File formats :func:`save_figure` writes.
