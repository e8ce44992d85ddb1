"""`python -m benchmarks --quick` keeps running: every workload's knet_ast gradient agrees
with the hand-written one (times are printed, never asserted)."""
import contextlib
import io

from benchmarks import second_order, transform_cost
from benchmarks.__main__ import main


def test_quick_run_checks_every_workload():
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        results = main(["--quick", "--libraries", "by hand", "knet_ast", "--threads", "0",
                        "--no-transform"])
    assert len(results) == 8
    for workload, cells in results:
        assert cells["by hand"].seconds is not None, (workload.name, cells["by hand"].note)
        assert cells["knet_ast"].seconds is not None, (workload.name, cells["knet_ast"].note)
    table = printed.getvalue()
    assert "| mlp |" in table and "x) |" in table


def test_transform_cost_and_tape_memory_report():
    report = transform_cost.report(quick=True)
    assert "| 100 |" in report and "| 10 to 20 |" in report


def test_tape_memory_per_step_is_the_hand_written_constant():
    ours, hand = transform_cost.tape_bytes_per_step(50, width=64)
    assert hand > 0 and ours <= 2 * hand  # the same arrays, plus tape tuples


def test_second_order_report_checks_hvp_against_differences_of_the_gradient():
    rows = second_order.measure(rounds=1, batch=0.0, check=True, with_jax=False)  # raises if an hvp is wrong
    assert len(rows) == 3 and all(ratio > 0 for _, _, ratio, _, _ in rows)
