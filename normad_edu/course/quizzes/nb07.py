"""Self-check quiz of notebook 07 (the deep network, the paper's Figs. 8-10)."""

from __future__ import annotations

from ..quiz import Choice, Question, Quiz

QUIZ = Quiz("Notebook 07: self-check", (
    Question(
        "A problem's first desired spike is at 8 ms; hidden layer 2 first fires at 12 ms and layer 1 at 7 ms. "
        "Which experiment can ever match that spike?",
        (Choice("Output layer only, with large enough output weights", False,
                "before layer 2's first spike the output neuron receives no input at all: its potential stays at "
                "rest whatever its weights."),
         Choice("Only an experiment that trains the hidden layers, and only if training makes layer 2 fire before "
                "8 ms", True,
                "layer 2 has to fire earlier, and the output needs a few milliseconds more to rise to threshold; "
                "with layer 1 at 7 ms that leaves almost no time, so such a problem is out of reach in practice."),
         Choice("Any of the three, given a larger learning rate", False,
                "a larger step does not change when the output neuron first receives input."),
         Choice("None, because the metric ignores the first spike", False,
                "the correlation metric treats every desired spike alike; missing one costs a lot (exercise 7.2)."))),
    Question(
        "A desired train has 10 spikes far apart from each other. After training, the output matches 9 of them "
        "exactly and misses the tenth. What correlation (sigma = 2 ms) does this run reach? (a number)",
        value=0.9487, tolerance=0.002,
        explanation="The overlap counts 9 matched bumps, the norms are sqrt(10) and sqrt(9): 9 / sqrt(90) = "
                    "sqrt(0.9) = 0.949, below 0.98, so the run has not converged however precise its 9 spikes are."),
    Question(
        "With one desired spike missed and every other one matched exactly (all far apart), how many desired "
        "spikes must a train have at least for the run to reach 0.98? (a whole number)",
        value=26, tolerance=0.0,
        explanation="sqrt((n - 1) / n) >= 0.98 needs n >= 1 / (1 - 0.98^2) = 25.3, so n = 26. The generic problems "
                    "ask for about 5 spikes in 500 ms (10 Hz), so one missed spike always fails them."),
    Question(
        "On the confirmation problems, judging convergence with a 5 ms Gaussian instead of 2 ms raises output-only "
        "training from 50 to 67 converged problems, and no problem that converged at 2 ms fails at 5 ms. What does "
        "that say about the 17 problems that changed?",
        (Choice("Training works better with a wider Gaussian", False,
                "the width of the Gaussian does not enter the NormAD update; it only decides when a run counts as "
                "converged and stops."),
         Choice("Their output had spikes within a few milliseconds of the targets: timing errors, not missing or "
                "extra spikes far from any target", True,
                "a wider Gaussian forgives small timing errors; a missing spike far from any output spike costs "
                "about as much at 5 ms as at 2 ms."),
         Choice("The 2 ms results were wrong", False,
                "both are correct readings of the same training runs; they answer different questions about "
                "precision."),
         Choice("They had too many output spikes", False,
                "a wrong count caps the correlation whatever the width (exercise 7.2), unless extra spikes sit "
                "right next to a desired one."))),
    Question(
        "A shipped sweep is still running and holds 60 of its 100 problems. Why are its convergence counts only a "
        "lower bound and its mean correlation curve biased upwards?",
        (Choice("Problems are written to the file when they stop, so those that converged early are over-"
                "represented", True,
                "runs that will fail keep training until the last iteration, so they arrive last."),
         Choice("The file rounds the correlations", False,
                "rounding to 4 digits moves no curve visibly and biases nothing."),
         Choice("The problems of a partial sweep are easier by construction", False,
                "problem i is the same draw whatever the sweep's state; only the order in which they finish "
                "differs."))),
))
