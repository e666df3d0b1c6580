"""Fill an ``ipywidgets.Output`` from the kernel: what a widget draws, without front-end capture (private).

The usual idiom, ``with out: ...``, asks the *front end* to capture the
cell's display messages into the widget. A front end that executes
notebooks headless (nbclient, behind ``jupyter nbconvert --execute`` and the
course site's build) emulates that capture by sending each captured output
back to the kernel as a ``comm_msg`` on the shell channel -- from inside the
coroutine that reads the cell's output, with a synchronous send on the
socket on which another coroutine is waiting for the cell's
``execute_reply``. That send consumes the socket's edge-triggered wake-up:
a reply that arrives in that instant stays unread, with the kernel idle,
until the wait times out (never, with nbconvert's default; after the site
build's per-cell limit otherwise), and the run then goes on.

:func:`render_into` never involves the front end: it collects, in order,
everything the block displays (figures via ``plt.show()``) or prints, and
sets the widget's ``outputs`` once at the end, as
``Output.append_display_data`` does. A new drawing replaces the old one in
one update (no ``clear_output`` flicker) in JupyterLab, on Colab and in a
headless run alike, and a headless run sends the kernel nothing but its
execute requests.
"""

from __future__ import annotations

import sys
from contextlib import contextmanager

__all__ = ["render_into"]


class _Stream:
    """A text stream (``sys.stdout``/``sys.stderr`` stand-in) appending to ``items``, merging consecutive writes."""

    def __init__(self, items: list, name: str):
        self.items, self.name = items, name

    def write(self, text: str) -> int:
        if text:
            last = self.items[-1] if self.items else None
            if last is not None and last["output_type"] == "stream" and last["name"] == self.name:
                last["text"] += text
            else:
                self.items.append({"output_type": "stream", "name": self.name, "text": text})
        return len(text)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False


def _publisher(items: list):
    """An IPython display publisher that appends every display to ``items`` (mime bundle and metadata)."""
    from IPython.core.displaypub import DisplayPublisher

    class _Publisher(DisplayPublisher):
        def publish(self, data, metadata=None, source=None, *, transient=None, update=False, **kwargs) -> None:
            items.append({"output_type": "display_data", "data": data, "metadata": metadata or {}})

        def clear_output(self, wait: bool = False) -> None:
            items.clear()

    return _Publisher()


def _shell():
    """The running IPython shell, or None (plain Python, e.g. the tests)."""
    ipython = sys.modules.get("IPython")
    return ipython.get_ipython() if ipython is not None else None


@contextmanager
def render_into(out):
    """Show what the ``with`` block displays and prints in the ``Output`` widget ``out``, replacing its content.

    Inside IPython an exception in the block is shown in the widget as a
    traceback and not raised further (as ``with out:`` does), so a slider
    callback that fails says why where the figure would be; outside IPython
    it propagates.
    """
    shell = _shell()
    items: list[dict] = []
    saved_streams = sys.stdout, sys.stderr
    saved_pub = shell.display_pub if shell is not None else None
    sys.stdout, sys.stderr = _Stream(items, "stdout"), _Stream(items, "stderr")
    if shell is not None:
        shell.display_pub = _publisher(items)
    try:
        yield out
    except Exception:
        if shell is None:
            raise
        etype, evalue, tb = sys.exc_info()
        items.append({"output_type": "error", "ename": etype.__name__, "evalue": str(evalue),
                      "traceback": shell.InteractiveTB.structured_traceback(etype, evalue, tb)})
    finally:
        sys.stdout, sys.stderr = saved_streams
        if shell is not None:
            shell.display_pub = saved_pub
        out.outputs = tuple(items)
