"""Writing a file so that it appears whole or not at all."""
import contextlib
import os
import secrets
import stat


@contextlib.contextmanager
def atomic_write(path):
    """A binary file to write that replaces `path` only when the block completes: it is a
    temporary file next to path, fsynced, given path's permissions (or the umask's, as
    open() would), then renamed over it. If the block raises (a crash, a failed check,
    Ctrl-C) the temporary file is removed and path is untouched. A symlink is followed:
    its target is replaced."""
    path = os.path.realpath(os.fspath(path))
    directory = os.path.dirname(path)
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"the directory {directory} does not exist")
    if os.path.isdir(path):
        raise IsADirectoryError(f"{path} is a directory; give a file name")
    temporary = os.path.join(directory, f".{os.path.basename(path)}.{secrets.token_hex(6)}.tmp")
    handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)  # O_EXCL: never reuse a file
    try:
        with os.fdopen(handle, "wb") as file:
            yield file
            file.flush()
            os.fsync(file.fileno())
        if os.path.exists(path):
            os.chmod(temporary, stat.S_IMODE(os.stat(path).st_mode))
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise
