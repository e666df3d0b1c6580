"""``python -m normad_edu.cli.warmup`` compiles and caches every numba kernel, so later processes compile nothing.

Each check runs in fresh processes sharing one empty ``NUMBA_CACHE_DIR``
(this process's kernels are not involved): the warm-up must leave an index
(``.nbi``) for every ``cache=True`` kernel of the package, and afterwards the
command line's first simulation and training (``normad-edu demo``,
``normad-edu single``, ``normad-edu xor``) must add nothing to the cache:
every kernel they call is loaded, none compiled. ~20-40 s (one cold compile).
"""

from __future__ import annotations

import importlib
import json
import os
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import normad_edu
from normad_edu.cli.warmup import warm_numba_cache

ROOT = Path(__file__).resolve().parents[1]


def _cached_kernels() -> set[str]:
    """``module.function-line`` of every numba kernel of the package compiled with cache=True (numba's index names)."""
    from numba.core.caching import NullCache
    from numba.core.registry import CPUDispatcher

    names = set()
    for info in pkgutil.walk_packages(normad_edu.__path__, "normad_edu."):
        if info.name.endswith(".__main__"):  # runs the command line when imported
            continue
        module = importlib.import_module(info.name)
        for obj in vars(module).values():
            if isinstance(obj, CPUDispatcher) and obj.py_func.__module__ == info.name \
                    and not isinstance(obj._cache, NullCache):
                f = obj.py_func
                names.add(f"{info.name.rsplit('.', 1)[-1]}.{f.__qualname__}-{f.__code__.co_firstlineno}")
    return names


def _cache_files(cache: Path) -> dict[str, int]:
    return {str(p.relative_to(cache)): p.stat().st_mtime_ns for p in cache.rglob("*") if p.is_file()}


def _run(args, cache: Path, cwd: Path) -> str:
    env = dict(os.environ, NUMBA_CACHE_DIR=str(cache), NORMAD_EDU_QUICK="1", TQDM_DISABLE="1")
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])
    res = subprocess.run([sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, f"{args} failed:\n{res.stdout[-2000:]}\n{res.stderr[-3000:]}"
    return res.stdout


@pytest.mark.slow
def test_warmup_caches_every_kernel_and_later_runs_compile_nothing(tmp_path):
    cache = tmp_path / "numba-cache"
    cache.mkdir()
    out = _run(["-m", "normad_edu.cli.warmup"], cache, tmp_path)
    assert "(empty cache)" in out and "done in" in out
    indexed = {p.name.rsplit(".py", 1)[0] for p in cache.rglob("*.nbi")}
    kernels = _cached_kernels()
    assert len(kernels) >= 15, kernels  # the simulator and the engine
    assert kernels <= indexed, f"kernels the warm-up did not compile: {sorted(kernels - indexed)}"

    before = _cache_files(cache)
    for args in (["demo", "--json", "--out", "demo"],
                 ["single", "--problems", "2", "--max-iter", "5", "--json", "--quiet"],
                 ["xor", "--problems", "2", "--max-iter", "3", "--json", "--quiet", "--workers", "1", "--out", "xor"]):
        report = json.loads(_run(["-m", "normad_edu", *args], cache, tmp_path).strip().splitlines()[-1])
        assert report["command"] == args[0]
    after = _cache_files(cache)
    assert after == before, ("compiled after the warm-up: "
                             f"{sorted(k for k in after if before.get(k) != after[k])}")


def test_warm_numba_cache_reports_each_workload_and_checks_its_argument():
    with pytest.raises(TypeError, match="report must be callable or None, got int"):
        warm_numba_cache(report=3)
    lines = []
    seconds = warm_numba_cache(report=lines.append)  # compiled (or loaded) already in this process: fast
    assert list(seconds) == [line.split(":")[0].strip() for line in lines]
    assert len(seconds) >= 5 and all(s >= 0 for s in seconds.values())
