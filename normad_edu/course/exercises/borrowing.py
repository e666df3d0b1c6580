"""Borrowed answers: the two looks every exercise checker takes before it accepts an answer.

A checker refuses an answer that only calls the library's own implementation
of what the exercise asks for: "write ``alpha_kernel``" is not solved by
``return kernels.alpha_kernel(t, tau1, tau2)``; nor by calling the
checkers' own code (their ``reference_*`` solutions, their catalogues of
mistakes). Two independent looks, so a plain call, an alias, a wrapper, a
closure, a default argument or a string lookup are all caught:

* :func:`find_reference` reads the answer's code, without running it: every
  global name, closure cell and default argument it refers to, followed
  into the learner's own helper functions (code outside the installed
  packages), and every attribute or imported name it accesses
  (``kernels.alpha_kernel``,
  ``from normad_edu.course.exercises.nb08 import reference_lif_step``);
  any function of the exercises package itself counts as the checker's own
  code;
* :class:`CallWatch` runs the answer under a profiler hook (in its thread
  and in every thread it starts) and notes the first call of a forbidden
  function's code, so a call that the code does not spell out
  (``getattr(module, "alpha_" + "kernel")``) or that the answer wraps in
  ``try``/``except`` is caught too. It also forbids all the code of the
  exercises package (:data:`OWN_DIR`) except the callables a case hands to
  the learner (a potential ``v_free(t)``, a function ``d(times)``).

Compiled (numba) functions make no Python call the hook could see; the first
look covers them. Neither look is meant to stop a determined learner (copying
the library's source text passes both); they stop the shortcut the exercise
rules out. Nothing of the library is modified while an answer runs.
"""

from __future__ import annotations

import contextlib
import dis
import functools
import importlib
import inspect
import sys
import sysconfig
import threading
import types
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path


#: The package whose code counts as the checker's own (this folder); a learner's answer must not run it.
OWN_DIR = Path(__file__).resolve().parent
#: The installed package: code in it is not the learner's.
_PACKAGE_DIR = OWN_DIR.parents[1]
_LIBRARY_DIRS = tuple({str(Path(p).resolve()) for key in ("stdlib", "platstdlib", "purelib", "platlib")
                       if (p := sysconfig.get_paths().get(key))})
#: attribute / imported-name accesses, across Python 3.10-3.13
_ATTRIBUTE_OPS = {"LOAD_ATTR", "LOAD_METHOD", "IMPORT_FROM", "LOAD_SUPER_ATTR", "STORE_ATTR"}
_GLOBAL_OPS = {"LOAD_GLOBAL", "LOAD_NAME"}
_MAX_OBJECTS = 2000  # a bound on the objects one look follows (a learner's namespace is small)


def resolve(targets: Iterable[str]) -> dict[int, tuple[str, object]]:
    """``{id(obj): (label, obj)}`` for targets written ``"module:attribute"`` (or ``"module:Class.method"``).

    The label is the dotted name a learner would recognise
    (``normad_edu.kernels.alpha_kernel``).
    """
    out = {}
    for target in targets:
        module, _, attr = target.partition(":")
        obj = functools.reduce(getattr, attr.split("."), importlib.import_module(module))  # "Class.method" too
        out[id(obj)] = (f"{module}.{attr}", obj)
    return out


def is_user_code(func: types.FunctionType) -> bool:
    """True for a function written by the learner: not in normad_edu, the standard library or site-packages."""
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


def own_label(code: types.CodeType) -> str | None:
    """``module.qualname`` of a code object of the exercises package, None for any other code."""
    try:
        path = Path(code.co_filename).resolve()
    except (OSError, ValueError):
        return None
    if path.parent != OWN_DIR or path.suffix != ".py":
        return None
    module = f"{__name__.rpartition('.')[0]}.{path.stem}".removesuffix(".__init__")
    return f"{module}.{getattr(code, 'co_qualname', code.co_name)}"


def reference_names() -> dict[str, str]:
    """``{name: label}`` of every ``reference_*`` solution of the loaded exercise modules.

    Accessing such a name as an attribute or importing it (``nb08.reference_lif_step``)
    counts as using the checker's own code, before the answer runs.
    """
    prefix = __name__.rpartition(".")[0] + "."
    return {name: f"{mod_name}.{name}" for mod_name, mod in list(sys.modules.items())
            if mod_name.startswith(prefix) and mod is not None
            for name in list(vars(mod)) if name.startswith("reference_")}


def _code_objects(code: types.CodeType) -> Iterator[types.CodeType]:
    """``code`` and every code object nested in it (inner functions, lambdas, comprehensions)."""
    yield code
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            yield from _code_objects(const)


def find_reference(fn, forbidden: dict[int, tuple[str, object]], names: dict[str, str]) -> str | None:
    """Label of a forbidden function that ``fn`` refers to, or None.

    Forbidden are the functions in ``forbidden``, the names in ``names`` and
    every function of the exercises package (the checker's own code).

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
            label = own_label(obj.__code__)
            if label is not None:
                return label
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


class CallWatch:
    """Profiler hook that notes the first forbidden call made while an answer runs.

    Works on code objects, so an alias, an import inside the answer or a
    closure made by a factory does not hide a call. Use :meth:`call`; the
    first hit is in the attribute ``hit`` (``None`` if there was none).

    Parameters
    ----------
    forbidden : dict
        ``{id(obj): (label, obj)}`` from :func:`resolve`: plain-Python
        functions (also behind ``functools.wraps``) whose code must not run.
        All the code of the exercises package is forbidden too (reported as
        ``<module>.<qualified name>``), except the callables in ``allowed``.
    allowed : sequence
        The callables (and the code nested in them) that a case hands to the
        learner, such as a potential ``v_free(t)``.
    """

    def __init__(self, forbidden: dict, *, allowed: Sequence = ()):
        self.codes = {}
        for label, obj in forbidden.values():
            code = getattr(inspect.unwrap(obj), "__code__", None)
            if code is not None:
                self.codes[code] = label
        self._own: dict[types.CodeType, str | None] = {}   # code object -> own label (cached)
        self.allowed = set()
        stack = [a.__code__ for a in allowed if callable(a) and hasattr(a, "__code__")]
        while stack:                                      # the callables and the code nested in them
            code = stack.pop()
            self.allowed.add(code)
            stack += [c for c in code.co_consts if inspect.iscode(c)]
        self.hit: str | None = None
        self._previous: Callable | None = None

    def _hook(self, frame, event, arg):
        if event == "call" and self.hit is None:
            code = frame.f_code
            label = self.codes.get(code)
            if label is None and code not in self.allowed:
                if code not in self._own:
                    self._own[code] = own_label(code)
                label = self._own[code]
            if label is not None:      # never write None: another thread (the answer's) may have just hit
                self.hit = label
        if self._previous is not None:
            self._previous(frame, event, arg)

    def call(self, fn: Callable, args: tuple):
        """``fn(*args)`` with the hook on (in this thread and in threads started meanwhile) for that call."""
        self._previous = sys.getprofile()
        previous_threads = threading.getprofile()
        threading.setprofile(self._hook)
        sys.setprofile(self._hook)
        try:
            return fn(*args)
        finally:
            sys.setprofile(self._previous)
            threading.setprofile(previous_threads)
