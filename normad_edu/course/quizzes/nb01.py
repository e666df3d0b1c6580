"""Self-check quiz of notebook 01: the synaptic kernel, filtered trains and the synaptic current."""

from __future__ import annotations

from ..quiz import Choice, Question, Quiz

QUIZ = Quiz("Notebook 01: self-check", (
    Question(
        r"You double both $\tau_1$ and $\tau_2$. What happens to the peak value $\alpha(t^*)$ of the kernel?",
        (Choice("it stays the same", True,
                r"$\alpha$ with both time constants doubled is $\alpha(t/2)$: the same curve stretched in time. The "
                r"peak time and the area double; the height depends only on $\tau_2/\tau_1$."),
         Choice("it doubles", False, "the area doubles (it is $\\tau_1 - \\tau_2$), not the height."),
         Choice("it halves", False, r"both exponentials still start at 1: the stretched curve has the same height."),
         Choice("it depends on the weight", False, r"$\alpha$ is dimensionless and has no weight in it; $w$ scales "
                                                   "the current afterwards.")),
        explanation=r"Check it with `alpha_kernel(t, 10, 2.5).max()` against `alpha_kernel(t).max()`."),
    Question(
        "What total charge (pA ms = fC) does one spike deliver through a synapse of weight 800 pA, with the default "
        "time constants?",
        value=3000.0, tolerance=0.5,
        explanation=r"The area of $\alpha$ is $\tau_1 - \tau_2 = 3.75$ ms, so the charge is $800 \times 3.75 = 3000$ "
                    "pA ms."),
    Question(
        "An input spike arrives at $t = 10$ ms. What current does it inject at $t = 10$ ms exactly?",
        (Choice("none: $\\alpha(0) = 0$", True, "the two exponentials cancel at 0, so the current starts "
                                               "continuously and rises with the fast time constant."),
         Choice("the full weight $w$", False, "that would be a jump; (1.1) is continuous at 0."),
         Choice("half the weight", False, "there is no jump at all, not even half of one."),
         Choice(r"$w(\tau_1 - \tau_2)$", False, "that is the total charge (pA ms), not a current.")),
        explanation="The simulator uses this: both current traces jump by $W$, so their difference does not."),
    Question(
        "30 inputs fire at 20 Hz through synapses of 500 pA each. What is the mean synaptic current (pA)?",
        value=1125.0, tolerance=1.0,
        explanation=r"Each spike delivers $500 \times 3.75$ pA ms and 30 inputs at 0.02 spikes/ms deliver "
                    r"$30 \times 0.02 \times 1875 = 1125$ pA on average."),
    Question(
        "Synapse $i$ is inhibitory ($w_i < 0$). What is the sign of its filtered train $c_i(t)$?",
        (Choice("$c_i(t) \\ge 0$: the sign sits in the weight", True,
                "(1.2) sums kernels that are never negative; (1.3) multiplies by $w_i$."),
         Choice("$c_i(t) \\le 0$", False, "the filtered train does not know the synapse's sign."),
         Choice("it changes sign after each spike", False, r"$\alpha \ge 0$ for $\tau_1 > \tau_2$, so any sum of "
                                                          "kernels is too."),
         Choice("it is zero: inhibition blocks the input", False, "the current is negative, not absent.")),
        explanation="This is why the same $c_i$ serves excitatory and inhibitory synapses alike."),
    Question(
        "In the steady state of a long regular train, where in each period does $c(t)$ peak, compared with one "
        "kernel's peak time $t^*$?",
        (Choice("earlier than $t^*$", True, "the earlier kernels are falling while the latest one rises, so the sum "
                                            "stops rising sooner (exercise 1.2)."),
         Choice("exactly at $t^*$", False, "that would need the earlier kernels to be flat; they are falling."),
         Choice("later than $t^*$", False, "falling earlier kernels pull the maximum earlier, not later."),
         Choice("at the middle of the period, whatever the period", False,
                "only in the limit of very short periods; for long ones it tends to $t^*$.")),
        explanation="Between those two limits it moves smoothly."),
))
