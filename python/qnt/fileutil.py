"""Writing output files so that a failure never leaves a partial file."""

import errno
import os
import tempfile


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def save_atomically(path, save) -> None:
    """Calls ``save(tmp_path)`` on a temporary file next to ``path`` and
    renames it to ``path`` (mode as for a new file); on any failure the
    temporary file is removed and ``path`` is untouched. A missing output
    directory is a FileNotFoundError naming it."""
    path = os.fspath(path)
    d = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(d):
        raise FileNotFoundError(errno.ENOENT, "output directory does not exist", d)
    suffix = os.path.splitext(path)[1] or ".tmp"
    fd, tmp = tempfile.mkstemp(prefix=".qnt-", suffix=suffix, dir=d)
    os.close(fd)
    try:
        save(tmp)
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def write_atomically(path, text: str) -> None:
    """``text`` to ``path`` via save_atomically."""
    def save(tmp):
        with open(tmp, "w") as f:
            f.write(text)
    save_atomically(path, save)
