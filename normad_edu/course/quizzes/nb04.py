"""Self-check quiz of notebook 04: NormAD for one neuron."""

from __future__ import annotations

from ..quiz import Choice, Question, Quiz

QUIZ = Quiz("Notebook 04: self-check", (
    Question(
        "Scale every weight by $s$ and watch the neuron. Why does NormAD not descend the number of output spikes, "
        "or their times, directly?",
        (Choice("The simulator does not give spike times precisely enough.", False,
                "It does: the simulator finds every crossing to about 1e-12 ms. Precision is not the problem."),
         Choice("As functions of the weights they are staircases or jump when a spike appears or disappears, so "
                "their gradient is zero almost everywhere or undefined.", True,
                "Section 1: the count is a staircase and a first spike time jumps when an earlier spike appears; "
                "the potential at a fixed instant is linear in the weights until a reset, so (4.1) is written on it."),
         Choice("Spike times have a gradient, but computing it is too expensive.", False,
                "Notebook 05 computes it cheaply, $-(\\partial V/\\partial\\theta)/\\dot V$; the trouble is that "
                "spikes appear and disappear, where no derivative exists."),
         Choice("The paper defines its objective on firing rates.", False,
                "The objective (4.1) is on the membrane potential at the error instants, not on rates.")),
    ),
    Question(
        "In one iteration the neuron misses 3 desired spikes and fires 2 extra ones; $r$ = 400 pA. What is the "
        "largest length $\\lVert\\Delta\\mathbf w\\rVert$ (pA) the update (4.5) can have?",
        value=2000.0, tolerance=0.5,
        explanation="Each error instant adds a vector of length exactly r (a unit vector times r), so five instants "
                    "give at most 5 x 400 = 2000 pA, reached only if all five signed unit vectors point the same "
                    "way. Section 3 prints this bound for the update it computes.",
    ),
    Question(
        "The neuron fired at $t^f$ = 30 ms ($t_\\mathrm{ref}$ = 2 ms). With the reset time held fixed, how does "
        "$V$(40 ms) depend on the weights?",
        (Choice("Through $\\mathbf d$(40 ms), exactly as if there had been no spike.", False,
                "That is (4.3), true only before the first reset: the reset erased what the inputs had built up."),
         Choice("Through $\\mathbf d(40) - e^{-(40 - 32)/\\tau_L}\\,\\mathbf d(32)$: the reset, which ends at "
                "32 ms, removes the memory of what came before.", True,
                "(4.7), the answer of exercise 4.1. NormAD's shorter $\\tau_L'$ imitates this forgetting without "
                "tracking the resets."),
         Choice("Not at all: after a spike the potential no longer depends on the weights.", False,
                "Only while refractory (30 to 32 ms) is V clamped; after that the inputs drive it again."),
         Choice("Through $\\mathbf d(40) - \\mathbf d(30)$.", False,
                "The memory of the old inputs decays from the end of the reset; it is not subtracted in full.")),
    ),
    Question(
        "Section 4 finds that the faster the neuron fires, the shorter the $\\tau_L'$ whose $\\hat{\\mathbf d}$ "
        "points closest to the true gradient. Why?",
        (Choice("The membrane time constant $\\tau_L$ shortens when the neuron fires fast.", False,
                "$\\tau_L = C/g_L$ = 10 ms is a constant of the model; it does not depend on the rate."),
         Choice("Resets come more often, so the true gradient has forgotten everything older than the last reset, "
                "which is typically recent.", True,
                "At ~150 Hz the last reset is a few ms back, at ~30 Hz about 14 ms (printed in Section 4): a memory "
                "of matching length imitates (4.7) best."),
         Choice("The synaptic kernel is shorter at high rates.", False,
                "$\\alpha$ has fixed time constants (5 and 1.25 ms); what changes with the rate is how often the "
                "neuron resets.")),
    ),
    Question(
        "A silent neuron, one missed desired spike at $t_g$ with $\\lVert\\mathbf d(t_g)\\rVert$ = 0.04 ms/pF, and "
        "$\\tau_L' = \\tau_L$. By how many mV does one update with $r$ = 1 nA raise $V(t_g)$?",
        value=40.0, tolerance=0.5,
        explanation="The update is r d/||d||, and by (4.3) it changes V(t_g) by r d.d/||d|| = r ||d|| = 1000 pA x "
                    "0.04 ms/pF = 40 mV, exactly, since V is linear in the weights before the first spike. Whether "
                    "the neuron then fires depends on the potential's peak, which need not be at t_g (exercise 4.2).",
    ),
    Question(
        "Why does no single learning rate suit ReSuMe on every problem, while NormAD's r = 1 nA does?",
        (Choice("ReSuMe's step grows with the number of input spikes in its window before each error instant; "
                "NormAD's step is exactly r at every instant.", True,
                "(4.9) sums an STDP-like window over the recent input spikes without normalising; (4.5) normalises "
                "every instant's direction."),
         Choice("ReSuMe uses the neuron's own filter, which is too slow.", False,
                "It is NormAD that uses the neuron's filter ($\\hat{\\mathbf d}$); ReSuMe uses an exponential window "
                "with $\\tau_R$ = 5 ms."),
         Choice("ReSuMe updates only at missed spikes.", False,
                "It updates at both kinds of error instant, with the sign of e(t), like NormAD.")),
    ),
))
