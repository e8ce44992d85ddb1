"""Softmax classifier (Knet tutorial, model 2): the MLP of mnist_mlp.py with no hidden
layer, scores = x @ W + b trained on the negative log-likelihood. The same flags
(--hidden adds hidden layers, making it the MLP)."""
import sys

import mnist_mlp


def main(argv=None):
    return mnist_mlp.main(argv, hidden=(), lr=0.01)


if __name__ == "__main__":
    main(sys.argv[1:])
