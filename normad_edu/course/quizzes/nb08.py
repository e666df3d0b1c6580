"""Self-check quiz of notebook 08 (the four pieces of the method written by the learner); not graded."""

from __future__ import annotations

from ..quiz import Choice, Question, Quiz

QUIZ = Quiz("Notebook 08: self-check (not graded)", (
    Question(
        "At what time (ms) does the synaptic kernel $\\alpha(t)$ peak for $\\tau_1$ = 10 ms and $\\tau_2$ = 2 ms? "
        "(a number)",
        value=4.024, tolerance=0.01,
        explanation="Setting $\\alpha'(t) = 0$ gives $e^{-t/\\tau_1}/\\tau_1 = e^{-t/\\tau_2}/\\tau_2$, so "
                    "$t^* = \\frac{\\tau_1\\tau_2}{\\tau_1-\\tau_2}\\ln\\frac{\\tau_1}{\\tau_2}$ "
                    "= 2.5 ln 5 = 4.02 ms."),
    Question(
        "Forward Euler advances the fast trace as $I_2 \\to I_2 (1 - \\Delta/\\tau_2)$. With $\\tau_2$ = 1.25 ms "
        "and a step $\\Delta$ = 3 ms, what happens to $I_2$ over many steps?",
        (Choice("It decays a little too slowly", False,
                "the factor is 1 - 3/1.25 = -1.4: it is negative and larger than 1 in size."),
         Choice("It changes sign every step and grows: the scheme is unstable", True,
                "|1 - Delta/tau_2| > 1 once Delta > 2 tau_2 = 2.5 ms; the exact factor e^{-Delta/tau_2} is always "
                "between 0 and 1."),
         Choice("It is exact, because the trace is linear", False,
                "linear is not enough: Euler replaces the exponential by its first-order Taylor polynomial."))),
    Question(
        "A desired spike at 12.09 ms and an observed spike at 12.11 ms, with `coincidence_dt` = 0.1 ms. How many "
        "error instants do they make?",
        (Choice("None: they are 0.02 ms apart", False,
                "being closer than the bin width is not the rule: the two spikes fall in different bins, "
                "floor(120.9) = 120 and floor(121.1) = 121."),
         Choice("Two: one missed desired spike and one extra output spike", True,
                "spikes cancel only within one bin; these two straddle the edge at 12.1 ms."),
         Choice("One, at the mean time 12.10 ms", False,
                "NormAD never merges spikes: every spike left over is its own error instant, with its own sign."))),
    Question(
        "A hidden spike crosses threshold with $\\dot V$ = 0.2 mV/ms, and $\\dot V_\\mathrm{min}$ = 1 mV/ms. By "
        "what factor does the clip shrink this spike's term in the backpropagated error? (a number)",
        value=5.0, tolerance=0.01,
        explanation="Without the clip the term is divided by 0.2, with it by max(0.2, 1) = 1: five times smaller. "
                    "A grazing spike can vanish under a small change, so its linearised effect is not trusted."),
    Question(
        "In one backward step, which spikes $t_i^g$ of layer $l-1$ receive blame from a spike $t_j^f$ of layer $l$?",
        (Choice("Those after it, $t_i^g > t_j^f$", False,
                "a later input spike cannot have caused an earlier output spike: the kernel is causal."),
         Choice("Those before it, $t_i^g < t_j^f$, weighted by $\\hat\\psi'(t_j^f - t_i^g)$", True,
                "only earlier input spikes shaped the potential at $t_j^f$, and $\\hat\\psi'$ says how much moving "
                "each of them moves that potential."),
         Choice("Every spike of layer $l-1$ equally", False,
                "the weight $W_{ji}$ and the kernel's slope at the time difference make the blame differ from "
                "spike to spike."))),
))
