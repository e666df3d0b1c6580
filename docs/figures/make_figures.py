"""Draw the reference figures of the course: the schematic of spatio-temporal error backpropagation.

Run from anywhere (the figures are written next to this file unless ``--out``
says otherwise)::

    python docs/figures/make_figures.py [--out DIR]

writes ``backprop_schematic.svg`` and ``backprop_schematic.png``. The output
is deterministic (fixed spike times and weights, no dates or random ids in
the files), so the committed files are exactly what the script writes;
``tests/test_reference.py`` checks that.

The schematic is not a cartoon: its numbers are computed by the functions of
``normad_edu/normad.py`` that the pseudo-code of ``docs/reference/algorithm.md``
names (``output_adjoints``, ``deltas``, ``hidden_gradient``,
``adjoints_below``, ``dhat_at``, ``add_normalized``) on a hand-made
4 -> 3 -> 3 -> 1 network, one error instant at a time. Units: ms, mV, pF, pA.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
if __package__ in (None, "") and str(HERE.parents[1]) not in sys.path:
    sys.path.insert(0, str(HERE.parents[1]))  # run from a checkout without installing

import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.patches import FancyArrowPatch  # noqa: E402

from normad_edu import normad as core  # noqa: E402
from normad_edu.kernels import psi_hat_kernel, psi_hat_kernel_dot  # noqa: E402
from normad_edu.params import TAU_L_HAT, VDOT_MIN, LIFParams, SynapseParams  # noqa: E402

NAME = "backprop_schematic"

#: The example network, layer by layer: spike trains (ms) and dV/dt at each spike (mV/ms); inputs have no Vdot.
TRAINS = [
    [[2.0, 9.0], [4.0, 14.0], [7.0], [11.0, 18.0]],   # l = 0: inputs
    [[8.0, 16.0], [12.0], [19.0]],                    # l = 1: hidden
    [[15.0, 24.0], [20.0], [27.0]],                   # l = 2: hidden
]
VDOT = [None, [[4.0, 0.6], [2.5], [6.0]], [[3.0, 0.4], [5.0], [2.0]]]
#: W^l (pA), shape (n_l, n_{l-1}).
WEIGHTS = [
    np.array([[900.0, 700.0, -500.0, 400.0], [600.0, -300.0, 800.0, 500.0], [-400.0, 900.0, 600.0, 700.0]]),
    np.array([[1000.0, 600.0, -400.0], [800.0, -500.0, 900.0], [500.0, 1100.0, 700.0]]),
    np.array([[1200.0, -400.0, 900.0]]),
]
OBSERVED = [22.0]   # output spikes (ms)
DESIRED = [30.0]    # desired output spikes (ms)
T_END = 47.0        # ms, right edge of the time axis (the notes sit right of the last error instant)
#: Learning rates r_l (pA per error instant): the generic experiments' defaults (DeepSetup).
RATES = (3.0, 30.0, 300.0)

LAYER_NAMES = ["inputs\n$l = 0$", "hidden\n$l = 1$", "hidden\n$l = 2$", "output\n$l = L = 3$"]
POS, NEG = "#1f77b4", "#d62728"   # blame that raises / lowers the potential at the error instant
GREY = "0.55"


def backward_example(t: float, e: int) -> dict:
    """The rule at one error instant ``t`` (sign ``e``) of the example, computed by ``normad_edu.normad``.

    Returns the layer spikes, the adjoints and deltas of the hidden layers, every
    pairwise contribution that :func:`normad_edu.normad.adjoints_below` sums, the
    gradients ``G^l`` and the normalised updates ``dW^l`` (pA).
    """
    lif, syn = LIFParams(), SynapseParams()
    kern = core.Kernels(syn.tau1, syn.tau2, lif.C, TAU_L_HAT)
    spikes = [core.LayerSpikes.from_trains(TRAINS[0])]
    spikes += [core.LayerSpikes.from_trains(TRAINS[l], VDOT[l]) for l in (1, 2)]
    a2 = core.output_adjoints(t, WEIGHTS[2][0], spikes[2], kern)
    d2 = core.deltas(a2, spikes[2], VDOT_MIN)
    G2 = core.hidden_gradient(d2, spikes[2], core.dhat_at(spikes[2].t, spikes[1], kern))
    a1 = core.adjoints_below(d2, spikes[2], WEIGHTS[1], spikes[1], kern)
    # the terms of that sum, one per (later spike of layer 2, earlier spike of layer 1)
    lag = spikes[2].t[:, None] - spikes[1].t[None, :]
    pairs = d2[:, None] * WEIGHTS[1][spikes[2].neuron][:, spikes[1].neuron] * kern.psi_hat_dot(lag)
    assert np.allclose(pairs.sum(axis=0), a1, rtol=1e-12, atol=0.0), "pairwise terms must add up to adjoints_below"
    d1 = core.deltas(a1, spikes[1], VDOT_MIN)
    G1 = core.hidden_gradient(d1, spikes[1], core.dhat_at(spikes[1].t, spikes[0], kern))
    G3 = np.zeros_like(WEIGHTS[2])
    G3[0] = core.dhat_at(t, spikes[2], kern)[0]
    dW = [np.zeros_like(W) for W in WEIGHTS]
    for l, G in enumerate((G1, G2, G3)):
        core.add_normalized(dW[l], G, RATES[l] * e, "layer")
    return dict(spikes=spikes, a=(a1, a2), delta=(d1, d2), pairs=pairs, G=(G1, G2, G3), dW=dW)


def _rows() -> list[list[float]]:
    """y position of every neuron, layer by layer (inputs at the bottom)."""
    rows, y = [], 0.0
    for n in (4, 3, 3, 1):
        rows.append([y + i for i in range(n)])
        y += n + 1.2
    return rows


def _arrow(ax, start, end, weight, color, rad):
    ax.add_patch(FancyArrowPatch(start, end, connectionstyle=f"arc3,rad={rad}", arrowstyle="-|>",
                                 mutation_scale=7 + 6 * weight, lw=0.6 + 2.6 * weight, color=color,
                                 alpha=0.35 + 0.6 * weight, shrinkA=3, shrinkB=4, zorder=3))


def draw_network(ax, res: dict, t_star: float) -> None:
    """(a) Forward spikes through the layers, the error instants, and the blame flowing back from ``t_star``."""
    rows = _rows()
    spikes = res["spikes"]
    for l, ys in enumerate(rows):
        ax.axhspan(ys[0] - 0.6, ys[-1] + 0.6, color="0.95" if l % 2 == 0 else "0.90", zorder=0)
        ax.text(-0.8, np.mean(ys), LAYER_NAMES[l], ha="right", va="center", fontsize=8.5)
    for l in range(3):                                # forward spikes
        s = spikes[l]
        ax.vlines(s.t, [rows[l][j] - 0.32 for j in s.neuron], [rows[l][j] + 0.32 for j in s.neuron],
                  color="k", lw=1.6, zorder=2)
    y_out = rows[3][0]
    ax.vlines(OBSERVED, y_out - 0.32, y_out + 0.32, color="k", lw=1.6, zorder=2)
    for td in DESIRED:
        ax.vlines(td, rows[0][0] - 0.6, y_out + 0.6, color=NEG, lw=0.9, ls=(0, (4, 3)), zorder=1)
    err_t, err_s = core.error_instants(DESIRED, OBSERVED)
    for t, e in zip(err_t, err_s):
        ax.plot(t, y_out + 0.85, marker="^" if e > 0 else "v", ms=8, color="k" if t == t_star else GREY, zorder=4)
        ax.text(t, y_out + 1.35, f"$e = {'+1' if e > 0 else '-1'}$\n{'missed' if e > 0 else 'extra'}",
                ha="center", va="bottom", fontsize=8, color="k" if t == t_star else GREY)
    # blame: error instant -> earlier spikes of layer L-1 (adjoints a_j^f), weighted by |delta|
    d1, d2 = res["delta"]
    w2 = np.abs(d2) / np.abs(d2).max()
    for f in range(spikes[2].t.size):
        if spikes[2].t[f] < t_star and w2[f] > 0.02:
            _arrow(ax, (t_star, y_out), (spikes[2].t[f], rows[2][spikes[2].neuron[f]]), w2[f],
                   POS if d2[f] > 0 else NEG, 0.18)
    # blame: later spikes of layer 2 -> earlier spikes of layer 1, one arrow per term of adjoints_below
    pairs = res["pairs"]
    scale = np.abs(pairs).max()
    for f in range(pairs.shape[0]):
        for g in range(pairs.shape[1]):
            w = abs(pairs[f, g]) / scale
            if w > 0.04:
                _arrow(ax, (spikes[2].t[f], rows[2][spikes[2].neuron[f]]),
                       (spikes[1].t[g], rows[1][spikes[1].neuron[g]]), w, POS if pairs[f, g] > 0 else NEG, 0.12)
    # the clip: spikes whose |Vdot| is below vdot_min get 1 / vdot_min
    for l, d in ((1, d1), (2, d2)):
        s = spikes[l]
        for f in np.flatnonzero(s.vdot < VDOT_MIN):
            ax.plot(s.t[f], rows[l][s.neuron[f]], "o", ms=11, mfc="none", mec="0.3", mew=0.8, zorder=4)
    x_note = max(DESIRED + OBSERVED) + 1.6
    notes = [
        (y_out, r"$a_j^f = -W^L_{kj}\,\hat\psi'(t - t_j^f)$, only $t_j^f < t$" "\n(output_adjoints)"),
        (np.mean(rows[2]), r"$\delta_j^f = a_j^f / \max(\dot V_j^f, \dot V_\mathrm{min})$ (deltas)" "\n"
         r"$\bigcirc$: $\dot V < \dot V_\mathrm{min}$, clipped" "\n"
         r"$G^2_{ji} = -\Sigma_f\, \delta_j^f\, \hat d^{\,1}_i(t_j^f)$ (hidden_gradient)"),
        (np.mean(rows[1]), r"$a_i^g = \Sigma_{j,f}\, \delta_j^f\, W^2_{ji}\, \hat\psi'(t_j^f - t_i^g)$, "
         r"only $t_j^f > t_i^g$" "\n(adjoints_below), then deltas and\n"
         r"$G^1_{ji} = -\Sigma_f\, \delta_j^f\, \hat d^{\,0}_i(t_j^f)$ (hidden_gradient)"),
        (np.mean(rows[0]), r"$\hat d^{\,0}_i(t_j^f) = \Sigma_g\, \hat\psi(t_j^f - t_i^g)$ (dhat_at):" "\n"
         "the inputs read through " r"$\hat\psi$ up to each" "\nlayer-1 spike (shaded: one of them)"),
    ]
    for y, text in notes:
        ax.text(x_note, y, text, ha="left", va="center", fontsize=8, linespacing=1.5)
    # G^1 reads the inputs: the window of psi_hat before the layer-1 spike with the largest |delta|
    g = int(np.argmax(np.abs(d1)))
    tg = spikes[1].t[g]
    ax.fill_betweenx([rows[0][0] - 0.5, rows[0][-1] + 0.5], tg - 10.0, tg, color=POS, alpha=0.08, lw=0, zorder=1)
    ax.vlines(tg, rows[0][0] - 0.5, rows[1][spikes[1].neuron[g]], color=GREY, lw=0.8, ls=":", zorder=1)
    ax.plot([], [], color="k", lw=1.6, label="spike (forward pass)")
    ax.plot([], [], color=NEG, lw=0.9, ls=(0, (4, 3)), label="desired output spike")
    ax.plot([], [], color=POS, lw=2.2, label=r"blame: a term $> 0$ ($\delta$, or $\delta W \hat\psi'$), width $\propto$ size")
    ax.plot([], [], color=NEG, lw=2.2, label=r"blame: a term $< 0$")
    ax.legend(loc="upper left", fontsize=7.5, frameon=True, framealpha=0.9, bbox_to_anchor=(0.0, 1.0))
    ax.set_xlim(-0.5, T_END)
    ax.set_xticks(np.arange(0.0, max(DESIRED + OBSERVED) + 5.1, 5.0))
    ax.set_ylim(rows[0][0] - 0.8, y_out + 2.6)
    ax.set_yticks([])
    ax.set_xlabel("time (ms)")
    for side in ("left", "right", "top"):
        ax.spines[side].set_visible(False)
    ax.set_title(f"(a) forward spikes, error instants, and the blame of the error instant t = {t_star:g} ms "
                 "flowing back", fontsize=9.5, loc="left")


def draw_kernel(ax) -> None:
    """(b) How much blame a spike receives from a later one, against their lag: psi_hat'(s)."""
    syn, lif = SynapseParams(), LIFParams()
    s = np.linspace(0.0, 25.0, 501)
    ax.plot(s, 1e3 * psi_hat_kernel_dot(s, syn.tau1, syn.tau2, lif.C, TAU_L_HAT), color="k", lw=1.4,
            label=r"$\hat\psi'(s)$, $\tau_L' = %g$ ms" % TAU_L_HAT)
    ax.plot(s, 1e3 * psi_hat_kernel_dot(s, syn.tau1, syn.tau2, lif.C, lif.C / lif.gL), color=GREY, lw=1.0,
            ls="--", label=r"$\psi'(s)$, $\tau_L = %g$ ms" % (lif.C / lif.gL))
    ax.axhline(0.0, color="0.7", lw=0.6)
    ax.set_xlabel("lag $s$ to the later spike (ms)")
    ax.set_ylabel(r"$10^{-3}$ / pF")
    ax.legend(fontsize=7.5, frameon=False)
    ax.set_title("(b) blame fades with the lag", fontsize=9.5, loc="left")


def draw_clip(ax) -> None:
    """(c) The factor 1/max(Vdot, vdot_min) that turns a potential change into a spike-time change."""
    v = np.linspace(0.05, 8.0, 400)
    ax.plot(v, 1.0 / v, color=GREY, lw=1.0, ls="--", label=r"$1/\dot V$")
    ax.plot(v, 1.0 / np.maximum(v, VDOT_MIN), color="k", lw=1.4,
            label=r"$1/\max(\dot V, \dot V_\mathrm{min})$, $\dot V_\mathrm{min} = %g$ mV/ms" % VDOT_MIN)
    ax.set_ylim(0.0, 2.5)
    ax.set_xlabel(r"$\dot V$ at the hidden spike (mV/ms)")
    ax.set_ylabel("ms / mV")
    ax.legend(fontsize=7.5, frameon=False)
    ax.set_title("(c) a spike moves by $-\\Delta V / \\dot V$", fontsize=9.5, loc="left")


def draw_updates(fig, spec, res: dict, e: int) -> None:
    """(d) Every layer's update: its gradient, normalised on its own, times its rate r_l and the sign e."""
    sub = spec.subgridspec(1, 3, width_ratios=[4, 3, 3], wspace=0.35)
    for l in range(3):
        ax = fig.add_subplot(sub[0, l])
        dW = res["dW"][l]
        lim = RATES[l]
        ax.imshow(dW, cmap="RdBu", vmin=-lim, vmax=lim, aspect="equal")
        ax.set_xticks(range(dW.shape[1]))
        ax.set_yticks(range(dW.shape[0]))
        ax.tick_params(labelsize=6, length=2)
        norm = np.sqrt(np.sum(res["G"][l] ** 2))
        ax.set_title(f"$\\Delta W^{l + 1}$, $r_{l + 1}$ = {RATES[l]:g} pA", fontsize=8)
        ax.set_xlabel(f"$i$ (layer {l})\n$\\|G^{l + 1}\\|_F$ = {norm:.1e}\nmV/pA", fontsize=7)
        if l == 0:
            ax.set_ylabel("$j$", fontsize=7)
            ax.text(0.0, 1.55, "(d) per-layer update, each of length $r_l$:\n"
                    rf"$\Delta W^l = r_l\, e\, G^l / \|G^l\|_F$ (add_normalized), $e = {e:+d}$",
                    transform=ax.transAxes, fontsize=9.5, ha="left", va="bottom")


def backprop_schematic():
    """The whole figure (a matplotlib Figure)."""
    err_t, err_s = core.error_instants(DESIRED, OBSERVED)
    k = int(np.flatnonzero(err_s > 0)[0])   # the missed desired spike: the instant whose blame is drawn
    t_star, e = float(err_t[k]), int(err_s[k])
    res = backward_example(t_star, e)
    fig = plt.figure(figsize=(12.0, 8.2))
    grid = fig.add_gridspec(2, 3, height_ratios=[2.3, 1.0], width_ratios=[1.0, 1.0, 1.25], wspace=0.3,
                            hspace=0.42, left=0.085, right=0.985, top=0.955, bottom=0.07)
    draw_network(fig.add_subplot(grid[0, :]), res, t_star)
    draw_kernel(fig.add_subplot(grid[1, 0]))
    draw_clip(fig.add_subplot(grid[1, 1]))
    draw_updates(fig, grid[1, 2], res, e)
    return fig


def write(out_dir: Path) -> list[Path]:
    """Write ``backprop_schematic.svg`` and ``.png`` into ``out_dir``; returns the paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    style = {"svg.hashsalt": NAME, "svg.fonttype": "path", "font.family": "DejaVu Sans",
             "mathtext.fontset": "dejavusans", "axes.unicode_minus": False}
    with matplotlib.rc_context(style):
        fig = backprop_schematic()
        paths = [out_dir / f"{NAME}.svg", out_dir / f"{NAME}.png"]
        fig.savefig(paths[0], metadata={"Date": None, "Creator": None})
        fig.savefig(paths[1], dpi=110, metadata={"Software": None})
        plt.close(fig)
    return paths


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE, help="folder to write into (default: next to this script)")
    args = parser.parse_args(argv)
    for p in write(args.out):
        print(p)
    return 0


if __name__ == "__main__":
    sys.exit(main())
