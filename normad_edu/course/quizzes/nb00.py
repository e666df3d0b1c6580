"""Self-check quiz of notebook 00: spikes, the training problem, and where the values come from."""

from __future__ import annotations

from ..quiz import Choice, Question, Quiz

QUIZ = Quiz("Notebook 00: self-check", (
    Question(
        "Which of these does the paper itself give?",
        (Choice(r"$C = 300$ pF and $g_L = 30$ nS", False,
                "the paper's visible text gives no neuron parameters: these are the values of the group's published "
                "code, adopted here (reconstructed)."),
         Choice(r"the form of the synaptic kernel, $\alpha(t) = [e^{-t/\tau_1} - e^{-t/\tau_2}]\,\Theta(t)$", True,
                "it is the paper's Eq. (1), the course's (1.1); its time constants are not given and come from the "
                "group's code."),
         Choice(r"$\tau_L' = 2.5$ ms", False,
                "reconstructed: chosen here (the group's code uses 1 ms, for other experiments)."),
         Choice("a refractory period of 3 ms", False,
                "that is the group's code, for other experiments; the package keeps 2 ms (reconstructed).")),
        explanation="Section 5 sorts every value into the paper, the group's code and the reconstruction."),
    Question(
        "The group's published code uses a 3 ms refractory period and $\\tau_L' = 1$ ms. Why are they not the "
        "package's defaults?",
        (Choice("that code ran other experiments of the same group, so its values are facts to cite and test, not "
                "this paper's settings; tried together on problems used for nothing else, they did not help", True,
                "a setting is adopted only when a measurement supports it."),
         Choice("the paper gives other values", False, "the paper's visible text gives neither value."),
         Choice("the exact simulator cannot handle a 3 ms refractory period", False,
                "t_ref is a parameter (`LIFParams.t_ref`); any positive value works."),
         Choice("the group's code integrates the neuron with a different scheme, so its values do not transfer",
                False, "a parameter of the model does not depend on how the model is integrated.")),
        explanation="docs/method.md ('Provenance') gives the measurement."),
    Question(
        "With the default neuron, what constant current (pA) holds the potential exactly at threshold in the long "
        "run, the least current with which it can fire?",
        value=2700.0, tolerance=1.0,
        explanation=r"At rest against the leak, $I = g_L (V_T - E_L) = 30\ \text{nS} \times 90\ \text{mV} = 2700$ pA "
                    "(nS x mV = pA): the rheobase."),
    Question(
        "Desired train [60, 120] ms, observed train [60.03, 95] ms, bins of 0.1 ms. What is the error signal "
        "$e(t) = s_d(t) - s_o(t)$?",
        (Choice("$+1$ at 120 ms and $-1$ at 95 ms", True,
                "60 and 60.03 ms fall in the same bin [60.0, 60.1) and cancel; 120 ms was missed, 95 ms is extra."),
         Choice("$+1$ at 60 and 120 ms, $-1$ at 60.03 and 95 ms", False,
                "a desired and an observed spike in the same bin cancel: 60 and 60.03 ms produce no error."),
         Choice("no error: both trains have two spikes", False,
                "equal counts are not enough: the times must match too."),
         Choice("$-1$ at 120 ms and $+1$ at 95 ms", False,
                "the sign is the other way: $+1$ where a desired spike is missing, $-1$ at an extra spike.")),
        explanation="Notebook 03 makes the bins precise."),
    Question(
        "Between two of its output spikes, how does a neuron's potential depend on its weights?",
        (Choice("linearly", True, r"$V(t) = E_L + \sum_i W_i d_i(t)$: the only non-linearity is the threshold and "
                                  "the reset."),
         Choice("quadratically", False, "no product of weights appears: currents add, and the membrane filters "
                                        "their sum."),
         Choice("through a sigmoid, as in a rate network", False,
                "there is no squashing function: the threshold acts only when V reaches VT."),
         Choice("not at all: only the spike times of the inputs matter", False,
                "the weights scale each input's contribution to the current.")),
        explanation="Notebook 02 derives it."),
))
