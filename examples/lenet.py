"""LeNet (Knet tutorial, model 4): a convolutional network for handwritten digits.

Two 5x5 convolutions with relu and 2x2 max pooling, then a dense relu layer and a
softmax layer, all trained on the negative log-likelihood with Adam. --data real:
MNIST 28x28 (Knet's LeNet exactly: 20 and 50 channels, 500 hidden units); embedded:
scikit-learn's 8x8 digits, with the convolutions padded by 2 so the image survives
two poolings. Prints loss and accuracy per epoch.
"""
import sys

from mnist_mlp import report
from tutorial import dataset, parser, setup

import knet_ast as knet


def predict(w, x, padding=0):
    for i in (0, 2):
        x = knet.pool(knet.relu(knet.conv4(w[i], x, padding=padding) + w[i + 1]))
    x = knet.relu(knet.mat(x) @ w[4] + w[5])
    return x @ w[6] + w[7]


def init(image_size, padding, atype):
    size = image_size
    for _ in range(2):                        # conv 5x5, then pool 2
        size = (size + 2 * padding - 4) // 2
    return [knet.param(20, 1, 5, 5, atype=atype), knet.param0(1, 20, 1, 1, atype=atype),
            knet.param(50, 20, 5, 5, atype=atype), knet.param0(1, 50, 1, 1, atype=atype),
            knet.param(50 * size * size, 500, atype=atype), knet.param0(500, atype=atype),
            knet.param(500, 10, atype=atype), knet.param0(10, atype=atype)]


def main(argv=None):
    args = parser(__doc__, epochs=20, batchsize=100, lr=0.001).parse_args(argv)
    atype = setup(args)
    xtrn, ytrn, xtst, ytst = dataset(args, knet.data.mnist, knet.data.digits)
    if args.quick:
        xtrn, ytrn, xtst, ytst, args.epochs = xtrn[:200], ytrn[:200], xtst[:100], ytst[:100], 2
        args.batchsize = 20
    padding = 2 if xtrn.shape[-1] < 28 else 0
    w = init(xtrn.shape[-1], padding, atype)

    def model(w, x):
        return predict(w, x, padding)

    def loss(w, x, y):
        return knet.nll(model(w, x), y)

    dtrn = knet.minibatch(xtrn, ytrn, args.batchsize, shuffle=True, xtype=atype)
    dtst = knet.minibatch(xtst, ytst, args.batchsize, partial=True, xtype=atype)
    opt = knet.optimizers(w, knet.Adam, lr=args.lr)
    history = [report(0, w, dtrn, dtst, model)]
    for epoch in range(1, args.epochs + 1):
        knet.train(loss, w, dtrn, opt, progress=f"epoch {epoch}")
        history.append(report(epoch, w, dtrn, dtst, model))
    return {"history": history, "w": w}


if __name__ == "__main__":
    main(sys.argv[1:])
