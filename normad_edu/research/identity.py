"""The identity of an experiment setup: which fields name its results, and their hash.

Every results file (:mod:`normad_edu.research.store`) says which setup each run
was made with by the 16-hex-digit :func:`setup_hash` of its
:func:`setup_identity`. Two setups that differ in one field never share a
hash, so their runs never mix.

The neutral-field contract
--------------------------
Results are shipped with the package, and a setup class may later gain a field
(a new lever). Such a field must not change the identity of any earlier setup,
or every shipped result would be orphaned. So a field added after results were
shipped is declared ``metadata={"neutral": True}``: at its *legacy* value (the
value every earlier result used: ``metadata["legacy"]`` if given, else its
default) it is left out of the identity. :data:`IDENTITY_FIELDS` lists the
fields that were there when results were first shipped; any other field must be
neutral. :func:`check_identity_contract` enforces this when this module is
imported (so every sweep, study and reproduction refuses to run with a setup
class that breaks it), and ``tests/test_sweep_integrity.py`` checks it too.
"""

from __future__ import annotations

import hashlib
import json
import math
import numbers
from dataclasses import asdict, fields, is_dataclass

from ..setups import DeepSetup, SingleSetup, XORSetup

#: Hex digits of a setup hash (see :func:`setup_hash`).
SETUP_HASH_CHARS = 16

#: The fields of each setup class that are part of every identity: the fields the
#: class had when its first results were shipped. Any field added later must be
#: declared neutral (see the module docstring).
IDENTITY_FIELDS = {
    XORSetup: ("start_0", "start_1", "reference_start", "n_per_set", "stagger", "n_hidden", "desired_true",
               "desired_false", "T", "w_mean", "w_sd", "frac_excitatory", "r_out", "r_hidden", "tau_L_hat", "vdot_min",
               "mode", "max_iter", "threshold", "coincidence_offset"),
    DeepSetup: ("sizes", "input_rate", "desired_rate", "T", "a_hidden", "frac_excitatory", "r_out", "r_hidden_all",
                "r_hidden_outer2", "tau_L_hat", "vdot_min", "mode", "max_iter", "threshold", "coincidence_offset",
                "t_ref", "sigma", "desired_t_min", "normalization", "rate_decay", "inhibitory_scale"),
    SingleSetup: ("n_inputs", "input_rate", "desired_rate", "T", "t_ref", "r_normad", "r_resume", "tau_L_hat",
                  "vdot_min", "coincidence_offset", "mode", "max_iter", "threshold", "sigma"),
}


def check_identity_contract(classes=None) -> None:
    """Raise ``TypeError`` if a setup class has a field that is neither an identity field nor neutral.

    ``classes`` maps a setup class to its identity fields (default
    :data:`IDENTITY_FIELDS`). Also refuses an identity field that was removed
    or marked neutral (either would change the hash of shipped results).
    """
    for cls, names in (IDENTITY_FIELDS if classes is None else classes).items():
        have = {f.name: f for f in fields(cls)}
        missing = [n for n in names if n not in have]
        if missing:
            raise TypeError(f"{cls.__name__} lost the identity field(s) {missing}: the shipped results made with "
                            f"them could no longer be found; keep them")
        for name, f in have.items():
            neutral = bool(f.metadata.get("neutral"))
            if name in names and neutral:
                raise TypeError(f"{cls.__name__}.{name} is an identity field of shipped results and cannot be "
                                f"neutral: remove metadata['neutral']")
            if name not in names and not neutral:
                raise TypeError(
                    f"{cls.__name__}.{name} is a new field but is not declared neutral: every shipped result would "
                    f"lose its identity. Declare it `field(default=..., metadata={{\"neutral\": True}})` (add "
                    f"\"legacy\": value if its default is not the value earlier results used), see "
                    f"normad_edu.research.identity")


def setup_identity(setup) -> dict:
    """The fields that identify a setup's results: ``dataclasses.asdict(setup)`` without the fields marked
    ``neutral`` that are at their legacy value.

    A field added after results were shipped is marked ``metadata={"neutral": True}``;
    at the value every earlier result used (its ``"legacy"`` metadata, or else
    its default) it is left out, which keeps the identity (and
    :func:`setup_hash`) of every earlier setup. A default that later moves
    away from the legacy value (``DeepSetup.r_hidden_scale``) is then part of
    the identity, so results of the old and the new default never mix.
    """
    out = asdict(setup)
    for f in fields(setup):
        legacy = f.metadata.get("legacy", f.default)
        if f.metadata.get("neutral") and getattr(setup, f.name) == legacy:
            del out[f.name]
    return out


def _canonical(value, name: str = "setup"):
    """JSON-ready copy with every number as a float (so 30 and 30.0 hash alike)."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, numbers.Real):
        v = float(value)
        return v if math.isfinite(v) else repr(v)
    if isinstance(value, dict):
        return {str(k): _canonical(v, f"{name}.{k}") for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_canonical(v, name) for v in value]
    raise TypeError(f"{name} must hold only numbers, strings, booleans, None, lists and dicts, "
                    f"got {value!r} of type {type(value).__name__}")


def setup_hash(setup: XORSetup | DeepSetup | dict) -> str:
    """Stable identifier of an experiment setup: 16 hex digits.

    Parameters
    ----------
    setup : XORSetup, DeepSetup or dict
        A setup dataclass, or its ``dataclasses.asdict`` as read back from
        a setup line.

    Returns
    -------
    str
        The first 16 hex digits of the SHA-256 of the canonical JSON of
        :func:`setup_identity` (``asdict`` without
        neutral fields at their default): sorted keys, no spaces, every number
        as a float (``30`` and ``30.0`` give the same hash), tuples as lists.
    """
    if is_dataclass(setup) and not isinstance(setup, type):
        identity = setup_identity(setup)
    elif isinstance(setup, dict):
        identity = setup
    else:
        raise TypeError(f"setup must be an XORSetup or DeepSetup (or its asdict dict), "
                        f"got {setup!r} of type {type(setup).__name__}")
    text = json.dumps(_canonical(identity), sort_keys=True, separators=(",", ":"), allow_nan=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:SETUP_HASH_CHARS]


check_identity_contract()
