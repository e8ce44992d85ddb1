"""Linear regression (Knet tutorial, model 1): predict house prices from 13 features.

--data real: the Boston housing data (UCI); embedded: scikit-learn's diabetes data,
the same kind of problem. Prints the mean squared error on the training and test
sets each epoch, and at the end the least-squares optimum it should approach.
"""
import sys

import numpy as np
from tutorial import dataset, parser, setup

import knet_ast as knet


def predict(w, x):
    return x @ w[0] + w[1]


def loss(w, x, y):
    d = predict(w, x) - y
    return np.mean(d * d)


def least_squares(x, y):
    """The smallest training loss a linear model can reach, by lstsq (float64)."""
    a = np.hstack([x, np.ones((len(x), 1))]).astype(np.float64)
    coef = np.linalg.lstsq(a, y.astype(np.float64), rcond=None)[0]
    return float(np.mean((a @ coef - y) ** 2))


def main(argv=None):
    args = parser(__doc__, epochs=200, batchsize=512, lr=0.1).parse_args(argv)
    atype = setup(args)
    x, y = dataset(args, knet.data.housing, knet.data.diabetes)
    if args.quick:
        x, y, args.epochs = x[:100], y[:100], 5
    trn, tst = knet.data.split(len(x), 0.2)
    xtrn, ytrn, xtst, ytst = atype(x[trn]), atype(y[trn]), atype(x[tst]), atype(y[tst])
    w = [knet.param(x.shape[1], 1, init=knet.gaussian, atype=atype), knet.param0(1, atype=atype)]
    opt = knet.optimizers(w, knet.SGD, lr=args.lr)
    dtrn = knet.minibatch(xtrn, ytrn, args.batchsize, shuffle=True, partial=True)
    history = []
    for epoch in range(1, args.epochs + 1):
        knet.train(loss, w, dtrn, opt)  # one epoch: an SGD step per batch
        history.append((float(loss(w, xtrn, ytrn)), float(loss(w, xtst, ytst))))
        if epoch == 1 or epoch % max(1, args.epochs // 10) == 0 or epoch == args.epochs:
            print(f"epoch {epoch:4d}  train loss {history[-1][0]:10.4f}  test loss {history[-1][1]:10.4f}")
    best = least_squares(x[trn], y[trn])
    print(f"least-squares training loss {best:.4f}; reached {history[-1][0] / best:.4f} of it")
    return {"history": history, "least_squares": best}


if __name__ == "__main__":
    main(sys.argv[1:])
