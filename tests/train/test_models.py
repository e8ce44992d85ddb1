"""Knet's five tutorial models, written with the operators and the training toolkit
(examples/), train at tiny sizes on embedded data and their loss falls."""
import math
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("sklearn")  # digits and diabetes ship with scikit-learn
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "examples"))

import charlm  # noqa: E402
import housing_linreg  # noqa: E402
import lenet  # noqa: E402
import mnist_mlp  # noqa: E402
import mnist_softmax  # noqa: E402


def test_linear_regression_approaches_least_squares():
    result = housing_linreg.main(["--quick"])
    train_losses = [train for train, _ in result["history"]]
    assert train_losses[-1] < 0.8 * train_losses[0]
    assert train_losses[-1] >= result["least_squares"] * (1 - 1e-6)  # nothing beats lstsq


@pytest.mark.parametrize("example", [mnist_softmax, mnist_mlp, lenet], ids=["softmax", "mlp", "lenet"])
def test_classifiers_learn(example):
    history = example.main(["--quick"])["history"]
    (loss0, _, test0), (loss1, _, test1) = history[0], history[-1]
    assert loss1 < 0.9 * loss0
    assert test1 > test0


@pytest.mark.parametrize("rnn", ["fused", "loop"])
def test_character_model_learns(rnn):
    result = charlm.main(["--quick", "--rnn", rnn])
    (loss0, perplexity0), (loss1, perplexity1) = result["history"][0], result["history"][-1]
    assert loss1 < loss0
    assert perplexity1 < perplexity0 < 100  # uniform guessing over ~80 characters scores ~80
    assert len(result["sample"]) == 50
    assert math.isfinite(loss1)


def test_the_two_lstms_compute_the_same_loss():
    """The plain-code LSTM and rnnforw agree when given the same weights."""
    import numpy as np

    import knet_ast as knet
    atype = knet.ArrayType(np.float64)
    w, spec = charlm.init(7, 3, 4, "fused", 0, atype)
    loop = dict(w)
    gates = [knet.rnnparam(spec, w["rnn"], 0, i) for i in range(8)]
    biases = [knet.rnnparam(spec, w["rnn"], 0, i, 1) for i in range(8)]
    loop["rnn"] = {"Wx": np.hstack(gates[:4]), "Wh": np.hstack(gates[4:]),
                   "b": np.concatenate(biases[:4]) + np.concatenate(biases[4:])}
    x = np.random.default_rng(0).integers(0, 7, (5, 2))
    fused_scores, _ = charlm.predict(w, x, charlm.initial_state(spec, 4, 2, atype), spec)
    loop_scores, _ = charlm.predict(loop, x, charlm.initial_state(None, 4, 2, atype), None)
    np.testing.assert_allclose(loop_scores, fused_scores, rtol=1e-10)


def test_quickstart_runs_offline_and_learns():
    """`make demo`'s script: it asserts its own result (test accuracy above 0.9)."""
    script = Path(__file__).resolve().parents[2] / "examples" / "quickstart.py"
    run = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert "def grad_f(x):" in run.stdout and "test accuracy" in run.stdout
