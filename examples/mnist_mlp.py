"""Multi-layer perceptron (Knet tutorial, model 3): classify handwritten digits.

--data real: MNIST (60000 training images, 28x28); embedded: scikit-learn's 1797
digits (8x8). --hidden sets the hidden layer sizes; with none, the model is the
softmax classifier of model 2 (mnist_softmax.py). Prints the loss and the training
and test accuracy each epoch.
"""
import functools
import sys

from tutorial import dataset, parser, setup

import knet_ast as knet


def predict(w, x):
    x = knet.mat(x)                           # (N, 1, H, W) -> (N, H*W)
    for i in range(0, len(w) - 2, 2):
        x = knet.relu(x @ w[i] + w[i + 1])
    return x @ w[-2] + w[-1]


def loss(w, x, y):
    return knet.nll(predict(w, x), y)


def init(sizes, atype):
    """Weights (in, out) and biases for layers of these sizes, input first."""
    w = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        w += [knet.param(fan_in, fan_out, atype=atype), knet.param0(fan_out, atype=atype)]
    return w


def report(epoch, w, dtrn, dtst, predict=predict):
    """Print and return (loss, train accuracy, test accuracy) of predict(w, x)."""
    model = functools.partial(predict, w)
    row = (knet.nll(model, dtrn), knet.accuracy(model, dtrn), knet.accuracy(model, dtst))
    print(f"epoch {epoch:3d}  loss {row[0]:.4f}  train accuracy {row[1]:.4f}  test accuracy {row[2]:.4f}")
    return row


def main(argv=None, hidden=(64,), lr=0.001):
    p = parser(__doc__, epochs=40, batchsize=100, lr=lr)
    p.add_argument("--hidden", type=int, nargs="*", default=list(hidden), help="hidden layer sizes")
    args = p.parse_args(argv)
    atype = setup(args)
    xtrn, ytrn, xtst, ytst = dataset(args, knet.data.mnist, knet.data.digits)
    if args.quick:
        xtrn, ytrn, xtst, ytst, args.epochs = xtrn[:300], ytrn[:300], xtst[:100], ytst[:100], 3
        args.batchsize, args.lr = 20, 0.01
    dtrn = knet.minibatch(xtrn, ytrn, args.batchsize, shuffle=True, xtype=atype)
    dtst = knet.minibatch(xtst, ytst, args.batchsize, partial=True, xtype=atype)
    w = init([xtrn[0].size, *args.hidden, 10], atype)
    opt = knet.optimizers(w, knet.Adam, lr=args.lr)
    history = [report(0, w, dtrn, dtst)]
    for epoch in range(1, args.epochs + 1):
        knet.train(loss, w, dtrn, opt, progress=f"epoch {epoch}")
        history.append(report(epoch, w, dtrn, dtst))
    return {"history": history, "w": w}


if __name__ == "__main__":
    main(sys.argv[1:])
