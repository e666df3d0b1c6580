"""The anatomy of a training run: what the NormAD updates do to every layer, iteration by iteration.

Pass a :class:`TrainingMonitor` to :func:`normad_edu.training.train` (or
``Experiment.run(monitor=...)``); ``result.diagnostics`` then holds, per
iteration ``it`` and problem ``p`` (units: pA, mV/ms, ms/mV):

every iteration (cheap)
    ``active`` (it, p): the problem was still training (False after it stopped).
    ``update_norm`` (it, p, l): Frobenius norm of the update applied to W^l (pA).
    ``errors_missed`` / ``errors_extra`` (it, p): error instants of sign +1
    (a desired spike the output missed) and -1 (an extra output spike).
    ``dead_layer`` (it, p, l): layer l is plastic, there were errors, and its
    update was exactly 0: the gradient had zero norm at every error instant
    (a *dead zone*: the rule cannot act on the error through this layer).
    ``vdot_clipped`` (it, p, l): fraction of the spikes of hidden layer l with
    dV/dt < ``vdot_min`` (where ``1 / Vdot`` is clipped); NaN for a silent layer.

every ``every`` iterations (``sampled``, the iterations)
    ``hidden_spikes`` (s, p, j): spikes of every hidden neuron j (layers 1 ..
    L-1 one after the other), summed over the patterns.
    ``inv_vdot`` (s, p, l, 3): 50th, 90th and 99th percentile of
    ``1 / max(Vdot, vdot_min)`` at the spikes of hidden layer l (ms/mV).

every ``anatomy_every`` iterations (``anatomy_iterations``; off by default)
    The backward pass re-done for pattern 0 with the readable core of
    :mod:`normad_edu.normad`, error instant by error instant:
    ``n_instants`` (a, p); ``zero_norm`` (a, p, l): instants at which G^l had
    zero norm (skipped); ``largest_share`` (a, p, l): mean over the instants
    of the share of ``G^l`` (hidden layers) that comes from its single largest
    term ``|delta_j^f| ||dhat(t_j^f)||`` (1: one spike decides the whole
    normalised update; a grazing spike with a clipped 1/Vdot often does).

Layers below the first plastic one are simulated once (``train`` caches
them), so their ``vdot_clipped`` and ``inv_vdot`` are NaN.
"""

from __future__ import annotations

import numpy as np

from ..validation import check_int
from ..normad import Kernels, LayerSpikes, backward_steps, problem_spikes
from ..network import ForwardRecord

#: Percentiles of 1/Vdot stored in ``inv_vdot``.
INV_VDOT_PERCENTILES = (50.0, 90.0, 99.0)


def error_instant_anatomy(t: float, k: int, spikes: list[LayerSpikes], W: list[np.ndarray], kern: Kernels,
                          vdot_min: float) -> tuple[np.ndarray, np.ndarray]:
    """Norm of G^l and the share of its largest term, for every layer, at one error instant.

    ``spikes[l]`` holds layer l = 0 .. L-1 of one problem, ``W[l-1]`` = W^l.
    Returns ``(norms, largest_share)``, each of length L (layer 1 first);
    the output layer's share is NaN (its G is one row, dhat(t)), and so is a
    hidden layer's share when G^l has no term. Reads the rule's steps from
    :func:`normad_edu.normad.backward_steps`.
    """
    L = len(W)
    norms = np.zeros(L)
    share = np.full(L, np.nan)
    for step in backward_steps(t, k, spikes, W, kern, vdot_min):
        norms[step.l - 1] = np.linalg.norm(step.G)
        if step.spikes is not None:  # a hidden layer: terms |delta_j^f| ||dhat^{l-1}(t_j^f)||
            terms = np.abs(step.delta) * np.linalg.norm(step.dhat_below, axis=1)
            if terms.sum() > 0:
                share[step.l - 1] = terms.max() / terms.sum()
    return norms, share


class TrainingMonitor:
    """Records the learning dynamics of a :func:`~normad_edu.training.train` run (see the module docstring).

    Parameters
    ----------
    every : int
        Store per-neuron spike counts and 1/Vdot percentiles every ``every``
        iterations (>= 1). Default 10.
    anatomy_every : int
        Re-do the backward pass with the readable core every
        ``anatomy_every`` iterations (0: never, the default; it costs about
        as much as a few hundred training iterations of a 100-50-25-1
        problem each time).
    """

    def __init__(self, every: int = 10, anatomy_every: int = 0):
        self.every = check_int("every", every)
        self.anatomy_every = check_int("anatomy_every", anatomy_every, minimum=0)
        self._net = None

    # -- called by train ------------------------------------------------------

    def _start(self, net) -> None:
        self._net = net
        n, P, L = net.config.max_iter + 1, net.P, net.L
        self.n_hidden = [int(W.shape[1]) for W in net.Ws[:-1]]
        self.active = np.zeros((n, P), dtype=bool)
        self.update_norm = np.full((n, P, L), np.nan)
        self.errors_missed = np.zeros((n, P), dtype=np.int64)
        self.errors_extra = np.zeros((n, P), dtype=np.int64)
        self.dead_layer = np.zeros((n, P, L), dtype=bool)
        self.vdot_clipped = np.full((n, P, max(L - 1, 1)), np.nan)
        self.sampled, self.hidden_spikes, self.inv_vdot = [], [], []
        self.anatomy_iterations, self.n_instants, self.zero_norm, self.largest_share = [], [], [], []
        self._errors_now = None

    def on_evaluation(self, it: int, active: np.ndarray, ev, net) -> None:
        if self._net is not net:
            self._start(net)
        A, M, L, f = active.size, net.M, net.L, net.f
        self.active[it, active] = True
        signs = ev.error_signs.reshape(A, M, -1)
        self.errors_missed[it, active] = (signs == 1).sum(axis=(1, 2))
        self.errors_extra[it, active] = (signs == -1).sum(axis=(1, 2))
        self._errors_now = self.errors_missed[it] + self.errors_extra[it]  # by problem, this iteration
        vmin = net.params.vdot_min
        sample = it % self.every == 0
        if sample:
            counts = np.zeros((net.P, sum(self.n_hidden)), dtype=np.int64)
            inv = np.full((net.P, max(L - 1, 1), len(INV_VDOT_PERCENTILES)), np.nan)
        offset = 0
        for l in range(1, L):  # hidden layers
            c = net.layer_counts(ev.record, ev.idx_problem, ev.idx_pattern, l).reshape(A, M, -1)
            if sample:
                counts[active, offset:offset + c.shape[2]] = c.sum(axis=1)
            offset += c.shape[2]
            if l <= f:
                continue  # a cached (frozen) layer: no Vdot kept
            lay = ev.record.layers[l - 1 - f]
            fired = np.arange(lay.times.shape[2]) < lay.counts[..., None]  # (A*M, n_l, K)
            vd = np.where(fired, lay.vdot, np.nan).reshape(A, -1)
            n_sp = fired.reshape(A, -1).sum(axis=1)
            with np.errstate(invalid="ignore"):
                self.vdot_clipped[it, active, l - 1] = np.where(n_sp > 0, (vd < vmin).sum(axis=1) / np.maximum(n_sp, 1),
                                                                np.nan)
            if sample:
                for q, p in enumerate(active):
                    v = vd[q][np.isfinite(vd[q])]
                    if v.size:
                        inv[p, l - 1] = np.percentile(1.0 / np.maximum(v, vmin), INV_VDOT_PERCENTILES)
        if sample:
            self.sampled.append(it)
            self.hidden_spikes.append(counts)
            self.inv_vdot.append(inv)
        if self.anatomy_every and it % self.anatomy_every == 0:
            self._anatomy(it, active, ev, net)

    def on_update(self, it: int, active: np.ndarray, applied: list, net) -> None:
        f = net.f
        norms = np.zeros((active.size, net.L))
        for l, d in enumerate(applied):
            norms[:, f + l] = np.sqrt((d ** 2).sum(axis=(1, 2)))
        self.update_norm[it, active] = norms
        had_errors = self._errors_now[active] > 0
        self.dead_layer[it, active] = net.plastic[None, :] & had_errors[:, None] & (norms == 0)

    def _anatomy(self, it: int, active, ev, net) -> None:
        """Pattern 0 of every active problem, error instant by error instant, with the readable core."""
        L, f, M = net.L, net.f, net.M
        kern = Kernels(net.syn.tau1, net.syn.tau2, net.lif.C, net.params.tau_L_hat)
        n_inst = np.zeros(net.P, dtype=np.int64)
        zero = np.zeros((net.P, L), dtype=np.int64)
        share = np.full((net.P, L), np.nan)
        rec: ForwardRecord = ev.record
        for q, p in enumerate(active):
            row = q * M  # pattern 0 of problem p
            spikes = problem_spikes(rec, row)
            W = [w[row] for w in rec.weights]
            shares = []
            for k in range(ev.error_signs.shape[1]):
                for t, e in zip(ev.error_times[row, k], ev.error_signs[row, k]):
                    if e == 0:
                        break
                    norms, sh = error_instant_anatomy(float(t), k, spikes, W, kern, net.params.vdot_min)
                    n_inst[p] += 1
                    zero[p, f:] += norms == 0
                    shares.append(sh)
            if shares:
                sh = np.array(shares)  # (instants, layers below f excluded)
                n_ok = np.isfinite(sh).sum(axis=0)
                share[p, f:] = np.where(n_ok > 0, np.where(np.isfinite(sh), sh, 0.0).sum(axis=0) / np.maximum(n_ok, 1),
                                        np.nan)
        self.anatomy_iterations.append(it)
        self.n_instants.append(n_inst)
        self.zero_norm.append(zero)
        self.largest_share.append(share)

    def arrays(self, last_it: int) -> dict:
        """Everything recorded, as arrays (iterations 0 .. last_it)."""
        n = last_it + 1
        P, L = self.active.shape[1], self.update_norm.shape[2]
        out = {k: getattr(self, k)[:n] for k in ("active", "update_norm", "errors_missed", "errors_extra",
                                                 "dead_layer", "vdot_clipped")}
        out["sampled"] = np.array(self.sampled, dtype=np.int64)
        out["hidden_spikes"] = np.array(self.hidden_spikes).reshape(len(self.sampled), P, sum(self.n_hidden))
        out["hidden_sizes"] = np.array(self.n_hidden, dtype=np.int64)
        out["inv_vdot"] = np.array(self.inv_vdot).reshape(len(self.sampled), P, max(L - 1, 1),
                                                          len(INV_VDOT_PERCENTILES))
        out["anatomy_iterations"] = np.array(self.anatomy_iterations, dtype=np.int64)
        a = len(self.anatomy_iterations)
        out["n_instants"] = np.array(self.n_instants).reshape(a, P)
        out["zero_norm"] = np.array(self.zero_norm).reshape(a, P, L)
        out["largest_share"] = np.array(self.largest_share).reshape(a, P, L)
        return out


def summarize_run(diag: dict, p: int = 0) -> dict:
    """A few numbers that tell how problem ``p``'s run went (for tables and notebooks).

    ``dead_fraction`` per layer: fraction of its active iterations with
    errors in which the layer's update was exactly 0; ``silent_change``:
    fraction of silent neurons per hidden layer at the first and the last
    sampled iteration; ``spikes_change``: hidden spikes per layer, first and
    last sample; ``vdot_clipped``: mean fraction of clipped hidden spikes.
    """
    act = diag["active"][:, p]
    errs = (diag["errors_missed"][:, p] + diag["errors_extra"][:, p]) > 0
    rows = act & errs
    with np.errstate(invalid="ignore"):
        dead = diag["dead_layer"][rows, p].mean(axis=0) if rows.any() else np.full(diag["dead_layer"].shape[2], np.nan)
    sizes = diag["hidden_sizes"]
    bounds = np.concatenate([[0], np.cumsum(sizes)])
    sampled = np.nonzero(act[diag["sampled"]])[0] if diag["sampled"].size else np.array([], dtype=int)
    first, last = (sampled[0], sampled[-1]) if sampled.size else (None, None)

    def per_layer(i):
        h = diag["hidden_spikes"][i, p]
        return [h[bounds[l]:bounds[l + 1]] for l in range(len(sizes))]

    vc = diag["vdot_clipped"][act, p]
    n_ok = np.isfinite(vc).sum(axis=0)
    out = {"dead_fraction": dead.tolist(),
           "vdot_clipped": np.where(n_ok > 0, np.where(np.isfinite(vc), vc, 0).sum(axis=0) / np.maximum(n_ok, 1),
                                    np.nan).tolist()}
    if first is not None:
        a, b = per_layer(first), per_layer(last)
        out["spikes_change"] = [(int(x.sum()), int(y.sum())) for x, y in zip(a, b)]
        out["silent_change"] = [(float((x == 0).mean()), float((y == 0).mean())) for x, y in zip(a, b)]
    return out
