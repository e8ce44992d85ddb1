"""Downloads with a cache and a sha256 check: the one place that touches the network.

Files live in the cache directory: $KNET_DATA if set, else $XDG_CACHE_HOME/knet_ast
(~/.cache/knet_ast). A file is downloaded once, hashed as it arrives and written
through files.atomic_write, so an interrupted or failed download leaves nothing. A
cached file (downloaded or placed by hand) is checked again each time it is used.
"""
import dataclasses
import hashlib
import http.client
import os
import urllib.error
import urllib.request
from pathlib import Path

from tqdm import tqdm

from ..files import atomic_write

TIMEOUT = 60  # seconds without data before a download is abandoned


class DownloadError(OSError):
    """A dataset file could not be downloaded, or its checksum is wrong.

    Examples
    --------
    An OSError, so `except OSError` catches it too. A cached file with the wrong sha256:

    >>> issubclass(knet.data.DownloadError, OSError)
    True
    >>> _ = (knet.data.cache_dir() / "notes.txt").write_text("not the expected file")
    >>> remote = knet.data.Remote("notes.txt", ("https://example.com/notes.txt",), "0" * 64)
    >>> try:
    ...     knet.data.fetch(remote)
    ... except knet.data.DownloadError as error:
    ...     print(error)
    /.../notes.txt does not have the expected sha256 000...000 (truncated or a different version?). ...
    """


@dataclasses.dataclass(frozen=True)
class Remote:
    """A file to fetch: its name in the cache, the URLs to try in order, its sha256.

    Examples
    --------
    >>> remote = knet.data.Remote("notes.txt", ("https://example.com/notes.txt",))
    >>> remote.name, remote.urls, remote.sha256
    ('notes.txt', ('https://example.com/notes.txt',), None)
    >>> _ = (knet.data.cache_dir() / "notes.txt").write_text("hello")   # placed by hand
    >>> knet.data.fetch(remote).read_text()             # found in the cache: no download
    'hello'
    """
    name: str
    urls: tuple
    sha256: str = None


def cache_dir():
    """The directory datasets are cached in (created if missing).

    Examples
    --------
    >>> import os
    >>> path = knet.data.cache_dir()
    >>> str(path) == os.environ["KNET_DATA"], path.is_dir()
    (True, True)
    """
    root = os.environ.get("KNET_DATA")
    if not root:
        root = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "knet_ast"
    path = Path(root).expanduser()
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise DownloadError(f"cannot use {path} as the dataset cache ({error.strerror}); set "
                            f"KNET_DATA to a writable directory") from None
    if not os.access(path, os.W_OK):
        raise DownloadError(f"the dataset cache {path} is not writable; set KNET_DATA to a "
                            f"writable directory")
    return path


def sha256sum(path):
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def fetch(remote):
    """The local path of `remote`, downloading it into the cache on first use.

    Examples
    --------
    A file already in the cache is checked against the sha256 and not downloaded again:

    >>> import hashlib
    >>> _ = (knet.data.cache_dir() / "hello.txt").write_bytes(b"hello")
    >>> sha = hashlib.sha256(b"hello").hexdigest()
    >>> path = knet.data.fetch(knet.data.Remote("hello.txt", ("https://example.com/hello.txt",), sha))
    >>> path.parent == knet.data.cache_dir(), path.read_bytes()
    (True, b'hello')
    """
    path = cache_dir() / remote.name
    if path.exists():
        if remote.sha256 and sha256sum(path) != remote.sha256:
            raise DownloadError(f"{path} does not have the expected sha256 {remote.sha256} "
                                f"(truncated or a different version?). Delete it to download "
                                f"it again, or replace it with the file from {remote.urls[0]}")
        return path
    failures = []
    for url in remote.urls:
        try:
            _download(url, path, remote.sha256)
            return path
        except (OSError, http.client.HTTPException) as error:  # URLError is an OSError
            failures.append(f"  {url}: {getattr(error, 'reason', None) or error!r}")
    raise DownloadError(
        f"could not download {remote.name}:\n" + "\n".join(failures) + "\n"
        f"If this machine is offline, download the file elsewhere and place it at {path} "
        f"(or in a directory named by the KNET_DATA environment variable)"
        + (f"; its sha256 must be {remote.sha256}." if remote.sha256 else "."))


def _download(url, path, sha256):
    digest = hashlib.sha256()
    with atomic_write(path) as out, urllib.request.urlopen(url, timeout=TIMEOUT) as response:
        size = int(response.headers.get("Content-Length") or 0) or None
        with tqdm(total=size, unit="B", unit_scale=True, desc=path.name, leave=False,
                  disable=None) as bar:
            received = 0
            for block in iter(lambda: response.read(1 << 16), b""):
                out.write(block)
                digest.update(block)
                received += len(block)
                bar.update(len(block))
        if size is not None and received != size:
            raise DownloadError(f"the connection closed after {received} of {size} bytes")
        if sha256 and digest.hexdigest() != sha256:
            raise DownloadError(f"sha256 {digest.hexdigest()}, expected {sha256}; the file was "
                                f"not kept (the server may be serving a different version)")


def download(url, sha256=None, name=None):
    """Fetch any URL into the cache (checked against sha256 when given) and return its path.
    The cached file is named after the URL's last part and a hash of the whole URL, so
    two URLs never share a file; `name` chooses the name instead.

    Examples
    --------
    >>> url = "https://example.com/data/hello.txt"
    >>> knet.data.download(url).name  # doctest: +SKIP
    'a4310cc2aa-hello.txt'
    >>> _ = (knet.data.cache_dir() / "hello.txt").write_text("hello")
    >>> knet.data.download(url, name="hello.txt").read_text()   # cached: no download
    'hello'
    """
    if name is None:
        tag = hashlib.sha256(url.encode()).hexdigest()[:10]
        name = f"{tag}-{url.rstrip('/').rsplit('/', 1)[-1] or 'download'}"
    return fetch(Remote(name, (url,), sha256))
