"""The Binder set-up works: a fresh venv built from exactly the binder/ files runs a notebook.

repo2docker ignores every root configuration file when ``binder/`` exists,
so this test does what it does: install ``binder/requirements.txt``, run
``binder/postBuild`` (which installs normad_edu itself and compiles every
numba kernel into the cache beside it), then execute a notebook in that
environment through ``binder/start``, as a session would. The notebook must
compile nothing: every kernel it calls is loaded from the cache postBuild
filled. The Binder base image provides Jupyter; here ipykernel and nbclient
stand in for it. Takes ~1.5 minutes (pip cache warm).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: A notebook that simulates and trains (forward pass, NormAD and ReSuMe updates).
NOTEBOOK = ROOT / "notebooks" / "04_normad_single_neuron.ipynb"

RUN_NOTEBOOK = """
import os, sys, nbformat, nbclient, normad_edu
assert 'site-packages' in normad_edu.__file__, normad_edu.__file__
assert os.environ.get('NUMBA_CPU_NAME') == 'generic', 'binder/start did not set the CPU target'
nb = nbformat.read(sys.argv[1], as_version=4)
nbclient.NotebookClient(nb, timeout=300, kernel_name='python3',
                        resources={'metadata': {'path': sys.argv[2]}}).execute()
print('notebook ran:', sys.argv[1])
"""

#: numba's cache of the installed package: {file: mtime} of every index and object file.
CACHE_FILES = """
import json, sys, normad_edu
from pathlib import Path
pkg = Path(normad_edu.__file__).parent
print(json.dumps({str(p.relative_to(pkg)): p.stat().st_mtime_ns for p in pkg.rglob('*.nb[ic]')}))
"""


@pytest.mark.slow
def test_binder_files_build_an_environment_that_runs_a_notebook(tmp_path):
    req = (ROOT / "binder" / "requirements.txt").read_text()
    assert "\n.\n" not in req and not req.startswith(".\n"), "binder/requirements.txt must not install the local package"
    assert (ROOT / "binder" / "runtime.txt").read_text().strip().startswith("python-3")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    env = dict(os.environ, PATH=f"{venv / 'bin'}{os.pathsep}{os.environ['PATH']}", NORMAD_EDU_QUICK="1",
               PIP_DISABLE_PIP_VERSION_CHECK="1")
    env.pop("PYTHONPATH", None)
    env.pop("NUMBA_CACHE_DIR", None)  # numba's cache beside the installed modules, as on Binder
    env.pop("NUMBA_CPU_NAME", None)  # set by binder/postBuild and binder/start only

    def run(cmd, **kw):
        res = subprocess.run(cmd, env=env, capture_output=True, text=True, **kw)
        assert res.returncode == 0, f"{cmd} failed:\n{res.stdout[-3000:]}\n{res.stderr[-3000:]}"
        return res

    run(["python", "-m", "pip", "install", "-q", "-r", str(ROOT / "binder" / "requirements.txt"),
         "ipykernel", "nbclient", "nbformat"])
    built = run(["bash", str(ROOT / "binder" / "postBuild")], cwd=ROOT)
    assert "normad_edu.cli.warmup: done" in built.stdout, built.stdout
    assert f"kernels of {venv.resolve()}" in built.stdout, f"postBuild warmed another copy of the package:\n{built.stdout}"
    cache = json.loads(run(["python", "-c", CACHE_FILES], cwd=tmp_path).stdout)
    assert sum(name.endswith(".nbi") for name in cache) >= 15, f"postBuild cached too few kernels: {sorted(cache)}"

    start = ROOT / "binder" / "start"
    assert os.access(start, os.X_OK), "binder/start must be executable"
    out = run([str(start), "python", "-c", RUN_NOTEBOOK, str(NOTEBOOK), str(tmp_path)], cwd=tmp_path)
    assert "notebook ran" in out.stdout
    after = json.loads(run(["python", "-c", CACHE_FILES], cwd=tmp_path).stdout)
    assert after == cache, f"the notebook compiled kernels: {sorted(k for k in after if cache.get(k) != after[k])}"
