"""Character language model (Knet tutorial, model 5): an LSTM reads text one character
at a time and learns to predict the next one; at the end it writes text of its own.

--data real: Shakespeare (Karpathy's tiny Shakespeare, downloaded); embedded: the
source of Python's standard library, the counterpart of the Julia source Knet's
model trains on. --rnn loop runs an LSTM cell written in plain NumPy in a Python
loop over time, differentiated by knet_ast; --rnn fused runs knet.rnnforw, whose
hand-written backward does the whole sequence at once. Training starts every
window of --seqlength characters from a zero state; the test perplexity reads the
test text as one stream. Prints the training loss and the test perplexity each epoch.
"""
import math
import sys

import numpy as np
from tutorial import dataset, parser, setup

import knet_ast as knet


def lstm(w, x, h, c):
    """The LSTM over x (T, B, E) from state (h, c), each (B, H), as plain code."""
    hidden = w["Wh"].shape[0]
    ys = []
    for t in range(x.shape[0]):
        gates = x[t] @ w["Wx"] + h @ w["Wh"] + w["b"]
        i = knet.sigm(gates[:, :hidden])
        f = knet.sigm(gates[:, hidden:2 * hidden])
        g = np.tanh(gates[:, 2 * hidden:3 * hidden])
        o = knet.sigm(gates[:, 3 * hidden:])
        c = f * c + i * g
        h = o * np.tanh(c)
        ys.append(h)
    return np.stack(ys), h, c


def predict(w, x, state, spec):
    """Scores (T, B, vocabulary) for the next character after each of x (T, B), and the
    final state. spec is None for the loop LSTM, the knet.rnninit spec for rnnforw."""
    e = w["embed"][x]
    if spec is None:
        y, h, c = lstm(w["rnn"], e, state[0], state[1])
    else:
        y, h, c = knet.rnnforw(spec, w["rnn"], e, state[0], state[1])
    return y @ w["out"] + w["bout"], (h, c)


def initial_state(spec, hidden, batchsize, atype):
    shape = (batchsize, hidden) if spec is None else (1, batchsize, hidden)
    return atype(np.zeros(shape)), atype(np.zeros(shape))


def init(vocabulary, embed, hidden, variant, seed, atype):
    w = {"embed": knet.param(vocabulary, embed, atype=atype),
         "out": knet.param(hidden, vocabulary, atype=atype), "bout": knet.param0(vocabulary, atype=atype)}
    if variant == "fused":
        spec, flat = knet.rnninit(embed, hidden, "lstm", seed=None if seed < 0 else seed)
        w["rnn"] = atype(flat)
        return w, spec
    bias = np.zeros(4 * hidden)
    bias[hidden:2 * hidden] = 1                # forget gates start open
    w["rnn"] = {"Wx": knet.param(embed, 4 * hidden, atype=atype),
                "Wh": knet.param(hidden, 4 * hidden, atype=atype), "b": atype(bias)}
    return w, None


def generate(w, spec, vocab, atype, length, hidden, seed, start="\n"):
    """Sample `length` characters, feeding each back in."""
    state = initial_state(spec, hidden, 1, atype)
    token, text = vocab.index(start) if start in vocab else 0, []
    itype = knet.ArrayType(np.int64, gpu=atype.gpu)
    rng = np.random.default_rng(None if seed < 0 else seed)
    for _ in range(length):
        scores, state = predict(w, itype([[token]]), state, spec)
        p = knet.softmax(knet.to_host(scores).reshape(-1).astype(np.float64))
        token = rng.choice(len(vocab), p=p / p.sum())
        text.append(vocab[token])
    return "".join(text)


def main(argv=None):
    p = parser(__doc__, epochs=10, batchsize=64, lr=0.003)
    p.add_argument("--rnn", choices=("fused", "loop"), default="fused", help="LSTM implementation")
    p.add_argument("--embed", type=int, default=128, help="character embedding size")
    p.add_argument("--hidden", type=int, default=256, help="LSTM hidden size")
    p.add_argument("--seqlength", type=int, default=100, help="characters per BPTT window")
    p.add_argument("--chars", type=int, default=1_000_000, help="characters of embedded text")
    p.add_argument("--generate", type=int, default=500, help="characters to write at the end")
    args = p.parse_args(argv)
    atype = setup(args)
    itype = knet.ArrayType(np.int64, gpu=atype.gpu)  # tokens, where the parameters are
    if args.quick:
        args.chars, args.epochs, args.embed, args.hidden = 6000, 2, 16, 32
        args.seqlength, args.batchsize, args.generate = 20, 8, 50
    text = dataset(args, knet.data.shakespeare, lambda: knet.data.stdlib_text(args.chars))
    ids, vocab = knet.data.char_ids(text)
    cut = len(ids) * 9 // 10
    dtrn = knet.data.sequence_batches(ids[:cut], args.batchsize, args.seqlength)
    dtst = knet.data.sequence_batches(ids[cut:], args.batchsize, args.seqlength)
    w, spec = init(len(vocab), args.embed, args.hidden, args.rnn, args.seed, atype)
    state = initial_state(spec, args.hidden, args.batchsize, atype)

    def loss(w, x, y):
        scores, _ = predict(w, x, state, spec)
        return knet.nll(scores, y)

    def perplexity(batches):
        """exp of the mean nll over the text, each batch starting from the previous one's
        final state (the rows of sequence_batches continue from batch to batch)."""
        carried, total = initial_state(spec, args.hidden, args.batchsize, atype), 0.0
        for x, y in batches:
            scores, carried = predict(w, itype(x), carried, spec)
            total += float(knet.nll(scores, itype(y)))
        return math.exp(total / len(batches))

    print(f"{len(text)} characters, vocabulary {len(vocab)}, {len(dtrn)} batches per epoch")
    opt = knet.optimizers(w, knet.Adam, lr=args.lr, gclip=5.0)
    history = []
    for epoch in range(1, args.epochs + 1):
        batches = [(itype(x), itype(y)) for x, y in dtrn]
        losses = knet.train(loss, w, batches, opt, progress=f"epoch {epoch}")
        history.append((float(np.mean([float(v) for v in losses])), perplexity(dtst)))
        print(f"epoch {epoch:3d}  train loss {history[-1][0]:.4f}  test perplexity {history[-1][1]:.3f}")
    sample = generate(w, spec, vocab, atype, args.generate, args.hidden, args.seed)
    print("Generated text:\n" + sample)
    return {"history": history, "sample": sample}


if __name__ == "__main__":
    main(sys.argv[1:])
