"""Design-space sweeps: bit widths x sizes x SP parameters x hardware designs and lanes ->
accuracy, reconstruction, crossbar energy/latency/area and (optionally) the Verilog
reference's cycles and FPGA resources, on dask.distributed.

A **spec** (JSON or YAML file, or a dict) names a protocol, a base configuration, a
parameter grid *or* a random search, SP seeds, folds and the metrics to record
(``docs/sweeps.md`` has the full reference)::

    {"name": "bits-columns-boost",
     "protocol": "mnist-10k",                       # or "digits", or {"name": ..., "n_train": ...}
     "base": {"config": "mnist", "arithmetic": "fixed"},
     "grid": {"permanence_bits": [4, 6, 8], "boost_strength": [0.0, 2.0]},
     "seeds": [4], "folds": 1,
     "metrics": ["accuracy", "psnr", "crossbar"]}

Every (configuration, seed, fold) is one **task**, identified by a hash of everything that
determines its result, so a task is idempotent: running it again gives the same row
(except ``wall_time_s``). Results live in ``OUT/rows/<task_id>.json``, each written
atomically by the client as soon as its task finishes; ``OUT/results.csv`` is derived from
them. A sweep that is interrupted (killed, machine lost) is resumed with
:func:`resume`: the finished rows are kept, only the missing tasks run. A configuration
that fails (invalid parameter combination, exception in a task, lost worker) becomes a row
with ``status = "error"`` and the message; it does not stop the sweep.

Parallelism: :func:`run` uses a dask.distributed ``LocalCluster`` (``n_workers``
processes) by default, an existing cluster with ``scheduler="tcp://host:port"``, or runs
in this process with ``n_workers=0``. Each task computes with one thread (BLAS limited to
one thread) so a row does not depend on where it ran.
"""
from .results import aggregate, format_summary, pareto_front, plot_pareto, read_rows, report, summarize, write_csv
from .execution import ABORT_AFTER_SAME_ERRORS, check_runnable, evaluate, resource_counts, resume, run
from .spec import (HDL_PARAMS, METRICS, PROTOCOLS, RECONSTRUCTION_METHODS, RESOURCE_TARGETS, SPEC_FORMAT,
                   VOLATILE_COLUMNS, SweepError, configurations, load_spec, normalize_spec, tasks)

__all__ = ["PROTOCOLS", "METRICS", "HDL_PARAMS", "RECONSTRUCTION_METHODS", "RESOURCE_TARGETS", "SPEC_FORMAT",
           "VOLATILE_COLUMNS",
           "SweepError", "load_spec", "normalize_spec", "configurations", "tasks", "evaluate", "resource_counts",
           "check_runnable", "ABORT_AFTER_SAME_ERRORS", "run", "resume", "read_rows", "write_csv", "pareto_front",
           "aggregate", "summarize", "plot_pareto", "report", "format_summary"]
