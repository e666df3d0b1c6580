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


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """Tell where the browser tests (tests/test_browser.py) left their screenshots."""
    folder = getattr(config, "normad_edu_screenshots", None)
    if folder:
        terminalreporter.write_sep("-", "browser screenshots")
        terminalreporter.write_line(f"JupyterLab screenshots (after run, before/after slider moves): {folder}")
