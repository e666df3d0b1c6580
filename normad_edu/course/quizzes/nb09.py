"""Self-check quiz of notebook 09: NormAD among the learning rules."""

from __future__ import annotations

from ..quiz import Choice, Question, Quiz

QUIZ = Quiz("Notebook 09: self-check", (
    Question(
        "NormAD's hidden-layer recursion moves a hidden spike by $-\\delta V / \\dot V$ at that spike. Which rule "
        "does that factor come from?",
        (Choice("ReSuMe", False, "ReSuMe trains the output layer only, with an exponential learning window; it "
                                 "never looks at $\\dot V$."),
         Choice("SpikeProp", True, "SpikeProp differentiates the threshold crossing $V(t_f) = V_T$: by the "
                                   "implicit function theorem $dt_f = -\\delta V(t_f) / \\dot V(t_f)$, the factor "
                                   "NormAD uses at every hidden spike."),
         Choice("the surrogate gradient", False, "it replaces the derivative of the threshold step by a smooth "
                                                 "bump at every time step; no spike time, so no $1/\\dot V$."),
         Choice("EventProp", False, "EventProp uses the same factor, exactly, but it came later (2021); NormAD's "
                                    "recursion and EventProp both inherit it from SpikeProp (2002).")),
    ),
    Question(
        "What exactly does a surrogate-gradient rule (SuperSpike, snnTorch, Norse) replace?",
        (Choice("the derivative of the threshold step $\\Theta(v - \\theta)$, by a smooth bump around $\\theta$",
                True, "the forward pass still spikes; only the backward pass uses the bump (9.3), at every "
                      "time step, whether a spike happens there or not."),
         Choice("the membrane kernel, by a shorter one", False, "that is NormAD's $\\tau_L'$, an approximation "
                                                                "of the memory lost at a reset."),
         Choice("the exact spike times, by the time steps they fall in", False, "that is the discretisation of "
                                                                                 "the model it trains, not the "
                                                                                 "surrogate: its forward pass is "
                                                                                 "exact for the grid model."),
         Choice("the reset, by no reset", False, "detaching the reset (its usual default) treats the reset as a "
                                                 "constant in the backward pass; the reset still happens, and "
                                                 "that choice is separate from the surrogate.")),
    ),
    Question(
        "In the widget, a desired spike is missing at $t$ = 35 ms, after the output's spike at 24 ms. With "
        "NormAD's $\\tau_L'$ set to $\\tau_L$ = 10 ms, which two rules give exactly the same direction in both "
        "layers?",
        (Choice("NormAD and SpikeProp", True, "both raise the potential at $t$ with the no-reset kernel and "
                                              "carry it down through $-1/\\dot V$ at the hidden spikes; with "
                                              "the same kernel and one error instant the directions coincide."),
         Choice("NormAD and EventProp", False, "EventProp differentiates the resets too (the output's at 24 ms "
                                               "and the hidden neurons' own), which NormAD ignores."),
         Choice("SpikeProp and EventProp", False, "they share the loss, but EventProp's exact kernel after each "
                                                  "reset changes the hidden layer's direction a lot (cosine "
                                                  "about 0.65 there)."),
         Choice("NormAD and ReSuMe", False, "ReSuMe has no hidden update and weighs inputs by an exponential "
                                            "window, not by the synaptic and membrane kernels.")),
    ),
    Question(
        "The fast sigmoid (9.3) with $\\theta$ = 90 mV (threshold above rest) and slope $k$ = 1: how many mV "
        "from threshold has it fallen to a quarter of its peak?",
        value=90.0, tolerance=0.5,
        explanation="A quarter of the peak means $(1 + k|u - \\theta|/\\theta)^2 = 4$, so $|u - \\theta| = "
                    "\\theta / k$ = 90 mV: with slope 1 the bump is as wide as the whole way from rest to "
                    "threshold, which is why a silent neuron still gets a gradient.",
    ),
    Question(
        "The comparison chose every rule's learning rate on one set of problems (seed 1) and reports the counts "
        "on another (seed 2). Why not report the screening counts?",
        (Choice("the rate that won on a set is partly chosen for that set's luck, so its count there is biased "
                "upwards", True, "the winner's curse: a set used for nothing else gives an honest estimate."),
         Choice("the problems of seed 2 are easier", False, "both sets are drawn the same way; only their use "
                                                            "differs."),
         Choice("the McNemar test needs two seeds", False, "McNemar pairs two rules on the *same* problems; it "
                                                          "needs one set, used by both rules."),
         Choice("to train more problems for the same cost", False, "the report trains extra problems; it costs "
                                                                   "more, not less.")),
    ),
    Question(
        "The van Rossum loss of one spike $\\Delta$ away from its target (exercise 9.2) tends to 1/2 for "
        "$\\Delta \\gg \\tau$. What does that mean for a rule that descends it?",
        (Choice("far from its target a spike gets almost no gradient to move it: the rule removes it and grows "
                "one near the target instead", True, "the loss hardly changes with $\\Delta$ there, so its "
                                                     "derivative, the force that would move the spike, vanishes."),
         Choice("far spikes are corrected fastest", False, "the loss saturates, so its slope in $\\Delta$ is "
                                                           "smallest for far spikes."),
         Choice("the loss is convex in $\\Delta$", False, "it rises like $|\\Delta|$ near 0 and flattens out: "
                                                          "concave on either side."),
         Choice("nothing: the loss only reports progress", False, "the surrogate rule descends exactly this loss; "
                                                                  "its shape is what the gradient sees.")),
    ),
))
