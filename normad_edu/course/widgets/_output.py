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
import threading
from contextlib import contextmanager

__all__ = ["render_into"]

#: The capture of the calling thread: a list of outputs while a ``render_into`` block runs in it, else absent.
#: Only that thread's prints and displays are collected: with ipykernel 7 a widget's callback may run in a
#: subshell thread while a cell runs in the main thread, and the cell's output must stay in the cell.
_capture = threading.local()
_lock = threading.Lock()
_installed: dict = {}   # while any thread captures: the streams and display publisher found before


def _append_text(items: list, name: str, text: str) -> None:
    last = items[-1] if items else None
    if last is not None and last["output_type"] == "stream" and last["name"] == name:
        last["text"] += text
    else:
        items.append({"output_type": "stream", "name": name, "text": text})


class _Stream:
    """``sys.stdout``/``sys.stderr`` while some thread captures: that thread's writes go to its outputs,
    every other thread's to the stream that was there before."""

    def __init__(self, original, name: str):
        self.original, self.name = original, name

    def write(self, text: str) -> int:
        items = getattr(_capture, "items", None)
        if items is None:
            return self.original.write(text)
        if text:
            _append_text(items, self.name, text)
        return len(text)

    def flush(self) -> None:
        if getattr(_capture, "items", None) is None:
            self.original.flush()

    def __getattr__(self, name):   # encoding, isatty, fileno, ...: the original stream's
        return getattr(self.original, name)


def _publisher(original):
    """An IPython display publisher: the capturing thread's displays go to its outputs, others to ``original``."""
    from IPython.core.displaypub import DisplayPublisher

    class _Publisher(DisplayPublisher):
        def publish(self, data, metadata=None, source=None, *, transient=None, update=False, **kwargs) -> None:
            items = getattr(_capture, "items", None)
            if items is None:
                return original.publish(data, metadata, source, transient=transient, update=update, **kwargs)
            items.append({"output_type": "display_data", "data": data, "metadata": metadata or {}})

        def clear_output(self, wait: bool = False) -> None:
            items = getattr(_capture, "items", None)
            if items is None:
                return original.clear_output(wait)
            items.clear()

        def __getattr__(self, name):   # set_parent, session, ...: the kernel's publisher's
            return getattr(original, name)

    return _Publisher()


def _shell():
    """The running IPython shell, or None (plain Python, e.g. the tests)."""
    ipython = sys.modules.get("IPython")
    return ipython.get_ipython() if ipython is not None else None


def _install(shell) -> None:
    """Put the dispatching streams (and publisher) in place for the first capturing thread."""
    with _lock:
        if not _installed:
            _installed.update(stdout=sys.stdout, stderr=sys.stderr, shell=shell,
                              pub=shell.display_pub if shell is not None else None)
            sys.stdout, sys.stderr = _Stream(sys.stdout, "stdout"), _Stream(sys.stderr, "stderr")
            if shell is not None:
                shell.display_pub = _publisher(shell.display_pub)
        _installed["users"] = _installed.get("users", 0) + 1


def _uninstall() -> None:
    """Restore the streams and publisher when the last capturing thread is done."""
    with _lock:
        _installed["users"] -= 1
        if _installed["users"] == 0:
            sys.stdout, sys.stderr = _installed["stdout"], _installed["stderr"]
            if _installed["shell"] is not None:
                _installed["shell"].display_pub = _installed["pub"]
            _installed.clear()


@contextmanager
def render_into(out):
    """Show what the ``with`` block displays and prints in the ``Output`` widget ``out``, replacing its content.

    Only the calling thread's output is collected. Inside IPython an
    exception in the block is shown in the widget as a traceback and not
    raised further (as ``with out:`` does), so a slider callback that fails
    says why where the figure would be; outside IPython it propagates.
    """
    if getattr(_capture, "items", None) is not None:
        raise RuntimeError("render_into blocks do not nest")
    shell = _shell()
    items: list[dict] = []
    _install(shell)
    _capture.items = items
    try:
        yield out
    except Exception:
        if shell is None:
            raise
        etype, evalue, tb = sys.exc_info()
        items.append({"output_type": "error", "ename": etype.__name__, "evalue": str(evalue),
                      "traceback": shell.InteractiveTB.structured_traceback(etype, evalue, tb)})
    finally:
        _capture.items = None
        _uninstall()
        out.outputs = tuple(items)
