"""Notebooks execute headless without waiting: the kernel computes, the client never sits idle.

A headless run (nbclient, behind ``jupyter nbconvert --execute`` and the
course site's build) used to stall at widget cells: the widgets filled their
``Output`` with ``with out:``, nbclient emulated the front end's capture by
sending each captured output back to the kernel on the shell channel, and
that synchronous send could swallow the wake-up of the cell's
``execute_reply``; the reply was then read only when the cell's time limit
ran out (never, with nbconvert's default). Measured before the fix: two of
five notebooks waited 178 s each at a 180 s limit, on a loaded machine.

* the widgets fill their ``Output`` from the kernel
  (``normad_edu/course/widgets/_output.py``): executing widget cells, the
  client sends the kernel nothing but execute requests, and the widgets'
  figures, text and errors are in their saved state, in order;
* no module of the package fills an ``Output`` by front-end capture
  (``with out:`` on an ``ipywidgets.Output``), which would bring it back;
* a whole notebook (05, where a stall was reported) executes with the client
  waiting on an idle kernel for less than a few seconds in total, however
  loaded the machine: its wall time minus the kernel's busy time per cell.
"""

from __future__ import annotations

import ast
import collections
import os
import time
import types
from datetime import datetime
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

from normad_edu.course.widgets._output import render_into  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "normad_edu"
#: Client->kernel shell messages a headless run may send (no comm_msg: nothing synced back).
ALLOWED_REQUESTS = {"kernel_info_request", "execute_request"}


def _execute(nb, cwd: Path, timeout: int = 300):
    """Run ``nb`` with nbclient in quick mode; returns (client, shell message counts, per-cell client seconds)."""
    sent = collections.Counter()
    started, wall = {}, {}

    def on_start(notebook):
        channel = client.kc.shell_channel
        send = channel.send

        def counting_send(msg):
            sent[msg["header"]["msg_type"]] += 1
            return send(msg)

        channel.send = counting_send

    def on_execute(cell, cell_index):
        started[cell_index] = time.monotonic()

    def on_executed(cell, cell_index, execute_reply):
        wall[cell_index] = time.monotonic() - started[cell_index]

    client = nbclient.NotebookClient(nb, timeout=timeout, kernel_name="python3", record_timing=True,
                                     resources={"metadata": {"path": str(cwd)}}, on_notebook_start=on_start,
                                     on_cell_execute=on_execute, on_cell_executed=on_executed)
    env = {"NORMAD_EDU_QUICK": "1", "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        client.execute()
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return client, sent, wall


def _output_models(nb) -> list[list[dict]]:
    state = nb.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    return [m["state"].get("outputs", []) for m in state.values() if m["model_name"] == "OutputModel"]


WIDGET_CELLS = [
    "%matplotlib inline\nfrom normad_edu.course.widgets.synapse import build_synapse_widget\n"
    "from normad_edu.course.widgets.metrics import build_metrics_widget",
    "display(build_synapse_widget())",
    "display(build_metrics_widget())",
    "import ipywidgets as widgets\nimport matplotlib.pyplot as plt\n"
    "from normad_edu.course.widgets._output import render_into\n\n"
    "out = widgets.Output()\nwith render_into(out):\n    print('before')\n    plt.plot([0, 1]); plt.show()\n"
    "    print('after')\ndisplay(out)\n"
    "bad = widgets.Output()\nwith render_into(bad):\n    print('start')\n    raise ValueError('bad value 1234')\n"
    "display(bad)\nprint('the cell went on')",
]


def test_widget_cells_send_the_kernel_nothing_but_execute_requests(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(src) for src in WIDGET_CELLS]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    client, sent, _ = _execute(nb, tmp_path)
    assert set(sent) <= ALLOWED_REQUESTS and sent["execute_request"] == len(WIDGET_CELLS), dict(sent)
    models = _output_models(nb)
    figures = [o for o in models if [x.get("output_type") for x in o] == ["display_data"]
               and "image/png" in o[0]["data"]]
    assert len(figures) >= 2, "the synapse and metrics widgets show no figure in their saved state"
    ordered = [o for o in models if o and o[0].get("text") == "before\n"]
    assert len(ordered) == 1 and [x["output_type"] for x in ordered[0]] == ["stream", "display_data", "stream"]
    assert ordered[0][2]["text"] == "after\n" and "image/png" in ordered[0][1]["data"]
    failed = [o for o in models if o and o[0].get("text") == "start\n"]
    assert len(failed) == 1 and failed[0][1]["output_type"] == "error"
    assert failed[0][1]["ename"] == "ValueError" and "1234" in failed[0][1]["evalue"]
    last = nb.cells[-1].outputs
    assert not [o for o in last if o.output_type == "error"], "an error inside render_into escaped into the cell"
    assert any("the cell went on" in o.get("text", "") for o in last)


def test_render_into_outside_ipython_collects_prints_in_order_and_raises():
    import sys

    out = types.SimpleNamespace(outputs=("old",))
    saved = sys.stdout, sys.stderr
    with render_into(out):
        print("a")
        print("b", file=sys.stderr)
        print("c", end="")
        print("d")
    assert out.outputs == ({"output_type": "stream", "name": "stdout", "text": "a\n"},
                           {"output_type": "stream", "name": "stderr", "text": "b\n"},
                           {"output_type": "stream", "name": "stdout", "text": "cd\n"})
    with pytest.raises(ValueError, match="no kernel 99"):
        with render_into(out):
            print("x")
            raise ValueError("no kernel 99")
    assert out.outputs == ({"output_type": "stream", "name": "stdout", "text": "x\n"},)
    assert (sys.stdout, sys.stderr) == saved, "the streams were not restored"


def test_render_into_collects_only_its_own_threads_output(capsys):
    """A callback drawing in another thread (an ipykernel subshell) must not swallow the cell's prints."""
    import threading

    out = types.SimpleNamespace(outputs=())
    inside, release = threading.Event(), threading.Event()

    def callback():
        with render_into(out):
            print("from the widget")
            inside.set()
            release.wait(10)

    worker = threading.Thread(target=callback)
    worker.start()
    assert inside.wait(10)
    print("from the cell")          # the main thread, while the widget's block is open
    release.set()
    worker.join(10)
    assert out.outputs == ({"output_type": "stream", "name": "stdout", "text": "from the widget\n"},)
    assert capsys.readouterr().out == "from the cell\n"


def _front_end_captures(path: Path) -> list[int]:
    """Lines of ``with NAME:`` where NAME was assigned an ``...Output(...)`` in the same module."""
    tree = ast.parse(path.read_text(), str(path))
    outputs = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
            f = node.value.func
            if (isinstance(f, ast.Attribute) and f.attr == "Output") or (isinstance(f, ast.Name) and f.id == "Output"):
                outputs |= {t.id for t in node.targets if isinstance(t, ast.Name)}
    return [node.lineno for node in ast.walk(tree) if isinstance(node, ast.With)
            for item in node.items if isinstance(item.context_expr, ast.Name) and item.context_expr.id in outputs]


def test_no_module_fills_an_output_widget_by_front_end_capture(tmp_path):
    found = {str(p.relative_to(ROOT)): _front_end_captures(p) for p in sorted(PACKAGE.rglob("*.py"))}
    found = {k: v for k, v in found.items() if v}
    assert not found, f"'with out:' on an ipywidgets.Output (use render_into(out)): {found}"
    planted = tmp_path / "w.py"   # the checker sees the idiom it forbids
    planted.write_text("import ipywidgets as widgets\nout = widgets.Output()\nwith out:\n    print(1)\n")
    assert _front_end_captures(planted) == [3]


def _ts(stamp: str) -> float:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


@pytest.mark.slow
def test_notebook_executes_without_the_client_waiting(tmp_path):
    """Notebook 05 in quick mode: per cell, client time minus the kernel's busy time stays small."""
    path = ROOT / "notebooks" / "05_spatio_temporal_backprop.ipynb"
    nb = nbformat.read(path, as_version=4)
    t0 = time.monotonic()
    client, sent, wall = _execute(nb, path.parent, timeout=600)
    total = time.monotonic() - t0
    assert set(sent) <= ALLOWED_REQUESTS, dict(sent)
    waits = {}
    for i, cell in enumerate(nb.cells):
        ex = cell.metadata.get("execution", {})
        if i in wall and "iopub.status.idle" in ex:
            waits[i] = wall[i] - (_ts(ex["iopub.status.idle"]) - _ts(ex["iopub.status.busy"]))
    busy = sum(wall.values()) - sum(waits.values())
    print(f"\n{path.name}: {total:.1f} s wall, kernel busy {busy:.1f} s over {len(wall)} cells, "
          f"client waiting {sum(waits.values()):.1f} s (worst cell {max(waits, key=waits.get)}: "
          f"{max(waits.values()):.2f} s)")
    assert len(waits) >= 10
    assert max(waits.values()) < 5.0 and sum(waits.values()) < 10.0, \
        f"the client waited on an idle kernel: {sorted(waits.items(), key=lambda kv: -kv[1])[:3]}"
