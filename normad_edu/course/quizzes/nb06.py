"""Self-check quiz of notebook 06: XOR with a spiking network."""

from __future__ import annotations

from ..quiz import Choice, Question, Quiz

QUIZ = Quiz("Notebook 06: self-check", (
    Question(
        "Without the reference set, why can no network answer both (0,0) and (1,1) at 25 ms?",
        (Choice("(1,1) is then (0,0) delayed by 6 ms, and a network that starts at rest is time invariant: its "
                "answer to (1,1) is its answer to (0,0) delayed by 6 ms.", True,
                "Section 2 checks the delayed copy on the simulator; the reference fixes an origin of time."),
         Choice("Because 0 XOR 0 = 1 XOR 1, so the two inputs must be identical.", False,
                "Equal answers do not need equal inputs; the inputs differ, but only by a shift in time."),
         Choice("The reference adds the drive the output neuron needs to fire.", False,
                "Its role is not drive: without it the patterns carry no absolute timing.")),
    ),
    Question(
        "With exact spike times, why can one LIF neuron not solve spike-timing XOR?",
        (Choice("Below threshold its potential is linear in its inputs, so $V_{00} + V_{11} = V_{01} + V_{10}$; at "
                "20 ms the right side would be $2V_T$ and the left side below it.", True,
                "(6.1): the neuron's potential splits into a reference part, a bit-a part and a bit-b part."),
         Choice("One neuron cannot fire at two different times.", False,
                "It can: each pattern is a separate presentation, and the neuron may fire at 20 ms for one and at "
                "25 ms for another."),
         Choice("54 inputs are too few.", False,
                "The argument holds for any number of inputs and any weights.")),
    ),
    Question(
        "The XOR bins are 0.1 ms wide and centred on the grid points (offset 0.5). What is the earliest output "
        "spike time (ms) that still counts as on time for a desired spike at 25 ms?",
        value=24.95, tolerance=1e-3,
        explanation="The bin of 25 ms is [24.95, 25.05) (exercise 6.2): floor(t/0.1 + 0.5) = 250 for "
                    "24.95 <= t < 25.05.",
    ),
    Question(
        "With bins the impossibility argument needs a tolerance term, $K\\Delta_b^2/2$. Why is it second order in "
        "the bin width $\\Delta_b$ and not first order?",
        (Choice("At its first threshold crossing the potential of the earlier '1' pattern is rising "
                "($\\dot U \\ge 0$), so within the window it can fall back only through its curvature "
                "($|\\ddot U| \\le K$).", True,
                "A Taylor expansion from the crossing: $U(t_2) \\ge V_T + 0 - K(t_2 - t_1)^2/2$."),
         Choice("Because the bins are centred on the grid points.", False,
                "Centred or not, the window is $\\Delta_b$ wide; the order comes from the slope at the crossing."),
         Choice("Because the two '1' patterns cross with the same slope.", False,
                "Their slopes need not be equal; only the sign of the earlier one's slope is used.")),
    ),
    Question(
        "Lower the mean hidden weight until the hidden layer is silent. What can training do?",
        (Choice("Nothing: the output receives no spikes, so $\\hat{\\mathbf d}$ = 0 at every error instant and no "
                "hidden spike can receive blame.", True,
                "Every gradient of (5.3)-(5.8) is built from spikes of the layer below."),
         Choice("Train the hidden weights until the layer fires again.", False,
                "Hidden weights learn only through the adjoints of hidden spikes; with none, their gradient is 0."),
         Choice("Train the output weights up until the output fires.", False,
                "The output potential is $E_L + \\sum W \\hat\\psi(\\cdot)$ over hidden spikes: with none it "
                "does not depend on the output weights.")),
    ),
    Question(
        "What do the paper's Fig. 7 and the shipped full-size sweeps show about training the hidden layer?",
        (Choice("With a plastic hidden layer more initialisations converge than with a frozen one.", True,
                "Section 6's table (100 initialisations each): the paper's claim, reproduced in sign."),
         Choice("Freezing the hidden layer makes training more reliable, since fewer weights move.", False,
                "The frozen configuration leaves runs unconverged at 800 iterations."),
         Choice("Both converge equally often; the plastic layer only converges faster.", False,
                "The shipped table shows a difference in the number of converged runs, not only in speed.")),
    ),
))
