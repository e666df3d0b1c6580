"""Shared test set-up: a non-interactive matplotlib backend and no figure left open."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    """Close every figure a test opened (widgets and plotting tests draw many)."""
    yield
    plt.close("all")
