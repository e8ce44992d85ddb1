"""Text for character language models: Shakespeare and other Project Gutenberg books,
characters to integer ids, and the (input, next character) batches an RNN trains on."""
import numbers
import re

import numpy as np

from .remote import Remote, fetch

TINY_SHAKESPEARE = Remote(
    "tinyshakespeare.txt",
    ("https://raw.githubusercontent.com/karpathy/char-rnn/master/data/tinyshakespeare/input.txt",),
    "86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed")  # tensorflow/datasets' pin


def shakespeare():
    """About 1.1 million characters of Shakespeare's plays (Karpathy's tiny Shakespeare).

    Examples
    --------
    >>> text = knet.data.shakespeare()  # doctest: +SKIP
    >>> len(text), text[:14]  # doctest: +SKIP
    (1115394, 'First Citizen:')
    """
    return fetch(TINY_SHAKESPEARE).read_text(encoding="utf-8")


def gutenberg(book=100, sha256=None):
    """The text of Project Gutenberg book `book` (100: the complete works of Shakespeare,
    the corpus of Knet's character model), without the licence header and footer.
    Gutenberg revises its files, so no checksum is pinned; pass sha256 to check one.

    Examples
    --------
    >>> text = knet.data.gutenberg(100)  # doctest: +SKIP
    >>> "*** START OF" in text, "HAMLET" in text  # doctest: +SKIP
    (False, True)
    """
    url = f"https://www.gutenberg.org/cache/epub/{book}/pg{book}.txt"
    text = fetch(Remote(f"pg{book}.txt", (url,), sha256)).read_text(encoding="utf-8-sig")
    return strip_gutenberg(text)


def strip_gutenberg(text):
    """The book between Project Gutenberg's '*** START OF ...' and '*** END OF ...' lines
    (the whole text when they are missing).

    Examples
    --------
    >>> raw = ("The Project Gutenberg eBook\\n*** START OF THE PROJECT GUTENBERG EBOOK HAMLET ***\\n"
    ...        "To be, or not to be\\n*** END OF THE PROJECT GUTENBERG EBOOK HAMLET ***\\nLicence")
    >>> knet.data.strip_gutenberg(raw)
    'To be, or not to be'
    >>> knet.data.strip_gutenberg("no markers")
    'no markers'
    """
    start = _START.search(text)
    begin = 0
    if start:
        newline = text.find("\n", start.end())
        begin = len(text) if newline < 0 else newline + 1
    end = _END.search(text, begin)
    return text[begin:end.start() if end else len(text)].strip("\r\n")


_START = re.compile(r"\*\*\* ?START OF")
_END = re.compile(r"\*\*\* ?END OF")


def char_ids(text, vocab=None):
    """(ids, vocab): the characters of text as integers (int64) indexing vocab, a string of
    the distinct characters in sorted order unless given.

    Examples
    --------
    >>> ids, vocab = knet.data.char_ids("hello")
    >>> ids, vocab
    (array([1, 0, 2, 2, 3]), 'ehlo')
    >>> "".join(vocab[i] for i in ids)
    'hello'
    >>> knet.data.char_ids("oh", vocab)[0]      # the same ids for new text
    array([3, 1])
    """
    if vocab is None:
        vocab = "".join(sorted(set(text)))
    elif len(set(vocab)) != len(vocab):
        raise ValueError("char_ids: the vocabulary repeats characters")
    index = {c: i for i, c in enumerate(vocab)}
    missing = set(text) - index.keys()
    if missing:
        raise ValueError(f"char_ids: characters not in the vocabulary: {''.join(sorted(missing))!r}")
    return np.fromiter((index[c] for c in text), np.int64, len(text)), vocab


def sequence_batches(ids, batchsize, seqlength):
    """Truncated-BPTT batches of a token stream: the stream is cut into `batchsize` rows read
    in parallel, and each batch is (x, y) with x (seqlength, batchsize) tokens, time first
    as rnnforw takes them, and y the next token of each. Consecutive batches continue each
    row, so an RNN's final state can seed the next batch. A list: iterate it every epoch.

    Examples
    --------
    13 tokens make 2 rows of 6 (0..5 and 6..11), read 3 steps at a time:

    >>> batches = knet.data.sequence_batches(np.arange(13), batchsize=2, seqlength=3)
    >>> len(batches)
    2
    >>> x, y = batches[0]
    >>> x.shape                 # (seqlength, batchsize): time first
    (3, 2)
    >>> print(x.T)              # transposed: one row per line
    [[0 1 2]
     [6 7 8]]
    >>> print(y.T)              # the next token of each
    [[1 2 3]
     [7 8 9]]
    """
    for name, value in (("batchsize", batchsize), ("seqlength", seqlength)):
        if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < 1:
            raise ValueError(f"sequence_batches: {name} must be a positive integer, got {value!r}")
    ids = np.asarray(ids)
    columns = (len(ids) - 1) // batchsize
    if columns < seqlength:
        raise ValueError(f"sequence_batches: {len(ids)} tokens make rows of {columns}, fewer "
                         f"than seqlength={seqlength}")
    x = ids[:batchsize * columns].reshape(batchsize, columns).T
    y = ids[1:batchsize * columns + 1].reshape(batchsize, columns).T
    return [(x[t:t + seqlength], y[t:t + seqlength])
            for t in range(0, columns - seqlength + 1, seqlength)]
