"""Detect an exercise answer that only calls the library's own implementation (private).

The checkers of :mod:`normad_edu.checks` refuse such an answer: "write
``alpha_kernel``" is not solved by ``return kernels.alpha_kernel(t, tau1,
tau2)``. Two independent looks, so a plain call, an alias, a wrapper, a
closure, a default argument or a string lookup are all caught:

* :func:`find_reference` reads the answer's code, without running it: every
  global name, closure cell and default argument it refers to, followed
  into the learner's own helper functions (code outside the installed
  packages), and every attribute or imported name it accesses
  (``kernels.alpha_kernel``, ``from normad_edu.checks import reference_...``);
* :func:`refusing_calls` makes the listed library functions raise
  :class:`LibraryCallRefused` while the answer runs, so a call that the code
  does not spell out (``getattr(module, "alpha_" + "kernel")``) is caught too;
  it records the call even when the answer catches the exception.

Compiled (numba) functions cannot be made to raise; the first look covers them.
Neither look is meant to stop a determined learner (copying the library's
source text passes both); they stop the shortcut the exercise rules out.
"""

from __future__ import annotations

import contextlib
import dis
import functools
import importlib
import inspect
import sysconfig
import types
from collections.abc import Iterable, Iterator
from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent
_LIBRARY_DIRS = tuple({str(Path(p).resolve()) for key in ("stdlib", "platstdlib", "purelib", "platlib")
                       if (p := sysconfig.get_paths().get(key))})
#: attribute / imported-name accesses, across Python 3.10-3.13
_ATTRIBUTE_OPS = {"LOAD_ATTR", "LOAD_METHOD", "IMPORT_FROM", "LOAD_SUPER_ATTR", "STORE_ATTR"}
_GLOBAL_OPS = {"LOAD_GLOBAL", "LOAD_NAME"}
_MAX_OBJECTS = 2000  # a bound on the objects one look follows (a learner's namespace is small)

#: labels of the library calls made while :func:`refusing_calls` is active
CALLS: list[str] = []


class LibraryCallRefused(Exception):
    """Raised by a library function that an answer must not call (see :func:`refusing_calls`)."""


def resolve(targets: Iterable[str]) -> dict[int, tuple[str, object]]:
    """``{id(obj): (label, obj)}`` for targets written ``"module:attribute"``.

    The label is the dotted name a learner would recognise
    (``normad_edu.kernels.alpha_kernel``).
    """
    out = {}
    for target in targets:
        module, _, attr = target.partition(":")
        obj = getattr(importlib.import_module(module), attr)
        out[id(obj)] = (f"{module}.{attr}", obj)
    return out


def is_user_code(func: types.FunctionType) -> bool:
    """True for a function written by the learner: not in this package, the standard library or site-packages."""
    filename = func.__code__.co_filename
    if filename.startswith("<"):  # exec'd or typed-in code, except the interpreter's frozen modules
        return not filename.startswith(("<frozen", "<__array_function__"))
    try:
        path = Path(filename).resolve()
    except (OSError, ValueError):
        return True
    if path.is_relative_to(_PACKAGE_DIR):
        return False
    text = str(path)
    return not any(text.startswith(d + "/") or text == d for d in _LIBRARY_DIRS)


def _code_objects(code: types.CodeType) -> Iterator[types.CodeType]:
    """``code`` and every code object nested in it (inner functions, lambdas, comprehensions)."""
    yield code
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            yield from _code_objects(const)


def find_reference(fn, forbidden: dict[int, tuple[str, object]], names: dict[str, str]) -> str | None:
    """Label of a forbidden library function that ``fn`` refers to, or None.

    Parameters
    ----------
    fn : callable
        The learner's answer.
    forbidden : dict
        ``{id(obj): (label, obj)}`` from :func:`resolve`: functions the answer must not use.
    names : dict
        ``{attribute name: label}``: accessing ``something.<name>`` (or
        importing ``<name>``) counts as using the function ``label``.
    """
    seen: set[int] = set()
    stack = [fn]
    while stack and len(seen) < _MAX_OBJECTS:
        obj = stack.pop()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        if id(obj) in forbidden:
            return forbidden[id(obj)][0]
        if isinstance(obj, functools.partial):
            stack.extend([obj.func, *obj.args, *obj.keywords.values()])
            continue
        if inspect.ismethod(obj):
            stack.extend([obj.__func__, obj.__self__])
            continue
        if not inspect.isfunction(obj):
            call = getattr(type(obj), "__call__", None)  # a callable object written by the learner
            if inspect.isfunction(call) and is_user_code(call):
                stack.append(call)
            continue
        if not is_user_code(obj):
            continue
        stack.extend(obj.__defaults__ or ())
        stack.extend((obj.__kwdefaults__ or {}).values())
        for cell in obj.__closure__ or ():
            with contextlib.suppress(ValueError):  # an empty cell
                stack.append(cell.cell_contents)
        for code in _code_objects(obj.__code__):
            for ins in dis.get_instructions(code):
                if ins.opname in _ATTRIBUTE_OPS and ins.argval in names:
                    return names[ins.argval]
                if ins.opname in _GLOBAL_OPS and ins.argval in obj.__globals__:
                    stack.append(obj.__globals__[ins.argval])
    return None


def _refusing_code(label: str) -> types.CodeType:
    """Code of a function that records ``label`` and raises; it runs in a library module's globals."""
    source = (f"def refused(*args, **kwargs):\n"
              f"    import {__name__} as borrowed\n"
              f"    borrowed.CALLS.append({label!r})\n"
              f"    raise borrowed.LibraryCallRefused({label!r})\n")
    namespace: dict = {}
    exec(compile(source, f"<refused {label}>", "exec"), namespace)  # noqa: S102 - fixed template
    return namespace["refused"].__code__


@contextlib.contextmanager
def refusing_calls(forbidden: dict[int, tuple[str, object]]):
    """Within the block, every plain-Python function of ``forbidden`` raises :class:`LibraryCallRefused`.

    The functions' code is swapped and restored on exit (also on an
    exception or an interrupt); calls are appended to :data:`CALLS`, which
    is cleared on entry. Nested use is not supported.
    """
    CALLS.clear()
    swapped = []
    try:
        for label, obj in forbidden.values():
            if inspect.isfunction(obj) and not obj.__code__.co_freevars:
                swapped.append((obj, obj.__code__))
                obj.__code__ = _refusing_code(label)
        yield CALLS
    finally:
        for obj, code in swapped:
            obj.__code__ = code
