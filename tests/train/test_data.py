"""knet_ast.data: IDX parsing, the download cache (file:// URLs and a fake urlopen, never the
network), MNIST / housing / text loaders against generated files, and the embedded datasets."""
import gzip
import hashlib
import http.client
import importlib
import io
import shutil
import struct
import urllib.error
import urllib.request

import numpy as np
import pytest

from knet_ast import data
from knet_ast.data import DownloadError, Remote

# the modules, not the functions knet_ast.data exports under the same names
mnist_module = importlib.import_module("knet_ast.data.mnist")
housing_module = importlib.import_module("knet_ast.data.housing")
text_module = importlib.import_module("knet_ast.data.text")

rng = np.random.default_rng(3)

TYPE_CODES = {0x08: ">u1", 0x0C: ">i4", 0x0D: ">f4"}


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """An empty cache directory that KNET_DATA points to."""
    root = tmp_path / "cache"
    monkeypatch.setenv("KNET_DATA", str(root))
    return root


@pytest.fixture
def offline(monkeypatch):
    """Any attempt to open a non-file URL fails, so a test can never reach the network."""
    real = urllib.request.urlopen

    def urlopen(url, *args, **kwargs):
        if not str(url).startswith("file:"):
            raise urllib.error.URLError("offline (test)")
        return real(url, *args, **kwargs)

    monkeypatch.setattr(urllib.request, "urlopen", urlopen)


def idx_bytes(array, code):
    """The IDX encoding of array: two zero bytes, type code, ndim, big-endian dims and data."""
    header = bytes([0, 0, code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(TYPE_CODES[code]).tobytes()


def sha256(content):
    return hashlib.sha256(content).hexdigest()


def cache_listing(root):
    return sorted(p.name for p in root.iterdir()) if root.exists() else []


# --- read_idx ---

@pytest.mark.parametrize("compressed", [False, True])
@pytest.mark.parametrize("code, array", [
    (0x08, rng.integers(0, 256, (4, 5, 3)).astype(np.uint8)),
    (0x0C, rng.integers(-2**31, 2**31, (6, 2), dtype=np.int64).astype(np.int32)),
    (0x0D, rng.standard_normal(7).astype(np.float32)),
])
def test_read_idx_returns_the_array_written(tmp_path, code, array, compressed):
    content = idx_bytes(array, code)
    path = tmp_path / ("file.idx.gz" if compressed else "file.idx")
    path.write_bytes(gzip.compress(content) if compressed else content)
    got = data.read_idx(path)
    assert got.shape == array.shape
    assert got.dtype == array.dtype and got.dtype.isnative
    assert np.array_equal(got, array)


def test_read_idx_rejects_a_truncated_body(tmp_path):
    content = idx_bytes(np.arange(12, dtype=np.uint8).reshape(3, 4), 0x08)
    path = tmp_path / "short.idx"
    path.write_bytes(content[:-1])
    with pytest.raises(ValueError, match="truncated"):
        data.read_idx(path)


def test_read_idx_rejects_a_file_cut_inside_its_header(tmp_path):
    content = idx_bytes(np.zeros((2, 3, 4), np.uint8), 0x08)
    path = tmp_path / "header.idx"
    path.write_bytes(content[:8])  # magic and the first of three dims
    with pytest.raises(ValueError):
        data.read_idx(path)


@pytest.mark.parametrize("magic", [b"\x01\x00\x08\x01", b"\x00\x00\x07\x01", b"PK\x03\x04", b"\x00\x00"])
def test_read_idx_rejects_a_bad_magic_number(tmp_path, magic):
    path = tmp_path / "bad.idx"
    path.write_bytes(magic + struct.pack(">I", 3) + bytes(3))
    with pytest.raises(ValueError, match="not an IDX file"):
        data.read_idx(path)


# --- cache_dir ---

def test_cache_dir_honours_knet_data_and_creates_it(tmp_path, monkeypatch):
    target = tmp_path / "a" / "b"
    monkeypatch.setenv("KNET_DATA", str(target))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert data.cache_dir() == target
    assert target.is_dir()
    assert not (tmp_path / "xdg").exists()


def test_cache_dir_expands_a_tilde_in_knet_data(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("KNET_DATA", "~/datasets")
    assert data.cache_dir() == tmp_path / "datasets"
    assert (tmp_path / "datasets").is_dir()


@pytest.mark.parametrize("knet_data", [None, ""])
def test_cache_dir_falls_back_to_xdg_cache_home(tmp_path, monkeypatch, knet_data):
    if knet_data is None:
        monkeypatch.delenv("KNET_DATA", raising=False)
    else:
        monkeypatch.setenv("KNET_DATA", knet_data)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert data.cache_dir() == tmp_path / "xdg" / "knet_ast"
    assert (tmp_path / "xdg" / "knet_ast").is_dir()


def test_cache_dir_defaults_to_dot_cache_in_home(tmp_path, monkeypatch):
    monkeypatch.delenv("KNET_DATA", raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert data.cache_dir() == tmp_path / ".cache" / "knet_ast"
    assert (tmp_path / ".cache" / "knet_ast").is_dir()


# --- download / fetch ---

def test_download_copies_a_file_url_into_the_cache(tmp_path, cache, offline):
    content = b"some,data\n1,2\n" * 100
    source = tmp_path / "src" / "table.csv"
    source.parent.mkdir()
    source.write_bytes(content)
    path = data.download(source.as_uri(), sha256(content))
    assert path.parent == cache and path.name.endswith("-table.csv")
    assert path.read_bytes() == content
    assert cache_listing(cache) == [path.name]
    # without a checksum, and under another name
    other = data.download(source.as_uri(), name="other.csv")
    assert other == cache / "other.csv" and other.read_bytes() == content


def test_two_urls_with_the_same_file_name_are_cached_apart(tmp_path, cache, offline):
    paths = []
    for version in ("one", "two"):
        source = tmp_path / version / "data.csv"
        source.parent.mkdir()
        source.write_text(f"version {version}")
        paths.append(data.download(source.as_uri()))
    assert [p.read_text() for p in paths] == ["version one", "version two"]


def test_a_cached_file_is_used_without_downloading(tmp_path, cache, offline):
    content = b"cached bytes"
    source = tmp_path / "f.bin"
    source.write_bytes(content)
    data.download(source.as_uri(), sha256(content))
    source.unlink()
    assert data.download(source.as_uri(), sha256(content)).read_bytes() == content


def test_a_checksum_mismatch_raises_and_keeps_nothing(tmp_path, cache, offline):
    source = tmp_path / "f.bin"
    source.write_bytes(b"the server's version")
    expected = sha256(b"the pinned version")
    with pytest.raises(DownloadError) as error:
        data.download(source.as_uri(), expected)
    assert expected in str(error.value)
    assert cache_listing(cache) == []  # neither f.bin nor a .part temporary


def test_a_corrupted_cached_file_raises_and_says_to_delete_it(tmp_path, cache, offline):
    content = b"good content"
    cache.mkdir()
    (cache / "f.bin").write_bytes(content[:-3])  # placed by hand, truncated
    source = tmp_path / "f.bin"
    source.write_bytes(content)
    with pytest.raises(DownloadError) as error:
        data.download(source.as_uri(), sha256(content), name="f.bin")
    message = str(error.value)
    assert "delete" in message.lower() and str(cache / "f.bin") in message and sha256(content) in message
    assert (cache / "f.bin").read_bytes() == content[:-3]  # left for the user to deal with


def _assert_offline_message(error, cache, name, digest):
    message = str(error.value)
    assert str(cache / name) in message
    assert "KNET_DATA" in message
    assert digest in message


def test_unreachable_file_urls_raise_a_helpful_download_error(tmp_path, cache, offline):
    digest = sha256(b"x")
    remote = Remote("thing.bin", ((tmp_path / "nowhere" / "thing.bin").as_uri(),
                                  (tmp_path / "elsewhere" / "thing.bin").as_uri()), digest)
    with pytest.raises(DownloadError) as error:
        data.fetch(remote)
    _assert_offline_message(error, cache, "thing.bin", digest)
    assert "nowhere" in str(error.value) and "elsewhere" in str(error.value)  # every URL tried
    assert cache_listing(cache) == []


def test_an_offline_machine_gets_a_helpful_download_error(cache, monkeypatch):
    calls = []

    def urlopen(url, *args, **kwargs):
        calls.append(url)
        raise urllib.error.URLError("offline")

    monkeypatch.setattr(urllib.request, "urlopen", urlopen)
    digest = sha256(b"y")
    remote = Remote("y.bin", ("https://example.invalid/a/y.bin", "https://example.invalid/b/y.bin"), digest)
    with pytest.raises(DownloadError) as error:
        data.fetch(remote)
    _assert_offline_message(error, cache, "y.bin", digest)
    assert "offline" in str(error.value)
    assert calls == list(remote.urls)
    assert cache_listing(cache) == []


class FakeResponse:
    """What urlopen returns, enough for the downloader: headers, read(n), a context manager."""

    def __init__(self, content, fail_after=None, error=None):
        self.headers = {"Content-Length": str(len(content))}
        self._body = io.BytesIO(content)
        self._fail_after, self._error = fail_after, error

    def read(self, n=-1):
        if self._fail_after is None:
            return self._body.read(n)
        if self._body.tell() >= self._fail_after:
            raise self._error
        return self._body.read(min(n, self._fail_after - self._body.tell()))

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def _dropping_urlopen(monkeypatch, content, error, good_url):
    """urlopen serving content from good_url, and a connection that breaks after 10 bytes elsewhere."""
    def urlopen(url, *args, **kwargs):
        if url == good_url:
            return FakeResponse(content)
        return FakeResponse(content, fail_after=10, error=error)

    monkeypatch.setattr(urllib.request, "urlopen", urlopen)


def test_a_connection_dropped_mid_download_falls_back_to_the_next_mirror(cache, monkeypatch):
    content = bytes(range(256)) * 4
    _dropping_urlopen(monkeypatch, content, ConnectionResetError("reset by peer"), "https://b.invalid/f")
    path = data.fetch(Remote("f", ("https://a.invalid/f", "https://b.invalid/f"), sha256(content)))
    assert path.read_bytes() == content
    assert cache_listing(cache) == ["f"]


def test_a_chunked_body_cut_short_falls_back_to_the_next_mirror(cache, monkeypatch):
    content = bytes(range(256)) * 4
    _dropping_urlopen(monkeypatch, content, http.client.IncompleteRead(b"", 1014), "https://b.invalid/f")
    path = data.fetch(Remote("f", ("https://a.invalid/f", "https://b.invalid/f"), sha256(content)))
    assert path.read_bytes() == content


def test_a_body_shorter_than_its_content_length_is_not_cached(cache, monkeypatch):
    content = b"0123456789" * 100
    response = FakeResponse(content[:300])
    response.headers = {"Content-Length": str(len(content))}  # the connection closed after 300 bytes
    monkeypatch.setattr(urllib.request, "urlopen", lambda url, *a, **k: response)
    with pytest.raises(DownloadError):
        data.download("https://a.invalid/book.txt")
    assert cache_listing(cache) == []


def test_a_dropped_connection_leaves_no_partial_file(cache, monkeypatch):
    content = bytes(range(256)) * 4
    _dropping_urlopen(monkeypatch, content, ConnectionResetError("reset by peer"), "never")
    with pytest.raises(DownloadError):
        data.fetch(Remote("f", ("https://a.invalid/f",), sha256(content)))
    assert cache_listing(cache) == []


# --- mnist ---

def _write_mnist(directory, ntrain=20, ntest=10):
    """Small gzipped IDX files in directory; returns ({name: sha256}, arrays)."""
    directory.mkdir(parents=True)
    xtrn = rng.integers(0, 256, (ntrain, 28, 28)).astype(np.uint8)
    xtst = rng.integers(0, 256, (ntest, 28, 28)).astype(np.uint8)
    xtrn[0, 0, 0], xtrn[0, 0, 1] = 0, 255
    ytrn = rng.integers(0, 10, ntrain).astype(np.uint8)
    ytst = rng.integers(0, 10, ntest).astype(np.uint8)
    files = {}
    for name, array in [("train-images-idx3-ubyte.gz", xtrn), ("train-labels-idx1-ubyte.gz", ytrn),
                        ("t10k-images-idx3-ubyte.gz", xtst), ("t10k-labels-idx1-ubyte.gz", ytst)]:
        content = gzip.compress(idx_bytes(array, 0x08))
        (directory / name).write_bytes(content)
        files[name] = sha256(content)
    return files, (xtrn, ytrn, xtst, ytst)


def _check_mnist(result, arrays):
    xtrn, ytrn, xtst, ytst = result
    for x, pixels in [(xtrn, arrays[0]), (xtst, arrays[2])]:
        assert x.shape == (len(pixels), 1, 28, 28) and x.dtype == np.float32
        assert x.min() >= 0 and x.max() <= 1
        assert np.array_equal(x[:, 0], (pixels.astype(np.float64) / 255).astype(np.float32))
    assert xtrn.min() == 0 and xtrn.max() == 1
    for y, labels in [(ytrn, arrays[1]), (ytst, arrays[3])]:
        assert y.dtype == np.int64 and np.array_equal(y, labels)


def test_mnist_downloads_into_the_cache_then_reads_it_offline(tmp_path, cache, monkeypatch, offline):
    source = tmp_path / "mirror"
    files, arrays = _write_mnist(source)
    monkeypatch.setattr(mnist_module, "FILES", files)
    monkeypatch.setattr(mnist_module, "_MIRRORS", (source.as_uri() + "/",))
    _check_mnist(data.mnist(), arrays)
    assert cache_listing(cache) == sorted(files)
    for name in files:
        assert (cache / name).read_bytes() == (source / name).read_bytes()
    shutil.rmtree(source)
    _check_mnist(data.mnist(), arrays)


def test_mnist_falls_back_to_the_next_mirror(tmp_path, cache, monkeypatch, offline):
    source = tmp_path / "second"
    files, arrays = _write_mnist(source)
    monkeypatch.setattr(mnist_module, "FILES", files)
    monkeypatch.setattr(mnist_module, "_MIRRORS", ((tmp_path / "first").as_uri() + "/", source.as_uri() + "/"))
    _check_mnist(data.mnist(), arrays)
    assert cache_listing(cache) == sorted(files)


def test_mnist_dtype(tmp_path, cache, monkeypatch, offline):
    source = tmp_path / "mirror"
    files, arrays = _write_mnist(source, 3, 2)
    monkeypatch.setattr(mnist_module, "FILES", files)
    monkeypatch.setattr(mnist_module, "_MIRRORS", (source.as_uri() + "/",))
    xtrn, _, xtst, _ = data.mnist(dtype=np.float64)
    assert xtrn.dtype == xtst.dtype == np.float64
    assert np.allclose(xtrn[:, 0], arrays[0] / 255)


# --- housing ---

def _serve(monkeypatch, module, tmp_path, name, content):
    source = tmp_path / "src" / name
    source.parent.mkdir(exist_ok=True)
    source.write_bytes(content)
    monkeypatch.setattr(module, "URL", source.as_uri())
    monkeypatch.setattr(module, "SHA256", sha256(content))


def test_housing_standardises_the_features(tmp_path, cache, monkeypatch, offline):
    table = np.round(rng.uniform(0, 100, (30, 14)) * rng.uniform(0.01, 10, 14), 4)
    table[:, 3] = 1.0  # a constant column (CHAS is 0/1) must not give NaN
    text = "\n".join(" " + "  ".join(f"{v:.4f}" for v in row) for row in table) + "\n"
    _serve(monkeypatch, housing_module, tmp_path, "housing.data", text.encode())
    x, y = data.housing()
    features = table[:, :13]
    std = features.std(axis=0)
    expected = (features - features.mean(axis=0)) / np.where(std > 0, std, 1)
    assert x.shape == (30, 13) and x.dtype == np.float32
    assert y.shape == (30, 1) and y.dtype == np.float32
    assert np.allclose(x, expected, atol=1e-5)
    assert np.all(x[:, 3] == 0)
    varying = [c for c in range(13) if c != 3]
    assert np.allclose(x[:, varying].mean(axis=0), 0, atol=1e-5)
    assert np.allclose(x[:, varying].std(axis=0), 1, atol=1e-5)
    assert np.allclose(y[:, 0], table[:, 13].astype(np.float32))


def test_housing_with_the_wrong_number_of_columns_raises(tmp_path, cache, monkeypatch, offline):
    table = rng.uniform(0, 10, (30, 13))
    text = "\n".join(" ".join(f"{v:.3f}" for v in row) for row in table) + "\n"
    _serve(monkeypatch, housing_module, tmp_path, "housing.data", text.encode())
    with pytest.raises(ValueError, match="14 columns"):
        data.housing()


def test_standardize_of_a_known_matrix():
    x = np.array([[1.0, 5.0], [3.0, 5.0]])
    assert np.array_equal(data.standardize(x), [[-1.0, 0.0], [1.0, 0.0]])


# --- text ---

BODY = "THE SONNETS\n\nFrom fairest creatures we desire increase,\nThat thereby beauty's rose might never die,"
BOOK = ("\ufeffThe Project Gutenberg eBook of X\n\nThis eBook is for the use of anyone.\n\n"
        "*** START OF THE PROJECT GUTENBERG EBOOK X ***\n\n\n" + BODY + "\n\n\n"
        "*** END OF THE PROJECT GUTENBERG EBOOK X ***\n\nSection 5. General Information.\n")


def test_gutenberg_downloads_the_book_and_strips_the_licence(cache, monkeypatch):
    content = BOOK.encode("utf-8")
    calls = []

    def urlopen(url, *args, **kwargs):
        calls.append(url)
        return FakeResponse(content)

    monkeypatch.setattr(urllib.request, "urlopen", urlopen)
    assert data.gutenberg(7, sha256=sha256(content)) == BODY
    assert calls == ["https://www.gutenberg.org/cache/epub/7/pg7.txt"]
    assert (cache / "pg7.txt").read_bytes() == content
    assert data.gutenberg(7) == BODY  # from the cache
    assert len(calls) == 1


def test_gutenberg_with_a_wrong_sha256_raises(cache, monkeypatch):
    monkeypatch.setattr(urllib.request, "urlopen", lambda url, *a, **k: FakeResponse(BOOK.encode()))
    with pytest.raises(DownloadError, match="0" * 64):
        data.gutenberg(7, sha256="0" * 64)
    assert cache_listing(cache) == []


def test_strip_gutenberg():
    assert data.strip_gutenberg(BOOK.lstrip("\ufeff")) == BODY
    plain = "\nNo markers here.\nJust text.\n"
    assert data.strip_gutenberg(plain) == plain.strip("\n")
    assert data.strip_gutenberg("No markers at all") == "No markers at all"


def test_shakespeare_reads_its_remote(tmp_path, cache, monkeypatch, offline):
    text = "First Citizen:\nBefore we proceed any further, hear me speak.\n\nAll:\nSpeak, speak.\n" * 5
    content = text.encode("utf-8")
    source = tmp_path / "input.txt"
    source.write_bytes(content)
    monkeypatch.setattr(text_module, "TINY_SHAKESPEARE",
                        Remote("tinyshakespeare.txt", (source.as_uri(),), sha256(content)))
    assert data.shakespeare() == text
    assert (cache / "tinyshakespeare.txt").read_bytes() == content


def test_char_ids_round_trip():
    text = "hello, world! ünïcödé\n"
    ids, vocab = data.char_ids(text)
    assert ids.dtype == np.int64 and ids.shape == (len(text),)
    assert vocab == "".join(sorted(set(text)))
    assert "".join(vocab[i] for i in ids) == text


def test_char_ids_with_an_explicit_vocab():
    ids, vocab = data.char_ids("abba", vocab="bax")
    assert vocab == "bax"
    assert ids.tolist() == [1, 0, 0, 1]
    with pytest.raises(ValueError, match="'c'"):
        data.char_ids("abc", vocab="ab")


def test_sequence_batches_cut_the_stream_into_parallel_rows():
    stream = rng.integers(0, 50, 103)
    batchsize, seqlength = 4, 5
    columns = (len(stream) - 1) // batchsize  # 25 tokens per row
    batches = data.sequence_batches(stream, batchsize, seqlength)
    assert len(batches) == columns // seqlength
    for k, (x, y) in enumerate(batches):
        assert x.shape == y.shape == (seqlength, batchsize)
        for t in range(seqlength):
            for b in range(batchsize):
                position = b * columns + k * seqlength + t
                assert x[t, b] == stream[position]
                assert y[t, b] == stream[position + 1]
    for (_, y), (x_next, _) in zip(batches, batches[1:]):
        assert np.array_equal(y[-1], x_next[0])  # the next batch continues each row


def test_sequence_batches_of_a_short_stream_raise():
    with pytest.raises(ValueError):
        data.sequence_batches(np.arange(10), 3, 4)  # rows of 3 tokens
    assert len(data.sequence_batches(np.arange(13), 3, 4)) == 1  # rows of exactly 4


# --- embedded datasets ---

def test_digits():
    datasets = pytest.importorskip("sklearn.datasets")
    xtrn, ytrn, xtst, ytst = data.digits()
    assert xtrn.shape[1:] == xtst.shape[1:] == (1, 8, 8)
    assert len(xtrn) + len(xtst) == 1797 and len(xtst) == round(0.2 * 1797)
    assert len(ytrn) == len(xtrn) and len(ytst) == len(xtst)
    assert xtrn.dtype == np.float32 and ytrn.dtype == np.int64
    assert xtrn.min() >= 0 and xtrn.max() <= 1 and xtrn.max() == 1
    assert set(np.concatenate([ytrn, ytst]).tolist()) == set(range(10))
    # train and test together are exactly the data set, each image once
    bunch = datasets.load_digits()
    expected = np.column_stack([bunch.images.reshape(1797, 64) / 16, bunch.target])
    got = np.column_stack([np.concatenate([xtrn, xtst]).reshape(1797, 64), np.concatenate([ytrn, ytst])])
    assert np.allclose(np.unique(got, axis=0), np.unique(expected, axis=0))
    assert len(np.unique(got, axis=0)) == len(np.unique(expected, axis=0))
    again = data.digits()
    assert all(np.array_equal(a, b) for a, b in zip((xtrn, ytrn, xtst, ytst), again))


def test_split_is_a_fixed_partition():
    train, test = data.split(50, 0.2)
    assert len(test) == 10 and sorted(np.concatenate([train, test]).tolist()) == list(range(50))
    assert all(np.array_equal(a, b) for a, b in zip((train, test), data.split(50, 0.2)))


def test_diabetes():
    datasets = pytest.importorskip("sklearn.datasets")
    x, y = data.diabetes()
    assert x.shape == (442, 10) and y.shape == (442, 1)
    assert x.dtype == y.dtype == np.float32
    assert np.allclose(x.mean(axis=0), 0, atol=1e-5)
    assert np.allclose(x.std(axis=0), 1, atol=1e-4)
    assert np.allclose(y[:, 0], datasets.load_diabetes().target)


def test_stdlib_text():
    text = data.stdlib_text(chars=5000)
    assert isinstance(text, str) and len(text) == 5000
    assert "def " in text or "import" in text
