"""The result of a training run: history, final weights and the data trained on; saved without pickle.

:func:`normad_edu.training.train` returns a :class:`TrainingResult`;
:meth:`TrainingResult.save` writes one ``.npz`` (arrays plus a JSON string
with the configuration and seeds) and :meth:`TrainingResult.load` reads it
back. Units: ms, pA.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .network import ForwardRecord, forward
from .params import LIFParams, SimParams, SynapseParams


@dataclass
class TrainingResult:
    """What :func:`~normad_edu.training.train` returns; ``save``/``load`` round-trip it without pickle.

    Attributes
    ----------
    converged_at : ndarray of int, shape (P,)
        Iterations to convergence per problem, -1 if not converged.
    correlation : ndarray, shape (n_iter + 1, P, M)
        Correlation of every pattern before each iteration (row 0: initial).
        After a problem converges its last values are carried forward.
    error_count : ndarray of int, shape (n_iter + 1, P, M)
        Number of error instants per pattern.
    spike_count : ndarray of int, shape (n_iter + 1, P, L)
        Spikes per LIF layer, summed over the M patterns.
    silent_fraction : ndarray, shape (n_iter + 1, P, L)
        Fraction of neurons of each layer silent on every pattern.
    weight_norm : ndarray, shape (n_iter + 1, P, L)
        Frobenius norm of each W^l (pA).
    raster_iterations : ndarray of int
        Iterations at which output spikes were stored.
    raster_times : ndarray, shape (R, P, M, n_L, K)
        Output spike times (ms, +inf padding) at those iterations.
    weights : list of ndarray
        Final weights ``(P, n_l, n_{l-1})`` (pA).
    meta : dict
        Configuration, parameters and seeds (JSON-serialisable).
    output_correlation : ndarray, shape (n_iter + 1, P, M, n_L), or None
        Correlation of every output neuron (``correlation`` is their mean).
    diagnostics : dict of ndarray, or None
        What a :class:`~normad_edu.research.diagnostics.TrainingMonitor` recorded
        (saved as arrays ``diag_<name>``).
    inputs, desired : (times, counts) or None
        The padded input and desired spike trains the problems were trained
        on, ``(P, M, n, K)`` and ``(P, M, n)`` (ms); with the final weights
        and ``meta``'s parameters they let :meth:`evaluate` re-run every
        network. None for results saved by older versions.
    """

    converged_at: np.ndarray
    correlation: np.ndarray
    error_count: np.ndarray
    spike_count: np.ndarray
    silent_fraction: np.ndarray
    weight_norm: np.ndarray
    raster_iterations: np.ndarray
    raster_times: np.ndarray
    weights: list
    meta: dict = field(default_factory=dict)
    output_correlation: np.ndarray | None = None
    inputs: tuple | None = None
    desired: tuple | None = None
    diagnostics: dict | None = None

    #: Arrays that :meth:`save` writes when present (results of older versions lack them).
    OPTIONAL = ("output_correlation", "input_times", "input_counts", "desired_times", "desired_counts")

    @property
    def n_converged(self) -> int:
        """Number of problems that converged."""
        return int(np.sum(self.converged_at >= 0))

    def iterations(self) -> list:
        """Iterations to converge per problem, ``None`` where it did not."""
        return [int(c) if c >= 0 else None for c in self.converged_at]

    def evaluate(self, problems=None, *, record_v: bool = False) -> ForwardRecord:
        """Re-run the trained networks (final weights) on their saved inputs.

        Parameters
        ----------
        problems : sequence of int, optional
            Which problems (default: all).
        record_v : bool
            Also record the membrane potential V(t) of every LIF neuron (mV).

        Returns
        -------
        ForwardRecord
            Batch row ``q * M + m`` is pattern ``m`` of ``problems[q]``; the
            parameters (LIF, synapse, grid) are the ones stored in ``meta``.
        """
        if self.inputs is None:
            raise ValueError("this result has no saved inputs (it was saved by an older version): "
                             "rebuild the inputs and call normad_edu.forward with result.weights")
        P = self.converged_at.shape[0]
        idx = np.arange(P) if problems is None else np.asarray(problems)
        if idx.ndim != 1 or idx.size == 0 or not np.issubdtype(idx.dtype, np.integer) or idx.min() < 0 \
                or idx.max() >= P:
            raise ValueError(f"problems must be a non-empty sequence of problem indices in [0, {P}), got {problems!r}")
        x_t, x_c = self.inputs
        M = x_c.shape[1]
        lif, syn, sim = (cls(**self.meta[k]) for cls, k in ((LIFParams, "lif"), (SynapseParams, "syn"),
                                                                (SimParams, "sim")))
        batch = (x_t[idx].reshape((idx.size * M,) + x_t.shape[2:]), x_c[idx].reshape(idx.size * M, -1))
        return forward(batch, [np.repeat(W[idx], M, axis=0) for W in self.weights], lif, syn, sim, record_v=record_v)

    def save(self, path) -> Path:
        """Write one ``.npz`` (no pickle); returns the path."""
        path = Path(path)
        arrays = {k: getattr(self, k) for k in ("converged_at", "correlation", "error_count", "spike_count",
                                                 "silent_fraction", "weight_norm", "raster_iterations", "raster_times")}
        for l, W in enumerate(self.weights):
            arrays[f"W{l + 1}"] = W
        if self.output_correlation is not None:
            arrays["output_correlation"] = self.output_correlation
        for name, pair in (("input", self.inputs), ("desired", self.desired)):
            if pair is not None:
                arrays[f"{name}_times"], arrays[f"{name}_counts"] = pair
        for k, v in (self.diagnostics or {}).items():
            arrays[f"diag_{k}"] = v
        arrays["meta_json"] = np.array(json.dumps(self.meta))
        tmp = path.with_name(path.name + ".tmp.npz")
        np.savez_compressed(tmp, **arrays)
        tmp.replace(path)
        return path

    @classmethod
    def load(cls, path) -> "TrainingResult":
        """Read a file written by :meth:`save`.

        Raises
        ------
        FileNotFoundError
            There is no file at ``path``.
        ValueError
            The file is empty, cut short, not an ``.npz`` archive, or lacks
            the arrays :meth:`save` writes; the message names the file.
        """
        import zipfile
        import zlib

        path = Path(path)
        if not path.exists():
            raise FileNotFoundError(f"no training result at {path}: no such file")

        def bad(what: str) -> ValueError:
            return ValueError(f"{path} is not a training result written by TrainingResult.save: {what}")

        if not path.is_file():
            raise bad("not a regular file")

        with path.open("rb") as fh:
            head = fh.read(4)
        if not head:
            raise bad("the file is empty")
        if head != b"PK\x03\x04":
            raise bad("not an .npz (zip) archive")
        arrays = ("converged_at", "correlation", "error_count", "spike_count", "silent_fraction", "weight_norm",
                  "raster_iterations", "raster_times", "meta_json")
        try:
            with np.load(path, allow_pickle=False) as z:
                missing = [k for k in arrays if k not in z.files]
                if missing:
                    raise bad(f"arrays {missing} are missing (it holds {sorted(z.files)})")
                n_layers = sum(1 for k in z.files if k.startswith("W") and k[1:].isdigit())
                if n_layers == 0 or any(f"W{l + 1}" not in z.files for l in range(n_layers)):
                    raise bad(f"weights W1 .. Wn are missing or not numbered 1..n (it holds {sorted(z.files)})")
                try:
                    meta = json.loads(str(z["meta_json"]))
                except json.JSONDecodeError as exc:
                    raise bad(f"meta_json is not valid JSON ({exc.msg})") from None
                if not isinstance(meta, dict):
                    raise bad(f"meta_json is a JSON {type(meta).__name__}, not an object")
                opt = {k: z[k] for k in cls.OPTIONAL if k in z.files}
                pair = lambda name: ((opt[f"{name}_times"], opt[f"{name}_counts"])  # noqa: E731
                                     if f"{name}_times" in opt and f"{name}_counts" in opt else None)
                return cls(
                    converged_at=z["converged_at"], correlation=z["correlation"], error_count=z["error_count"],
                    spike_count=z["spike_count"], silent_fraction=z["silent_fraction"],
                    weight_norm=z["weight_norm"], raster_iterations=z["raster_iterations"],
                    raster_times=z["raster_times"], weights=[z[f"W{l + 1}"] for l in range(n_layers)], meta=meta,
                    output_correlation=opt.get("output_correlation"), inputs=pair("input"), desired=pair("desired"),
                    diagnostics={k[5:]: z[k] for k in z.files if k.startswith("diag_")} or None,
                )
        except PermissionError:
            raise
        except (OSError, EOFError, zipfile.BadZipFile, zlib.error, KeyError) as exc:
            raise bad(f"cut short or damaged ({type(exc).__name__}: {exc})") from None
        except ValueError as exc:
            if str(exc).startswith(f"{path} is not a training result"):
                raise
            raise bad(f"cut short or damaged ({exc})") from None
