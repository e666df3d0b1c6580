"""Helpers shared by the widget tests (imported as ``from widget_helpers import ...``).

Headless execution never moves a slider, so the tests drive each builder's
controls themselves: every slider to its minimum, its maximum and back to
its initial value, each change firing the widget's callback.
"""

from __future__ import annotations

import os
import time

import matplotlib.pyplot as plt
import numpy as np
import pytest


def slider_ends(box):
    """Yield ``(name, value)`` after setting each slider of ``box`` to min, max and its initial value.

    Non-slider controls (text boxes, checkboxes) are left alone. Figures are
    closed before each redraw, so a test can count the figures a callback drew.
    """
    for name, c in box.controls.items():
        if not hasattr(c, "min"):
            continue
        for value in (c.min, c.max, c.value):
            plt.close("all")
            if value != c.value:
                c.value = value  # fires the callback
            else:
                box.update()
            yield name, value


def assert_fast_callback(box, limit: float = 0.5, repeats: int = 3) -> None:
    """Median time of ``box.update()`` is at most ``limit`` s; skipped on a busy machine."""
    if os.getloadavg()[0] > 1.5:
        pytest.skip(f"machine under load ({os.getloadavg()[0]:.1f}); timing not meaningful")
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        box.update()
        times.append(time.perf_counter() - t0)
        plt.close("all")
    assert np.median(times) <= limit
