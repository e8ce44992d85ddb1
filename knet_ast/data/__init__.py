"""knet_ast.data: datasets for Knet's tutorial models.

Downloaded on first use, checked against a pinned sha256 and cached (see
`cache_dir()`; the KNET_DATA environment variable moves the cache):
`mnist()`, `housing()`, `shakespeare()`, `gutenberg(book)`, `download(url)`.
Shipped with installed packages, no network needed: `digits()`, `diabetes()`
(scikit-learn) and `stdlib_text()`.
"""
from .embedded import diabetes, digits, split, stdlib_text
from .housing import housing, standardize
from .mnist import mnist, read_idx
from .remote import DownloadError, Remote, cache_dir, download, fetch
from .text import char_ids, gutenberg, sequence_batches, shakespeare, strip_gutenberg

__all__ = ["mnist", "housing", "shakespeare", "gutenberg", "download", "digits", "diabetes",
           "stdlib_text", "char_ids", "sequence_batches", "read_idx", "standardize", "split",
           "strip_gutenberg", "cache_dir", "fetch", "Remote", "DownloadError"]
