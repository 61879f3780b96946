"""Datasets used to calibrate and evaluate qnt: an IDX reader and Fashion-MNIST.

Fashion-MNIST comes from Debian's ``dataset-fashion-mnist`` package, which
installs the four original gzipped IDX files into
``/usr/share/datasets/fashion-mnist`` (override the directory with
``$QNT_FASHION_MNIST_DIR``).

Normalization (the single definition; ``scripts/train_fmnist.py`` imports it,
so training, calibration and evaluation all see the same numbers)::

    x = uint8_pixel.astype(float32) / 255.0        # range [0, 1]

No mean/std shift is applied.  One consequence a quantizer can use: the
input is exactly representable as uint8 with scale 1/255 and zero point 0.

Layout: float32 NCHW, shape ``[N, 1, 28, 28]``.  Labels: int64, shape ``[N]``.

Splits:

* **calibration** -- ``calibration_set(n, seed)``: ``n`` images drawn without
  replacement from the 60 000-image *train* set, using
  ``numpy.random.default_rng(seed).permutation(60000)[:n]`` (default ``n=512``,
  ``seed=0``).  Since the indices are a prefix of one fixed permutation, a
  smaller calibration set is always a subset of a larger one with the same
  seed.  The test set is never used for calibration.
* **evaluation** -- ``evaluation_set()``: the full 10 000-image ``t10k`` test
  set, in file order.
"""

from __future__ import annotations

import functools
import gzip
import os
import struct
import zlib
from pathlib import Path
from typing import Tuple, Union

import numpy as np

PathLike = Union[str, os.PathLike]

# IDX element type codes -> big-endian numpy dtypes.
_IDX_DTYPES = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}

_GZIP_MAGIC = b"\x1f\x8b"

DEFAULT_FASHION_MNIST_DIR = Path("/usr/share/datasets/fashion-mnist")

FASHION_MNIST_CLASSES = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)

NUM_TRAIN = 60000
NUM_TEST = 10000
IMAGE_SHAPE = (1, 28, 28)

DEFAULT_CALIBRATION_SIZE = 512
DEFAULT_CALIBRATION_SEED = 0


class DatasetNotFound(FileNotFoundError):
    """A dataset file is missing (install the Debian package named in the message)."""


# --------------------------------------------------------------------------
# IDX files
# --------------------------------------------------------------------------

def _read_bytes(path: Path) -> bytes:
    """The file's bytes, gunzipped when it starts with the gzip magic."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise
    except OSError as e:
        raise ValueError(f"{path}: cannot read: {e}") from e
    if raw[:2] == _GZIP_MAGIC:
        try:
            return gzip.decompress(raw)
        except (EOFError, OSError, zlib.error) as e:
            raise ValueError(f"{path}: corrupt or truncated gzip data: {e}") from e
    return raw


def parse_idx(data: bytes, name: str = "<bytes>") -> np.ndarray:
    """Parse the bytes of an (uncompressed) IDX file into a native-endian array.

    Raises ValueError naming ``name`` when the header is malformed or the
    payload size does not match the dimensions.
    """
    if len(data) < 4:
        raise ValueError(f"{name}: not an IDX file: {len(data)} bytes, "
                         f"shorter than the 4-byte magic")
    zero, code, ndim = struct.unpack(">HBB", data[:4])
    if zero != 0:
        raise ValueError(f"{name}: not an IDX file: magic starts with "
                         f"{data[:2].hex()}, expected 0000")
    if code not in _IDX_DTYPES:
        raise ValueError(f"{name}: not an IDX file: unknown element type "
                         f"0x{code:02x}")
    if ndim == 0:
        raise ValueError(f"{name}: IDX file declares 0 dimensions")
    header_len = 4 + 4 * ndim
    if len(data) < header_len:
        raise ValueError(f"{name}: truncated IDX header: {len(data)} bytes, "
                         f"need {header_len} for {ndim} dimensions")
    dims = struct.unpack(f">{ndim}I", data[4:header_len])
    dtype = _IDX_DTYPES[code]
    count = 1
    for d in dims:
        count *= d
    expected = header_len + count * dtype.itemsize
    if len(data) < expected:
        raise ValueError(f"{name}: truncated IDX file: {len(data)} bytes, "
                         f"expected {expected} for shape {tuple(dims)} of "
                         f"{dtype.name}")
    if len(data) > expected:
        raise ValueError(f"{name}: IDX file has {len(data) - expected} "
                         f"trailing bytes after shape {tuple(dims)} of "
                         f"{dtype.name}")
    arr = np.frombuffer(data, dtype=dtype, count=count, offset=header_len)
    return arr.reshape(dims).astype(dtype.newbyteorder("="))


def read_idx(path: PathLike) -> np.ndarray:
    """Read an IDX file (gzipped or raw, detected from its content).

    Returns a native-endian numpy array with the file's shape and element type.
    Raises FileNotFoundError when missing, ValueError (naming the file) when
    corrupt, truncated or not IDX.
    """
    path = Path(path)
    return parse_idx(_read_bytes(path), str(path))


def write_idx(path: PathLike, array: np.ndarray, compress: bool = None) -> None:
    """Write ``array`` as an IDX file; gzip it when ``compress`` (default: the
    name ends in ``.gz``).  Used by tests and handy for making small fixtures."""
    path = Path(path)
    array = np.asarray(array)
    for code, dt in _IDX_DTYPES.items():
        if dt.kind == array.dtype.kind and dt.itemsize == array.dtype.itemsize:
            break
    else:
        raise ValueError(f"IDX cannot store dtype {array.dtype}")
    if array.ndim == 0 or array.ndim > 255:
        raise ValueError(f"IDX needs 1..255 dimensions, got {array.ndim}")
    header = struct.pack(">HBB", 0, code, array.ndim)
    header += struct.pack(f">{array.ndim}I", *array.shape)
    payload = header + np.ascontiguousarray(array, dtype=dt).tobytes()
    if compress is None:
        compress = path.name.endswith(".gz")
    if compress:
        payload = gzip.compress(payload, mtime=0)
    path.write_bytes(payload)


# --------------------------------------------------------------------------
# Fashion-MNIST
# --------------------------------------------------------------------------

def fashion_mnist_dir() -> Path:
    """$QNT_FASHION_MNIST_DIR or /usr/share/datasets/fashion-mnist."""
    return Path(os.environ.get("QNT_FASHION_MNIST_DIR",
                               DEFAULT_FASHION_MNIST_DIR))


def _split_prefix(split: str) -> str:
    if split in ("train",):
        return "train"
    if split in ("test", "t10k"):
        return "t10k"
    raise ValueError(f"unknown Fashion-MNIST split {split!r}: "
                     f"use 'train' or 'test'")


def _find(directory: Path, stem: str) -> Path:
    for candidate in (directory / f"{stem}.gz", directory / stem):
        if candidate.exists():
            return candidate
    raise DatasetNotFound(
        f"{directory / (stem + '.gz')} not found: install the Debian package "
        f"dataset-fashion-mnist (apt-get install dataset-fashion-mnist) or set "
        f"QNT_FASHION_MNIST_DIR")


@functools.lru_cache(maxsize=4)
def _load_raw_cached(directory: str, prefix: str) -> Tuple[np.ndarray, np.ndarray]:
    d = Path(directory)
    img_path = _find(d, f"{prefix}-images-idx3-ubyte")
    lbl_path = _find(d, f"{prefix}-labels-idx1-ubyte")
    images = read_idx(img_path)
    labels = read_idx(lbl_path)
    if images.dtype != np.uint8 or images.ndim != 3:
        raise ValueError(f"{img_path}: expected a 3-D uint8 IDX file, got "
                         f"{images.ndim}-D {images.dtype}")
    if images.shape[1:] != (28, 28):
        raise ValueError(f"{img_path}: expected 28x28 images, got "
                         f"{images.shape[1]}x{images.shape[2]}")
    if labels.dtype != np.uint8 or labels.ndim != 1:
        raise ValueError(f"{lbl_path}: expected a 1-D uint8 IDX file, got "
                         f"{labels.ndim}-D {labels.dtype}")
    if labels.shape[0] != images.shape[0]:
        raise ValueError(f"{lbl_path}: {labels.shape[0]} labels but "
                         f"{img_path} has {images.shape[0]} images")
    if labels.size and labels.max() > 9:
        raise ValueError(f"{lbl_path}: label {int(labels.max())} out of "
                         f"range 0..9")
    images.setflags(write=False)
    labels.setflags(write=False)
    return images, labels


def load_fashion_mnist_raw(split: str = "train",
                           directory: PathLike = None) -> Tuple[np.ndarray, np.ndarray]:
    """Un-normalized images (uint8 ``[N, 28, 28]``) and labels (uint8 ``[N]``).

    The returned arrays are read-only (they are cached); copy before editing.
    """
    d = Path(directory) if directory is not None else fashion_mnist_dir()
    return _load_raw_cached(str(d), _split_prefix(split))


def normalize_images(images_u8: np.ndarray) -> np.ndarray:
    """uint8 ``[N, 28, 28]`` (or ``[N, 1, 28, 28]``) -> float32 NCHW in [0, 1].

    This is THE normalization of qnt's Fashion-MNIST model: ``x / 255``.
    """
    x = np.asarray(images_u8)
    if x.dtype != np.uint8:
        raise ValueError(f"expected uint8 pixels, got {x.dtype}")
    if x.ndim == 3:
        x = x[:, None, :, :]
    if x.ndim != 4 or x.shape[1] != 1:
        raise ValueError(f"expected [N,28,28] or [N,1,28,28], got {x.shape}")
    return x.astype(np.float32) / np.float32(255.0)


def load_fashion_mnist(split: str = "train",
                       directory: PathLike = None) -> Tuple[np.ndarray, np.ndarray]:
    """Normalized float32 images ``[N, 1, 28, 28]`` and int64 labels ``[N]``.

    ``split`` is ``"train"`` (60 000) or ``"test"`` (10 000, the t10k files).
    """
    images, labels = load_fashion_mnist_raw(split, directory)
    return normalize_images(images), labels.astype(np.int64)


def calibration_indices(n: int = DEFAULT_CALIBRATION_SIZE,
                        seed: int = DEFAULT_CALIBRATION_SEED,
                        total: int = NUM_TRAIN) -> np.ndarray:
    """Indices into the train set of the calibration subset (see module doc)."""
    if not 0 < n <= total:
        raise ValueError(f"calibration size must be in 1..{total}, got {n}")
    return np.random.default_rng(seed).permutation(total)[:n]


def calibration_set(n: int = DEFAULT_CALIBRATION_SIZE,
                    seed: int = DEFAULT_CALIBRATION_SEED,
                    directory: PathLike = None) -> Tuple[np.ndarray, np.ndarray]:
    """A fixed, seeded subset of the TRAIN set: float32 [n,1,28,28], int64 [n]."""
    images, labels = load_fashion_mnist_raw("train", directory)
    idx = calibration_indices(n, seed, total=images.shape[0])
    return normalize_images(images[idx]), labels[idx].astype(np.int64)


def evaluation_set(directory: PathLike = None) -> Tuple[np.ndarray, np.ndarray]:
    """The full t10k test set: float32 [10000,1,28,28], int64 [10000]."""
    return load_fashion_mnist("test", directory)


def top1(logits: np.ndarray, labels: np.ndarray) -> float:
    """Top-1 accuracy of ``logits`` ``[N, C]`` against ``labels`` ``[N]``."""
    logits = np.asarray(logits)
    labels = np.asarray(labels)
    if logits.ndim != 2 or logits.shape[0] != labels.shape[0]:
        raise ValueError(f"logits {logits.shape} do not match labels "
                         f"{labels.shape}")
    return float(np.mean(np.argmax(logits, axis=1) == labels))
