"""The exercises of the course and their checkers, one module per notebook, on one convention.

A notebook's check cell calls ``check_<name>(<name>)``; every checker prints
one message (``[PASS]``, ``[FAIL]`` with a hint, ``[REFUSED]``, ``[TODO]``)
and returns a :class:`~normad_edu.course.exercises.framework.Verdict` that is
true if and only if the exercise passed. The convention (cases, catalogue of
known mistakes, hints, hidden cases, scoreboard) is
:mod:`~normad_edu.course.exercises.framework`; refusing borrowed answers is
:mod:`~normad_edu.course.exercises.borrowing`.

=========  ============================  ==============================================
notebook   module                        the learner writes
=========  ============================  ==============================================
01         :mod:`.nb01`                  ``synaptic_charge`` (1.1), ``steady_peak`` (1.2)
02         :mod:`.nb02`                  ``v_after_reset`` (2.1), ``firing_rate`` (2.2)
03         :mod:`.nb03`                  ``spike_correlation`` (3.1), ``exp_correlation`` (3.2)
04         :mod:`.nb04`                  ``reset_gradient`` (4.1), ``one_update_rate`` (4.2)
05         :mod:`.nb05`                  ``spike_time_gradient`` (5.1), ``blame_flip_lag`` (5.2)
06         :mod:`.nb06`                  ``xor_encode`` (6.1), ``hit_window`` (6.2)
07         :mod:`.nb07`                  ``first_spike_times`` (7.1), ``count_error_cap`` (7.2)
07b        :mod:`.nb07b`                 ``mcnemar_exact_p`` (7b.1), ``group_participation_ratio`` (7b.2)
08         :mod:`.nb08`                  ``alpha_kernel``, ``lif_step``,
                                         ``normad_single_update``, ``backprop_adjoints``
                                         (graded with nbgrader: 1-4)
09         :mod:`.nb09`                  ``fast_sigmoid`` (9.1), ``one_spike_loss`` (9.2)
=========  ============================  ==============================================

Every ``check_*`` is importable from here: ``from normad_edu.course.exercises
import check_spike_correlation``.
"""

from __future__ import annotations

from . import nb01, nb02, nb03, nb04, nb05, nb06, nb07, nb07b, nb08, nb09
from .framework import Exercise, Verdict, evaluate, passed, reset_scoreboard, scoreboard
from .nb01 import check_steady_peak, check_synaptic_charge
from .nb02 import check_firing_rate, check_v_after_reset
from .nb03 import check_exp_correlation, check_spike_correlation
from .nb04 import check_one_update_rate, check_reset_gradient
from .nb05 import check_blame_flip_lag, check_spike_time_gradient
from .nb06 import check_hit_window, check_xor_encode
from .nb07 import check_count_error_cap, check_first_spike_times
from .nb07b import check_group_participation_ratio, check_mcnemar_exact_p
from .nb08 import check_alpha_kernel, check_backprop_adjoints, check_lif_step, check_normad_single_update
from .nb09 import check_fast_sigmoid, check_one_spike_loss

#: Every exercise of the course, by the name of the function the learner writes, in course order.
EXERCISES: dict[str, Exercise] = {name: ex for module in (nb01, nb02, nb03, nb04, nb05, nb06, nb07, nb07b, nb08, nb09)
                                  for name, ex in module.EXERCISES.items()}

__all__ = ["EXERCISES", "Exercise", "Verdict", "check_alpha_kernel", "check_backprop_adjoints",
           "check_blame_flip_lag", "check_count_error_cap", "check_exp_correlation", "check_fast_sigmoid",
           "check_firing_rate", "check_first_spike_times", "check_group_participation_ratio", "check_hit_window",
           "check_lif_step", "check_mcnemar_exact_p", "check_normad_single_update", "check_one_spike_loss",
           "check_one_update_rate", "check_reset_gradient", "check_spike_correlation", "check_spike_time_gradient",
           "check_steady_peak", "check_synaptic_charge", "check_v_after_reset", "check_xor_encode", "evaluate",
           "passed", "reset_scoreboard", "scoreboard"]
