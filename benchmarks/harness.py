"""Timing and checking: warm-up, implementations interleaved round-robin, medians."""
import statistics
import time

import numpy as np


def agree(result, reference, rtol=2e-3):
    """Whether (gradients, loss) equals the hand-written reference within float32 accuracy."""
    grads, loss = result
    ref_grads, ref_loss = reference
    pairs = list(zip(grads, ref_grads)) if isinstance(ref_grads, list) else [(grads, ref_grads)]
    if isinstance(ref_grads, list) and len(grads) != len(ref_grads):
        return False
    pairs.append((loss, ref_loss))
    for ours, ref in pairs:
        ours, ref = np.asarray(ours, np.float64), np.asarray(ref, np.float64)
        scale = np.max(np.abs(ref), initial=0.0)
        if ours.shape != ref.shape or not np.allclose(ours, ref, rtol=rtol, atol=rtol * scale):
            return False
    return True


def seconds_per_call(call):
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


def interleaved_medians(calls, rounds, batch_seconds=0.02):
    """{name: median seconds per call}. Each call is warmed up, then timed in batches of
    about `batch_seconds`; the batches of all calls alternate, `rounds` times."""
    number = {}
    for name, call in calls.items():
        call()
        number[name] = max(1, int(batch_seconds / max(seconds_per_call(call), 1e-9)))
    samples = {name: [] for name in calls}
    for _ in range(rounds):
        for name, call in calls.items():
            start = time.perf_counter()
            for _ in range(number[name]):
                call()
            samples[name].append((time.perf_counter() - start) / number[name])
    return {name: statistics.median(times) for name, times in samples.items()}
