"""Self-check quiz of notebook 05: spatio-temporal error backpropagation."""

from __future__ import annotations

from ..quiz import Choice, Question, Quiz

QUIZ = Quiz("Notebook 05: self-check", (
    Question(
        "In a rate network the error at a hidden unit is scaled by $f'(z)$. What scales it at a spike of a "
        "spiking hidden neuron?",
        (Choice("$-1/\\dot V$ at the spike: how far the spike moves per mV added to the potential.", True,
                "(5.4) and (5.6). Unlike $\\tanh' \\le 1$ it is unbounded: it diverges at a grazing crossing."),
         Choice("The membrane kernel $h$.", False,
                "$h$ (through $\\hat\\psi$) carries the error in time between spikes; the per-spike scale is "
                "$1/\\dot V$."),
         Choice("The neuron's firing rate.", False,
                "The rule works spike by spike; no rate appears in (5.5)-(5.8)."),
         Choice("$\\dot V$ itself: a steep crossing passes more error back.", False,
                "The other way round: a steep crossing hardly moves, so it passes little error back.")),
    ),
    Question(
        "A hidden neuron crosses threshold with $\\dot V$ = 4 mV/ms. A weight change raises its potential at the "
        "spike by 0.5 mV. By how much does the spike time change (ms, with its sign)?",
        value=-0.125, tolerance=1e-3,
        explanation="(5.4): dt = -dV / Vdot = -0.5 / 4 = -0.125 ms. A higher potential reaches threshold earlier.",
    ),
    Question(
        "Why does NormAD divide by $\\max(\\dot V, \\dot V_\\mathrm{min})$ instead of by $\\dot V$?",
        (Choice("Where the potential only grazes threshold, $1/\\dot V$ diverges and a tiny change can remove the "
                "spike: a step built on that derivative would be huge and meaningless.", True,
                "Section 1 shows $dt_1/ds \\to \\infty$ as the weights approach the scale where the neuron stops "
                "firing; `vdot_min` = 1 mV/ms caps the factor."),
         Choice("To make the gradient exact.", False,
                "The clip makes it inexact wherever it acts; the gradient check's exact case switches it off."),
         Choice("Because $\\dot V$ can be negative at a spike.", False,
                "At an upward threshold crossing $\\dot V \\ge 0$; the problem is values near 0.")),
    ),
    Question(
        "$\\tau_L'$ = 2.5 ms, so $\\hat\\psi'$ changes sign at a lag of about 5 ms (exercise 5.2). A layer-1 spike "
        "comes 8 ms before the only layer-2 spike it feeds (positive weight); another comes 2 ms before it. "
        "Compared with the second, the first one's blame has",
        (Choice("the same sign and is smaller.", False,
                "The sign of the blame passed down follows $\\hat\\psi'$ of the lag, which is positive at 2 ms and "
                "negative at 8 ms."),
         Choice("the opposite sign: 8 ms lies beyond the peak of $\\hat\\psi$, where making the spike earlier "
                "lowers the layer-2 potential at its spike.", True,
                "(5.8): $a_i^g \\propto \\delta_j^f W_{ji}\\,\\hat\\psi'(t_j^f - t_i^g)$; the figure of Section 2 "
                "shows such sign flips."),
         Choice("no blame at all: spikes more than $s^*$ back are ignored.", False,
                "Every earlier spike receives blame; only spikes after the spikes they feed get none."),
         Choice("the same sign and is larger.", False,
                "The signs differ; and the size depends on $|\\hat\\psi'|$ at each lag.")),
    ),
    Question(
        "In the gradient check with resets, $\\tau_L'$ = 2.5 ms and the clip, which layer's gradient is still exact "
        "(cosine 1), and why?",
        (Choice("The output layer: its gradient $\\hat{\\mathbf d}^{L-1}(t)$ goes through no spike time.", True,
                "$\\hat V_k$ (5.2) is linear in $W^L$, so (5.3) is its exact derivative; the approximations "
                "(resets ignored, $\\tau_L'$, the clip) act only through hidden spike times."),
         Choice("Layer 1, the closest to the inputs.", False,
                "Layer 1 degrades most: its error compounds through two layers of spike-time derivatives."),
         Choice("None of them.", False,
                "The table of Section 3 asserts that the output layer's cosine is 1 in every configuration.")),
    ),
    Question(
        "In the gradient check the norm ratio $\\lVert G\\rVert/\\lVert\\text{finite differences}\\rVert$ of layer 1 "
        "is 0.3. Does that make NormAD's steps in layer 1 three times too small?",
        (Choice("Yes: the step is proportional to $\\lVert G\\rVert$.", False,
                "(5.9) divides each layer's G by its norm before the step."),
         Choice("No: (5.9) normalises every layer's G, so only its direction reaches the weights; each error "
                "instant moves $W^l$ by $r_l$.", True,
                "That is why the cosine, not the norm ratio, is what matters for NormAD."),
         Choice("No, because layer 1 is frozen in training.", False,
                "All layers can learn (`plastic`); the reason is the normalisation.")),
    ),
))
