"""Self-check quiz of notebook 10 (the capstone: does a trained network generalise, and how sure are we?); not graded."""

from __future__ import annotations

from ..quiz import Choice, Question, Quiz

QUIZ = Quiz("Notebook 10: self-check (not graded)", (
    Question(
        "The trained XOR network answers with the target nearer its first output spike: 20 ms when the bits differ, "
        "25 ms when they are equal. Every input spike of each of the four patterns is moved by the same +3 ms. How "
        "many of the four answers are still right? (a whole number)",
        value=2, tolerance=0.0,
        explanation="The network has no clock: LIF neurons starting at rest and kernels that depend only on time "
                    "differences answer a shifted pattern with the same spikes, shifted. The output spikes move to "
                    "about 23 and 28 ms; 23 ms is nearer 25 than 20, so the two patterns whose bits differ are now "
                    "answered 0, while the two whose bits are equal stay right."),
    Question(
        "The trained network answers patterns shifted by 1 ms exactly as well as the patterns it was trained on. "
        "What does that show?",
        (Choice("That NormAD taught the network to ignore when a pattern starts", False,
                "no shifted pattern was ever shown in training; the objective only asked for exact output times on "
                "the four patterns as they are."),
         Choice("Nothing about what it learned: any network of LIF neurons starting at rest is time-invariant, "
                "trained or not", True,
                "every equation of the model depends on time differences only, so a common shift moves every spike "
                "by the same amount; it is a property of the model, not of the weights."),
         Choice("That the network will also be robust to independent jitter of each input spike", False,
                "jitter changes the time differences between input spikes, which a shift keeps; hidden neurons then "
                "gain or lose spikes, and the capstone measures that separately."),
         Choice("That the 2.5 ms margin (half the 5 ms between the target times) is larger than needed", False,
                "the margin only decides from which shift on the answers turn wrong; a 1 ms shift staying inside "
                "it says nothing about how much margin the answers need."))),
    Question(
        "At one jitter level the network answers 45 of 50 noisy copies right. What should the report say?",
        (Choice("90 % right", False,
                "a fraction without its uncertainty: with 50 copies another set of copies could easily give 84 % "
                "or 96 %."),
         Choice("90 % right, 95 % Wilson interval about 79 % to 96 % (50 copies)", True,
                "the Wilson interval of 45 of 50 is 0.786 to 0.957: more room below 90 % than above, because the "
                "fraction is near 1, where the plain normal-approximation interval sits too high and covers the "
                "true fraction too rarely."),
         Choice("90 % +- 1 % right", False,
                "the binomial standard error alone is sqrt(0.9 x 0.1 / 50) = 4.2 %, so a 95 % interval spans about "
                "+-8 %."),
         Choice("Between 0 % and 100 %, since every copy is random", False,
                "the copies are random, but their number bounds the fraction well: about 79 % to 96 % at 95 %."))),
    Question(
        "Task 4 (a): a network trained on clean templates and one trained on noisy copies are both tested on the "
        "same 200 held-out noisy patterns. Which comparison fits?",
        (Choice("Fisher's exact test on the two success counts", False,
                "Fisher's test is for two independent samples; here both networks answer the same patterns, and "
                "ignoring the pairing throws away power."),
         Choice("McNemar's exact test on the patterns that only one of the two networks answers right", True,
                "the patterns both get right or both get wrong say nothing about which is better; the paired test "
                "counts only the discordant ones."),
         Choice("Check whether the two Wilson intervals overlap: if they do, there is no difference", False,
                "overlapping intervals do not mean the difference is not significant, and each interval ignores "
                "that the patterns are shared."),
         Choice("A t-test on the first output spike times of the two networks", False,
                "the question is whether the answers are right; spike times of a silent output are not even "
                "defined."))),
    Question(
        "You measured the jitter robustness of one network (initialisation 0) on many noisy copies. Which claim "
        "does that measurement support?",
        (Choice("How robust this trained network is, within the stated interval", True,
                "the copies sample the noise, not the training: they pin down this network's fraction right, and "
                "nothing more."),
         Choice("How robust NormAD-trained XOR networks are in general", False,
                "another initialisation converges to other weights; Task 4 (d) repeats the measurement for several "
                "and reports the spread between networks."),
         Choice("That training on noisy patterns would make it more robust", False,
                "no network was trained on noise in this measurement; that needs the paired comparison of "
                "Task 4 (a)."))),
))
