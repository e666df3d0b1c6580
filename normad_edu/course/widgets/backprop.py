"""Widgets for notebook 05: spatio-temporal error backpropagation.

1. **Gradient check** (:func:`build_gradcheck_widget`): sliders for the
   refractory period ``t_ref`` and the rule's ``tau_L'`` (plus the ``Vdot``
   clip and the seed) run :func:`normad_edu.gradcheck.gradient_check` on a
   small 10-6-3-1 network (T = 60 ms, ~0.1 s) and draw the cosine and the
   norm ratio between the rule's gradient ``G^l`` and finite differences of
   ``Vhat``, per layer.
2. **Where the error goes** (:func:`build_backprop_flow_widget`): a slider
   for the error instant ``t`` shows the adjoints of every hidden spike,
   layer by layer, on one time axis.

The per-spike adjoints are computed here by :func:`spike_adjoints` with the
readable core of :mod:`normad_edu.normad` (the compiled
:func:`normad_edu.normad.backward` only returns the summed gradients);
:func:`gradients_from_adjoints` turns them into ``G^l`` so a notebook can
check the two against each other.

Recursion (output neuron k, error instant t; ``psihat'`` = d psihat / dt)::

    layer L-1 :  a_j^f = -W^L_kj psihat'(t - t_j^f)
    every l   :  delta_j^f = a_j^f / max(Vdot_j^f, vdot_min)
    below l   :  a_i^g = sum_{j,f: t_j^f > t_i^g} delta_j^f W^l_ji psihat'(t_j^f - t_i^g)
    gradient  :  G^l[j, i] = -sum_f delta_j^f dhat^{l-1}_i(t_j^f),   G^L[k, :] = dhat^{L-1}(t)
"""

from __future__ import annotations

import math

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from ...validation import check_positive
from ...gradcheck import gradient_check
from ...kernels import psi_hat_kernel
from ...network import ForwardRecord
from ... import normad as core
from ...normad import NormADParams
from ...params import T_REF, LIFParams, SynapseParams
from ._output import render_into

#: Network and epoch of the gradient-check widget (small enough for ~0.1 s per check).
GRADCHECK_SIZES = (10, 6, 3, 1)
GRADCHECK_T = 60.0
#: Slider ranges (both ends are tested): t_ref and tau_L' in ms.
T_REF_MIN, T_REF_MAX = 0.0, 100.0
TAU_HAT_MIN, TAU_HAT_MAX = 0.5, 20.0
N_SEEDS = 6
#: ``vdot_min`` used when the clip is "off" (mV/ms): small enough never to act.
NO_CLIP = 1e-9
#: Norm ratios are drawn up to this value (larger ones are marked, not drawn).
RATIO_YMAX = 2.5


# --------------------------------------------------------------------------
# Gradient check
# --------------------------------------------------------------------------

def gradcheck_summary(t_ref: float = T_REF, tau_L_hat: float = 10.0, clip_vdot: bool = False, seed: int = 0, *,
                      sizes=GRADCHECK_SIZES, T: float = GRADCHECK_T, vdot_min: float = 1.0) -> dict:
    """Run the gradient check and return per-layer numbers that are always finite.

    Parameters
    ----------
    t_ref : float
        Refractory period (ms), >= 0; ``t_ref >= T`` lets each neuron fire once.
    tau_L_hat : float
        tau_L' of the rule (ms), > 0 (tau_L = 10 ms makes the kernels exact).
    clip_vdot : bool
        Use the rule's clip ``Vdot >= vdot_min``; False uses a negligible clip.
    seed : int
        Seed of the inputs and weights.
    sizes : sequence of int
        Layer sizes.
    T : float
        Epoch (ms); the error instant is at 0.8 T.
    vdot_min : float
        The clip (mV/ms) when ``clip_vdot`` is True.

    Returns
    -------
    dict
        ``cosine``, ``norm_ratio`` (arrays over layers 1..L, NaN replaced by
        0), ``defined`` (False where no gradient exists, e.g. a silent
        layer), ``spike_counts``, ``discontinuous`` and ``raw`` (the
        :func:`~normad_edu.gradcheck.gradient_check` result).
    """
    raw = gradient_check(tuple(sizes), t_ref=t_ref, tau_L_hat=tau_L_hat, T=T, seed=int(seed),
                         vdot_min=vdot_min if clip_vdot else NO_CLIP)
    cos = np.array([lay["cosine"] for lay in raw["layers"]])
    ratio = np.array([lay["norm_ratio"] for lay in raw["layers"]])
    defined = np.isfinite(cos) & np.isfinite(ratio)
    return {
        "cosine": np.where(defined, cos, 0.0),
        "norm_ratio": np.where(defined, ratio, 0.0),
        "defined": defined,
        "spike_counts": list(raw["spike_counts"]),
        "discontinuous": [lay["discontinuous"] for lay in raw["layers"]],
        "raw": raw,
    }


def gradcheck_figure(summary: dict) -> Figure:
    """Bar charts of cosine and norm ratio per layer (1 = the rule is exact)."""
    raw = summary["raw"]
    L = len(summary["cosine"])
    x = np.arange(1, L + 1)
    fig, (ax_c, ax_r) = plt.subplots(1, 2, figsize=(10.0, 3.8))
    colors = ["C0" if d else "0.8" for d in summary["defined"]]
    ax_c.bar(x, summary["cosine"], color=colors)
    ax_c.axhline(1.0, color="k", lw=0.8, ls="--")
    ax_c.axhline(0.0, color="k", lw=0.5)
    ax_c.set_ylim(-1.05, 1.1)
    ax_c.set_ylabel("cosine(G, finite differences)")
    ax_c.set_title("(a) direction", loc="left", fontsize=10)
    ratio = np.clip(summary["norm_ratio"], 0.0, RATIO_YMAX)
    ax_r.bar(x, ratio, color=colors)
    ax_r.axhline(1.0, color="k", lw=0.8, ls="--")
    ax_r.set_ylim(0.0, RATIO_YMAX * 1.08)
    ax_r.set_ylabel("||G|| / ||finite differences||")
    ax_r.set_title("(b) magnitude", loc="left", fontsize=10)
    for l in range(L):
        if not summary["defined"][l]:
            for ax in (ax_c, ax_r):
                ax.text(x[l], 0.05, "n/a\n(no gradient)", ha="center", va="bottom", fontsize=8)
        else:
            ax_c.text(x[l], summary["cosine"][l] + (0.03 if summary["cosine"][l] >= 0 else -0.12),
                      f"{summary['cosine'][l]:.3f}", ha="center", fontsize=8)
            r = summary["norm_ratio"][l]
            ax_r.text(x[l], min(r, RATIO_YMAX) + 0.04, f"{r:.3f}" if r <= RATIO_YMAX else f"{r:.3g} (off scale)",
                      ha="center", fontsize=8)
    for ax in (ax_c, ax_r):
        ax.set_xticks(x, [f"$W^{l}$" + (" (output)" if l == L else "") for l in x])
        ax.set_xlabel("layer")
    spikes = ", ".join(str(c) for c in summary["spike_counts"])
    fig.suptitle(f"{'-'.join(map(str, raw['sizes']))} net, t_ref = {raw['t_ref']:g} ms, "
                 f"tau_L' = {raw['tau_L_hat']:g} ms (tau_L = {raw['tau_L']:g}), vdot_min = {raw['vdot_min']:g} mV/ms; "
                 f"spikes per layer: {spikes}", fontsize=9)
    fig.tight_layout()
    return fig


def build_gradcheck_widget(t_ref: float = T_REF, tau_L_hat: float = 10.0, clip_vdot: bool = False,
                           seed: int = 0) -> widgets.VBox:
    """Sliders for t_ref, tau_L', the Vdot clip and the seed; bar charts below.

    Each change re-runs the gradient check (~0.1 s). The returned box has
    ``state`` (latest ``figure`` and ``summary``) and ``sliders``.
    """
    style = {"description_width": "120px"}
    layout = widgets.Layout(width="440px")
    s_ref = widgets.FloatSlider(value=t_ref, min=T_REF_MIN, max=T_REF_MAX, step=1.0, description="t_ref (ms)",
                                continuous_update=False, style=style, layout=layout)
    s_tau = widgets.FloatSlider(value=tau_L_hat, min=TAU_HAT_MIN, max=TAU_HAT_MAX, step=0.5,
                                description="tau_L' (ms)", continuous_update=False, style=style, layout=layout)
    s_seed = widgets.IntSlider(value=seed, min=0, max=N_SEEDS - 1, description="seed", continuous_update=False,
                               style=style, layout=layout)
    c_clip = widgets.Checkbox(value=clip_vdot, description="clip Vdot at vdot_min = 1 mV/ms", indent=False)
    out = widgets.Output()
    state: dict = {}

    def redraw(_change=None):
        with render_into(out):
            summary = gradcheck_summary(s_ref.value, s_tau.value, c_clip.value, s_seed.value)
            fig = gradcheck_figure(summary)
            state.update(figure=fig, summary=summary)
            plt.show()

    for w in (s_ref, s_tau, s_seed, c_clip):
        w.observe(redraw, names="value")
    note = widgets.HTML(f"<small>Exact when t_ref &ge; T = {GRADCHECK_T:g} ms (one spike per neuron), "
                        "tau_L' = tau_L = 10 ms and no clip.</small>")
    box = widgets.VBox([widgets.HBox([widgets.VBox([s_ref, s_tau, s_seed, c_clip]), note]), out])
    box.state = state
    box.sliders = {"t_ref": s_ref, "tau_L_hat": s_tau, "seed": s_seed, "clip_vdot": c_clip}
    box.redraw = redraw
    redraw()
    return box


# --------------------------------------------------------------------------
# Per-spike adjoints: where the error of one instant goes
# --------------------------------------------------------------------------

def spike_adjoints(record: ForwardRecord, t: float, *, k: int = 0, b: int = 0,
                   params: NormADParams = NormADParams(), lif: LIFParams = LIFParams(),
                   syn: SynapseParams = SynapseParams()) -> list[dict]:
    """Adjoints ``a_j^f`` and ``delta_j^f`` of every hidden spike for one error instant.

    The steps of the rule's backward recursion
    (:func:`normad_edu.normad.backward_steps`), kept for every hidden layer.

    Parameters
    ----------
    record : ForwardRecord
        A forward pass (at least one hidden layer for a non-empty result).
    t : float
        The error instant (ms) at output neuron ``k``.
    k, b : int
        Output neuron and problem of the batch.
    params : NormADParams
        ``tau_L_hat`` and ``vdot_min`` of the rule.
    lif, syn : parameter dataclasses

    Returns
    -------
    list of dict
        Entry ``l - 1`` for hidden layer ``l = 1 .. L-1``: ``times`` (ms),
        ``neuron``, ``vdot`` (mV/ms, unclipped), ``a`` (mV/ms) and ``delta``
        (dimensionless) per spike, time-sorted. ``-delta_j^f`` is
        ``dVhat_k(t) / dV_j(t_j^f)``: how much Vhat at the error instant
        rises per mV added to neuron j's potential at that spike.
    """
    kern = core.Kernels(syn.tau1, syn.tau2, lif.C, params.tau_L_hat)
    spikes = core.problem_spikes(record, b)
    W = [w[b] for w in record.weights]
    out = [{"times": step.spikes.t, "neuron": step.spikes.neuron, "vdot": step.spikes.vdot, "a": step.a,
            "delta": step.delta}
           for step in core.backward_steps(t, k, spikes, W, kern, params.vdot_min) if step.spikes is not None]
    return out[::-1]  # layer 1 first


def gradients_from_adjoints(record: ForwardRecord, t: float, adjoints: list[dict], *, k: int = 0, b: int = 0,
                            params: NormADParams = NormADParams(), lif: LIFParams = LIFParams(),
                            syn: SynapseParams = SynapseParams()) -> list[np.ndarray]:
    """``G^l = dVhat_k(t)/dW^l`` for every layer from the per-spike adjoints (mV/pA).

    ``G^l[j, i] = -sum_f delta_j^f dhat^{l-1}_i(t_j^f)`` for hidden layers
    (:func:`~normad_edu.normad.hidden_gradient`) and ``G^L[k, :] = dhat^{L-1}(t)``;
    compare with :func:`normad_edu.normad.backward` (``normalize=False``, one
    instant of sign +1).
    """
    L = len(record.layers)
    kern = core.Kernels(syn.tau1, syn.tau2, lif.C, params.tau_L_hat)
    spikes = core.problem_spikes(record, b)
    G = []
    for l in range(1, L):
        adj = adjoints[l - 1]
        here = core.LayerSpikes(adj["times"], adj["neuron"], adj["vdot"], spikes[l].n)
        G.append(core.hidden_gradient(adj["delta"], here, core.dhat_at(adj["times"], spikes[l - 1], kern)))
    gL = np.zeros(record.weights[L - 1].shape[1:])
    gL[k] = core.dhat_at(float(t), spikes[L - 1], kern)[0]
    G.append(gL)
    return G


def backprop_flow_figure(record: ForwardRecord, t: float, *, T: float, k: int = 0, b: int = 0,
                         params: NormADParams = NormADParams(), lif: LIFParams = LIFParams(),
                         syn: SynapseParams = SynapseParams()) -> Figure:
    """One error instant, its adjoints in every hidden layer, on one time axis.

    Top: ``Vhat_k(s)`` of the output neuron and the error instant ``t``.
    Below, one panel per hidden layer (L-1 down to 1): a stem at each spike
    ``t_j^f`` of height ``-delta_j^f = dVhat_k(t)/dV_j(t_j^f)``, coloured by
    neuron. Bottom: the input raster.
    """
    T = check_positive("T", T, unit="ms")
    L = len(record.layers)
    adj = spike_adjoints(record, t, k=k, b=b, params=params, lif=lif, syn=syn)
    fig, axes = plt.subplots(L + 1, 1, sharex=True, figsize=(10.0, 1.9 * (L + 1)),
                             height_ratios=[1.2] + [1.0] * (L - 1) + [0.8])
    s = np.linspace(0.0, T, 601)
    pre = record.spikes(L - 1)
    psi = psi_hat_kernel(s[:, None, None] - pre.times[b][None], syn.tau1, syn.tau2, lif.C, params.tau_L_hat)
    vhat = lif.EL + np.einsum("j,sjf->s", record.weights[L - 1][b, k], psi)  # +inf padding gives psi = 0
    ax = axes[0]
    ax.plot(s, vhat, color="k", lw=1.0)
    ax.axvline(t, color="C3", lw=1.2)
    v_t = float(np.interp(t, s, vhat))
    ax.plot([t], [v_t], "o", color="C3", label=f"error instant t = {t:.1f} ms")
    ax.set_ylabel("$\\hat V_k$ (mV)")
    ax.set_title(f"output layer {L}: $\\hat V_k(s)$ with $\\tau_L'$ = {params.tau_L_hat:g} ms", loc="left", fontsize=9)
    ax.legend(fontsize=8, loc="upper left")
    for row, l in enumerate(range(L - 1, 0, -1), start=1):
        ax = axes[row]
        a = adj[l - 1]
        n_l = record.layers[l - 1].counts.shape[1]
        for j in range(n_l):
            m = (a["neuron"] == j) & (a["times"] < t)
            if m.any():
                ml, sl, bl = ax.stem(a["times"][m], -a["delta"][m], basefmt=" ")
                c = f"C{j % 10}"
                plt.setp(ml, color=c, markersize=4)
                plt.setp(sl, color=c, lw=1.2)
        quiet = a["times"] >= t
        if quiet.any():  # spikes after t get no blame: mark them on the axis
            ax.plot(a["times"][quiet], np.zeros(quiet.sum()), "|", color="0.6", markersize=8)
        ax.axhline(0.0, color="0.5", lw=0.6)
        ax.axvline(t, color="C3", lw=1.0, alpha=0.6)
        ax.set_ylabel("$-\\delta_j^f$")
        ax.set_title(f"hidden layer {l} ({n_l} neurons): "
                     f"$-\\delta_j^f = \\partial \\hat V_k(t) / \\partial V_j(t_j^f)$ at each spike",
                     loc="left", fontsize=9)
    ax = axes[-1]
    x = record.inputs
    for i in range(x.counts.shape[1]):
        ti = x.times[b, i, : x.counts[b, i]]
        ax.plot(ti, np.full(ti.size, i), "|", color="C0", markersize=4)
    ax.axvline(t, color="C3", lw=1.0, alpha=0.6)
    ax.set_ylabel("input")
    ax.set_title("layer 0: inputs", loc="left", fontsize=9)
    ax.set_xlabel("time (ms)")
    ax.set_xlim(0.0, T)
    fig.align_ylabels(axes)
    fig.tight_layout()
    return fig


def build_backprop_flow_widget(record: ForwardRecord, T: float, t: float | None = None, *, k: int = 0,
                               params: NormADParams = NormADParams(), lif: LIFParams = LIFParams(),
                               syn: SynapseParams = SynapseParams()) -> widgets.VBox:
    """Sliders for the error instant ``t`` and tau_L'; :func:`backprop_flow_figure` below.

    Nothing is simulated (the adjoints of a fixed forward pass are
    recomputed, a few ms). ``state`` holds the latest ``figure``.
    """
    T = check_positive("T", T, unit="ms")
    t = 0.8 * T if t is None else float(t)
    step = 10 ** math.floor(math.log10(T / 200))
    s_t = widgets.FloatSlider(value=t, min=0.0, max=T, step=step, description="error instant t (ms)",
                              continuous_update=False, style={"description_width": "140px"},
                              layout=widgets.Layout(width="520px"))
    s_tau = widgets.FloatSlider(value=params.tau_L_hat, min=TAU_HAT_MIN, max=TAU_HAT_MAX, step=0.5,
                                description="tau_L' (ms)", continuous_update=False,
                                style={"description_width": "140px"}, layout=widgets.Layout(width="520px"))
    out = widgets.Output()
    state: dict = {}

    def redraw(_change=None):
        with render_into(out):
            p = NormADParams(tau_L_hat=s_tau.value, vdot_min=params.vdot_min, coincidence_dt=params.coincidence_dt)
            state["figure"] = backprop_flow_figure(record, s_t.value, T=T, k=k, params=p, lif=lif, syn=syn)
            plt.show()

    s_t.observe(redraw, names="value")
    s_tau.observe(redraw, names="value")
    box = widgets.VBox([s_t, s_tau, out])
    box.state = state
    box.sliders = {"t": s_t, "tau_L_hat": s_tau}
    box.redraw = redraw
    redraw()
    return box
