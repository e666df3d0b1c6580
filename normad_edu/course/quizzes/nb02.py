"""Self-check quiz of notebook 02: the LIF neuron, its exact solution and its exact simulation."""

from __future__ import annotations

from ..quiz import Choice, Question, Quiz

QUIZ = Quiz("Notebook 02: self-check", (
    Question(
        r"Multiply every weight by $k$ and the distance from rest to threshold $\theta = V_T - E_L$ by the same $k$. "
        "What happens to the output spike times?",
        (Choice("nothing: they stay the same", True,
                r"$V - E_L$ is linear in the weights (2.3), and (2.5) scales with it, so every threshold crossing "
                r"$V - E_L = \theta$ happens at the same instant."),
         Choice("they are scaled by $k$", False, "time is not rescaled: the kernels and $\\tau_L$ are unchanged."),
         Choice("they come earlier, because the weights are larger", False,
                "the threshold moved away by the same factor."),
         Choice(r"it depends on $\tau_L$", False, "the argument holds for any membrane time constant.")),
        explanation=r"Only $W/\theta$ matters for the spikes: the 90 mV and nA weights are a choice of scale."),
    Question(
        "A neuron crosses threshold while its synaptic current is 5700 pA (default neuron). What is $\\dot V$ at "
        "the spike, in mV/ms?",
        value=10.0, tolerance=0.01,
        explanation=r"(2.6): $\dot V = (I - g_L(V_T - E_L))/C = (5700 - 2700)/300 = 10$ mV/ms (pA/pF = mV/ms)."),
    Question(
        "In (2.5) the reset subtracts a copy of the potential the neuron had accumulated above rest. With which "
        "time constant does that subtracted copy fade?",
        (Choice(r"the membrane time constant $\tau_L = C/g_L$", True,
                r"the copy is $e^{-(t - t_0)/\tau_L}(V_\mathrm{free}(t_0) - E_L)$: a potential left alone decays "
                "with the leak."),
         Choice(r"the synaptic decay time $\tau_1$", False, r"$\tau_1$ shapes the current, which the reset does not "
                                                            "touch."),
         Choice(r"the refractory period $t_\mathrm{ref}$", False,
                "t_ref only sets when the copy starts fading (t0 = spike + t_ref)."),
         Choice("none: the reset erases the past at once", False,
                "the copy fades gradually, so V_free and V approach each other over a few tau_L.")),
        explanation="Notebook 04 turns this loss of memory into NormAD's shorter time constant."),
    Question(
        "Why do the simulator's spike times not move when the grid step is refined from 0.1 to 0.01 ms?",
        (Choice("between events the state follows its exact solution and each crossing is located inside its step; "
                "the grid only decides where V is sampled", True,
                "nothing is approximated, so the grid cannot leave a trace in the spike times."),
         Choice("0.1 ms is already small compared with tau_L", False,
                "forward Euler on the same 0.1 ms grid misplaces the first spike by about 0.1 ms."),
         Choice("the spike times are rounded to the grid", False, "they are not: they fall anywhere inside a step."),
         Choice("the input spikes lie on the grid", False, "they need not: time is also cut at every input spike.")),
        explanation="Section 6 checks it, and the readable forward pass shows each step."),
    Question(
        "A constant current of twice the rheobase (5400 pA) drives the default neuron ($\\tau_L$ = 10 ms, "
        "$t_\\mathrm{ref}$ = 2 ms). What is its firing rate, in Hz?",
        value=111.96, tolerance=0.5,
        explanation=r"From rest it needs $\tau_L \ln 2 = 6.93$ ms to reach threshold (the potential climbs towards "
                    r"twice $\theta$), then $t_\mathrm{ref}$ at rest: one spike every 8.93 ms, 112 Hz (exercise 2.2)."),
    Question(
        "What is true of the threshold $V_T = +20$ mV, 90 mV above rest?",
        (Choice("it is an engineering choice of the method (the group's code uses it too); since only W / theta "
                "matters, it sets the scale of the weights", True,
                "a cortical neuron's threshold lies some 15-20 mV above rest; nothing in the method needs 90 mV."),
         Choice("it is the threshold measured in cortical neurons", False,
                "real thresholds lie some 15-20 mV above rest, near -50 mV."),
         Choice("the exact simulator needs a threshold above 0 mV", False,
                "the simulator works with theta = VT - EL > 0, for any EL and VT."),
         Choice("NormAD's normalisation needs it", False,
                "the normalised step only needs the direction of the gradient.")),
        explanation="Section 3 flags the unphysiological values and checks that only W / theta matters."),
))
