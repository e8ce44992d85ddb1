"""Run the workloads through every installed library and format the table."""
import platform
from dataclasses import dataclass

import numpy as np

from . import frameworks, harness
from .workloads import WORKLOADS

REFERENCE = "by hand"


@dataclass
class Cell:
    seconds: float = None   # median per call, when it ran and agreed
    note: str = ""          # why there is no time: not installed, n/a, fails, wrong gradient


def run_workload(workload, columns, rounds, batch_seconds, seed=0):
    """{column: Cell} for one workload; every result is checked against the hand-written
    gradient before anything is timed."""
    params, args = workload.make(np.random.default_rng(seed))
    cells, calls, reference = {}, {}, None
    for column in columns:
        if not frameworks.installed(column):
            cells[column] = Cell(note="not installed")
            continue
        try:
            call, convert = frameworks.build(column, workload, params, args)
            result = convert(call())
        except frameworks.NotApplicable as exc:
            cells[column] = Cell(note=f"n/a: {exc}")
            continue
        except Exception as exc:  # noqa: BLE001 - a library that fails is a result too
            cells[column] = Cell(note=f"fails: {type(exc).__name__}: {str(exc).splitlines()[0][:120]}")
            continue
        if column == REFERENCE:
            reference = result
        elif not harness.agree(result, reference):
            cells[column] = Cell(note="wrong gradient")
            continue
        cells[column], calls[column] = Cell(), call
    for column, seconds in harness.interleaved_medians(calls, rounds, batch_seconds).items():
        cells[column].seconds = seconds
    return cells


def _time(seconds):
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.3g} ms"
    return f"{seconds * 1e6:.3g} us"


def markdown(results, columns):
    """results: [(workload, {column: Cell})] as a Markdown table: time per call, and the
    ratio to the hand-written gradient; notes numbered below it."""
    notes = []
    lines = ["| workload | size | " + " | ".join(columns) + " |",
             "| --- | --- | " + " | ".join("---:" for _ in columns) + " |"]
    for workload, cells in results:
        base = cells[REFERENCE].seconds
        row = []
        for column in columns:
            cell = cells[column]
            if cell.seconds is not None:
                ratio = "" if column == REFERENCE or not base else f" ({cell.seconds / base:.2f}x)"
                row.append(_time(cell.seconds) + ratio)
            elif cell.note == "not installed":
                row.append("-")
            else:
                notes.append(f"{workload.name}, {column}: {cell.note}")
                row.append(f"[{len(notes)}]")
        lines.append(f"| {workload.name} | {workload.size} | " + " | ".join(row) + " |")
    lines += [""] + [f"{i}. {note}" for i, note in enumerate(notes, 1)]
    return "\n".join(lines)


def versions(columns):
    import importlib.metadata
    out = [f"Python {platform.python_version()}", f"NumPy {np.__version__}"]
    for column in columns:
        module = frameworks.LIBRARIES[column][0]
        if module and frameworks.installed(column):
            dist = {"tangent": "tangent-ad"}.get(module, module)
            entry = f"{dist} {importlib.metadata.version(dist)}"
            if entry not in out:
                out.append(entry)
    return ", ".join(out)


def cpu():
    try:
        with open("/proc/cpuinfo") as f:
            names = [line.split(":", 1)[1].strip() for line in f if line.startswith("model name")]
        return f"{names[0]} ({len(names)} logical cores)"
    except (OSError, IndexError):
        return platform.processor() or platform.machine()


def select(names):
    chosen = [w for w in WORKLOADS if not names or w.name in names]
    unknown = set(names or ()) - {w.name for w in WORKLOADS}
    if unknown:
        raise SystemExit(f"unknown workload(s) {sorted(unknown)}; choose from "
                         f"{[w.name for w in WORKLOADS]}")
    return chosen
