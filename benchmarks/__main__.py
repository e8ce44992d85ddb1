"""python -m benchmarks: time every workload's gradient in every installed library.

    python -m benchmarks                 # the full table (a few minutes)
    python -m benchmarks --quick         # one call each: checks that every gradient agrees
    python -m benchmarks --only mlp tiny --libraries "by hand" knet_ast torch

Every library is limited to --threads threads (default 1), set before any of them is
imported, so that the table compares the work done and not the thread pools.
"""
import argparse
import datetime
import os
import sys

COLUMNS = ["by hand", "knet_ast", "autograd", "torch", "jax", "jax.jit", "tangent-ad"]


def parse(argv):
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true",
                        help="one untimed-quality call per library: check the gradients agree")
    parser.add_argument("--only", nargs="+", metavar="WORKLOAD", help="run only these workloads")
    parser.add_argument("--libraries", nargs="+", default=COLUMNS, choices=COLUMNS,
                        metavar="LIBRARY", help=f"columns, from {COLUMNS}")
    parser.add_argument("--rounds", type=int, default=7, help="timed rounds per library (median)")
    parser.add_argument("--threads", type=int, default=1, help="threads per library (0: default)")
    parser.add_argument("--no-transform", action="store_true",
                        help="skip the transform-cost and tape-memory tables")
    return parser.parse_args(argv)


def limit_threads(n):
    """Thread pools (OpenBLAS, PyTorch, XLA) read these when first imported."""
    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[name] = str(n)
    os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") + " --xla_cpu_multi_thread_eigen=false"
                               f" intra_op_parallelism_threads={n}").strip()


def main(argv=None):
    options = parse(argv)
    if options.threads:
        limit_threads(options.threads)
    from . import second_order, suite, transform_cost
    columns = [c for c in COLUMNS if c in options.libraries]
    if suite.REFERENCE not in columns:
        columns.insert(0, suite.REFERENCE)
    rounds, batch = (1, 0.0) if options.quick else (options.rounds, 0.02)
    results = []
    for workload in suite.select(options.only):
        print(f"{workload.name} ...", file=sys.stderr, flush=True)
        results.append((workload, suite.run_workload(workload, columns, rounds, batch)))
    print(f"{datetime.date.today()}, {suite.cpu()}, {options.threads or 'default'} thread(s); "
          f"{suite.versions(columns)}\n")
    print(suite.markdown(results, columns))
    if not options.no_transform:
        print()
        print(transform_cost.report(quick=options.quick))
        print()
        print(second_order.report(quick=options.quick))
    return results


if __name__ == "__main__":
    main()
