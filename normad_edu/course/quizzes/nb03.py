"""Self-check quiz of notebook 03: error instants, the objective on the potential, and the two metrics."""

from __future__ import annotations

from ..quiz import Choice, Question, Quiz

QUIZ = Quiz("Notebook 03: self-check", (
    Question(
        "Desired spike at 10.05 ms, observed spike at 10.12 ms, `coincidence_dt` = 0.1 ms (left-edge bins). Which "
        "error instants are there?",
        (Choice("two: $+1$ at 10.05 ms and $-1$ at 10.12 ms", True,
                "the spikes fall in the bins [10.0, 10.1) and [10.1, 10.2): different bins, no cancellation."),
         Choice("none: they are only 0.07 ms apart", False,
                "the rule compares bins, not distances: two close spikes can straddle a bin edge."),
         Choice("one: $-1$ at 10.12 ms", False, "an uncancelled desired spike is a miss, $+1$, as well."),
         Choice("one: $+1$ at 10.05 ms", False, "an uncancelled observed spike is an extra spike, $-1$, as well.")),
        explanation="Notebook 03's Section 2 shows this very case."),
    Question(
        "What is the correlation metric ($\\sigma$ = 2 ms) of two single spikes 2 ms apart?",
        value=0.7788, tolerance=0.001,
        explanation=r"$e^{-\delta^2/(4\sigma^2)} = e^{-4/16} = e^{-0.25} \approx 0.779$."),
    Question(
        "Why does NormAD write its objective on the membrane potential at the error instants, not on spike times?",
        (Choice("a spike time is a discontinuous function of the weights (spikes appear and vanish), while the "
                "potential at a fixed instant changes smoothly with them between resets", True,
                "a smooth quantity has a gradient to follow."),
         Choice("because the desired potential $V_d$ is known", False,
                "it is unknown; only the sign of $V_d - V$ at an error instant is known."),
         Choice("because spike times cannot be computed exactly", False,
                "the simulator computes them to about $10^{-12}$ ms."),
         Choice("because it needs fewer error instants", False, "the error instants are the same either way.")),
        explanation="(3.2) and the bullet list below it."),
    Question(
        "At an extra output spike ($e = -1$), what does NormAD know about $V_d(t_e) - V(t_e)$?",
        (Choice("it is negative: V reached threshold there and should not have", True,
                "so the weights must move to lower V at that instant."),
         Choice("it is positive", False, "that is a missed spike, $e = +1$."),
         Choice("its exact value", False, "only its sign; NormAD's normalised step replaces the unknown size."),
         Choice("it is zero, because V equals VT", False, "V equals VT, but a potential that fires no spike there "
                                                           "stays below VT.")),
        explanation=r"$\operatorname{sign}(V_d - V) = e(t_e)$ at every error instant."),
    Question(
        "One of 4 well-separated spikes is dropped. What is the correlation metric of the two trains?",
        value=0.8660, tolerance=0.001,
        explanation=r"With no overlaps, $\mathcal C = (n-1)/\sqrt{n(n-1)} = \sqrt{3/4} \approx 0.866$."),
    Question(
        "One spike is shifted by 0.5 ms. Which verdict is stricter: the Gaussian metric ($\\sigma$ = 2 ms) or the "
        "cosine of exponentially filtered trains ($\\tau$ = 5 ms)?",
        (Choice("the exponential one (about 0.90 against 0.98)", True,
                r"$e^{-0.5/5} \approx 0.905$ falls linearly with the shift, $e^{-0.25/16} \approx 0.984$ only "
                "quadratically (exercise 3.2)."),
         Choice("the Gaussian one", False, "for small shifts the Gaussian metric barely moves: it is flat at 0."),
         Choice("they agree", False, "their shapes differ: a cusp at 0 against a flat top."),
         Choice("it depends on the length of the train", False,
                "for one isolated spike the verdict is the pair's, whatever the rest of the train.")),
        explanation=r"For shifts beyond $4\sigma^2/\tau$ = 3.2 ms the order reverses."),
))
