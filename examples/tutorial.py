"""What the tutorial examples share: their command-line flags, where arrays live, and
the fallback to embedded data when the real dataset cannot be downloaded."""
import argparse

import numpy as np

import knet_ast as knet


def parser(doc, *, epochs, batchsize, lr):
    """The flags every example takes, with the example's own defaults."""
    p = argparse.ArgumentParser(description=doc.strip().splitlines()[0])
    p.add_argument("--epochs", type=int, default=epochs, help="passes over the training data")
    p.add_argument("--batchsize", type=int, default=batchsize, help="instances per update")
    p.add_argument("--lr", type=float, default=lr, help="learning rate")
    p.add_argument("--seed", type=int, default=1, help="random seed (-1: not seeded)")
    p.add_argument("--gpu", action="store_true", help="run on the GPU with CuPy")
    p.add_argument("--data", choices=("embedded", "real"), default="embedded",
                   help="embedded: ships with the install, no network; real: the full dataset, "
                        "downloaded and cached on first use")
    p.add_argument("--quick", action="store_true",
                   help="a tiny run for tests: a slice of the data, a few epochs (overrides the sizes)")
    return p


def setup(args):
    """Seed, and the knet.ArrayType that parameters and batches use."""
    if args.seed >= 0:
        knet.seed(args.seed)
    if args.gpu and not knet.gpu():
        print("--gpu: no usable GPU (CuPy missing or no device); running on the CPU")
    return knet.ArrayType(np.float32, gpu=args.gpu and knet.gpu())


def dataset(args, real, embedded):
    """real() for --data real, falling back to embedded() when it cannot be downloaded."""
    if args.data == "real":
        try:
            return real()
        except knet.data.DownloadError as error:
            print(f"{error}\nUsing the embedded dataset instead.")
    return embedded()
