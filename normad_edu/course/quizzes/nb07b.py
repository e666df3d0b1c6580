"""Self-check quiz of notebook 07b (comparing success counts, and how the defaults were chosen)."""

from __future__ import annotations

from ..quiz import Choice, Question, Quiz

QUIZ = Quiz("Notebook 07b: self-check", (
    Question(
        "On 40 screening problems a lever moves output-only training from 30 to 32 converged. What can you "
        "conclude?",
        (Choice("The lever helps: 2 more problems converge", False,
                "with 40 problems each count's 95 % Wilson interval is about 15 percentage points wide on each "
                "side; a difference of 2 is well inside it."),
         Choice("Nothing yet: look at the discordant problems (solved by one setting only) and their McNemar "
                "p-value, and expect to need a larger set", True,
                "only the problems one setting solves and the other does not carry evidence; 2 more could be "
                "2 against 0 or 7 against 5, and neither is significant (p = 0.5 at best)."),
         Choice("The lever hurts, since a gain this small is within chance", False,
                "a result within chance says nothing either way; it does not show harm."))),
    Question(
        "Two settings are trained on the same 100 problems. Why does the exact McNemar test see a difference that "
        "Fisher's exact test on the same two counts misses?",
        (Choice("McNemar uses more problems", False,
                "it uses fewer: only the discordant ones. That is its strength, not a larger sample."),
         Choice("Pairing removes the problem-to-problem variation: the easy problems (solved by both) and the "
                "impossible ones (solved by neither) say nothing about which setting is better", True,
                "Fisher's test treats the two counts as independent samples, so the large differences between "
                "problems count as noise; McNemar compares the settings problem by problem."),
         Choice("McNemar is one-sided", False,
                "(7b.2) is two-sided: both tails count, and p is capped at 1."))),
    Question(
        "A paper reports 100 of 100 for one configuration and 98 of 100 for another, trained on the same "
        "problems. What is the smallest exact two-sided McNemar p-value these counts allow? (a number)",
        value=0.5, tolerance=0.001,
        explanation="At best both discordant problems go the same way: b = 0, c = 2, so (7b.2) gives "
                    "2 x 2^-2 = 0.5. A difference of 2 in 100 cannot be significant however the problems split."),
    Question(
        "In failed runs with one learning rate for both hidden layers, hidden layer 2 loses spikes. Pulling every "
        "hidden neuron's weights back towards its initial activity (homeostasis) keeps layer 2 alive, yet fewer "
        "problems converge. What does that say?",
        (Choice("Layer 2's decay is a symptom: stopping it does not remove what makes the runs fail", True,
                "an intervention on a statistic that goes with failure is the test of a cause; this one failed "
                "it. Slowing layer 1, which disturbs layer 2, changed the outcome instead."),
         Choice("Layer 2's decay is the cause, and homeostasis was too weak", False,
                "homeostasis did keep layer 2 active (the decay stopped), and convergence still did not improve."),
         Choice("Homeostasis is broken", False,
                "it did what it was built to do: the layer's spike count stayed near its initial value."))),
    Question(
        "A lever was chosen because it gave the most converged problems on the screening set (seed 1). Why is its "
        "count on that same set not a fair estimate of how well it does?",
        (Choice("The screening set is too small to train on", False,
                "size is not the problem here: any set used to choose is biased for the one chosen."),
         Choice("It was picked partly for that set's luck: the best of several settings on one set is biased "
                "upwards (the winner's curse), so it is judged on problems used for nothing else", True,
                "that is why the study confirms on seed 2 and, declared in advance, on seed 3."),
         Choice("The screening set uses 2,500 iterations instead of 10,000", False,
                "a shorter budget lowers every setting's count alike; it does not favour the one chosen."))),
))
