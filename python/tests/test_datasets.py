"""Tests of qnt.datasets: the IDX reader on hand-built files, Fashion-MNIST."""

import gzip
import struct
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from qnt import datasets  # noqa: E402


def idx_bytes(code, dims, payload):
    return struct.pack(">HBB", 0, code, len(dims)) + struct.pack(f">{len(dims)}I", *dims) + payload


# ------------------------------------------------------------------ IDX

def test_raw_idx_by_hand(tmp_path):
    # 2 images of 2x3 uint8, built byte by byte.
    pixels = bytes(range(12))
    p = tmp_path / "tiny-images-idx3-ubyte"
    p.write_bytes(idx_bytes(0x08, (2, 2, 3), pixels))
    a = datasets.read_idx(p)
    assert a.dtype == np.uint8
    assert a.shape == (2, 2, 3)
    assert a[1, 1, 2] == 11
    np.testing.assert_array_equal(a.ravel(), np.arange(12))


def test_gzipped_idx_by_hand(tmp_path):
    labels = bytes([3, 1, 4, 1, 5])
    p = tmp_path / "tiny-labels-idx1-ubyte.gz"
    p.write_bytes(gzip.compress(idx_bytes(0x08, (5,), labels)))
    a = datasets.read_idx(p)
    np.testing.assert_array_equal(a, [3, 1, 4, 1, 5])


def test_gzip_detected_by_content_not_name(tmp_path):
    p = tmp_path / "no-extension"
    p.write_bytes(gzip.compress(idx_bytes(0x08, (2,), b"\x07\x08")))
    np.testing.assert_array_equal(datasets.read_idx(p), [7, 8])


def test_big_endian_types(tmp_path):
    vals = np.array([[1, -2], [300, -40000]], dtype=">i4")
    p = tmp_path / "ints.idx"
    p.write_bytes(idx_bytes(0x0C, (2, 2), vals.tobytes()))
    a = datasets.read_idx(p)
    assert a.dtype == np.int32 and a.dtype.isnative
    np.testing.assert_array_equal(a, [[1, -2], [300, -40000]])
    f = np.array([1.5, -0.25], dtype=">f4")
    p.write_bytes(idx_bytes(0x0D, (2,), f.tobytes()))
    np.testing.assert_array_equal(datasets.read_idx(p), [1.5, -0.25])


@pytest.mark.parametrize("name", ["a.idx", "a.idx.gz"])
@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.int16, np.int32,
                                   np.float32, np.float64])
def test_write_read_roundtrip(tmp_path, name, dtype):
    a = (np.arange(24).reshape(2, 3, 4) - 5).astype(dtype)
    if dtype == np.uint8:
        a = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    p = tmp_path / name
    datasets.write_idx(p, a)
    assert (p.read_bytes()[:2] == b"\x1f\x8b") == name.endswith(".gz")
    b = datasets.read_idx(p)
    assert b.dtype == a.dtype
    np.testing.assert_array_equal(a, b)


def test_write_rejects_int64(tmp_path):
    with pytest.raises(ValueError):
        datasets.write_idx(tmp_path / "x", np.zeros(3, np.int64))


@pytest.mark.parametrize("data, message", [
    (b"", "shorter than the 4-byte magic"),
    (b"\x00\x00", "shorter than the 4-byte magic"),
    (b"\x12\x34\x08\x01" + b"\x00\x00\x00\x01" + b"\x00", "magic"),
    (b"\x00\x00\x42\x01" + b"\x00\x00\x00\x01" + b"\x00", "unknown element type"),
    (b"\x00\x00\x08\x00", "0 dimensions"),
    (b"\x00\x00\x08\x03" + b"\x00\x00\x00\x02", "truncated IDX header"),
])
def test_bad_header(tmp_path, data, message):
    p = tmp_path / "bad-idx"
    p.write_bytes(data)
    with pytest.raises(ValueError, match=message) as e:
        datasets.read_idx(p)
    assert str(p) in str(e.value)


def test_truncated_payload_raw(tmp_path):
    p = tmp_path / "short-images-idx3-ubyte"
    p.write_bytes(idx_bytes(0x08, (10, 28, 28), bytes(100)))
    with pytest.raises(ValueError, match="truncated IDX file") as e:
        datasets.read_idx(p)
    assert str(p) in str(e.value)


def test_trailing_bytes(tmp_path):
    p = tmp_path / "long-idx"
    p.write_bytes(idx_bytes(0x08, (2,), b"\x01\x02\x03"))
    with pytest.raises(ValueError, match="trailing"):
        datasets.read_idx(p)


def test_truncated_gzip_stream(tmp_path):
    full = gzip.compress(idx_bytes(0x08, (50, 28, 28), bytes(range(256)) * 153 + bytes(50 * 784 - 256 * 153)))
    p = tmp_path / "cut-images-idx3-ubyte.gz"
    p.write_bytes(full[: len(full) // 2])
    with pytest.raises(ValueError, match="gzip") as e:
        datasets.read_idx(p)
    assert str(p) in str(e.value)


def test_corrupt_gzip_stream(tmp_path):
    full = bytearray(gzip.compress(idx_bytes(0x08, (4, 4), bytes(range(16)))))
    for i in range(10, len(full) - 8):
        full[i] ^= 0xFF
    p = tmp_path / "garbled.gz"
    p.write_bytes(bytes(full))
    with pytest.raises(ValueError) as e:
        datasets.read_idx(p)
    assert str(p) in str(e.value)


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError):
        datasets.read_idx(tmp_path / "nope")


# ------------------------------------------------------------------ a fake Fashion-MNIST directory

def make_fake_fmnist(d: Path, n_train=40, n_test=12):
    rng = np.random.default_rng(1)
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        datasets.write_idx(d / f"{prefix}-images-idx3-ubyte.gz",
                           rng.integers(0, 256, (n, 28, 28), dtype=np.uint8))
        datasets.write_idx(d / f"{prefix}-labels-idx1-ubyte.gz",
                           rng.integers(0, 10, n, dtype=np.uint8))


def test_fake_directory_loading_and_normalization(tmp_path):
    make_fake_fmnist(tmp_path)
    raw, raw_labels = datasets.load_fashion_mnist_raw("test", tmp_path)
    x, y = datasets.load_fashion_mnist("test", tmp_path)
    assert x.shape == (12, 1, 28, 28) and x.dtype == np.float32
    assert y.shape == (12,) and y.dtype == np.int64
    np.testing.assert_array_equal(x[:, 0], raw.astype(np.float32) / 255.0)
    np.testing.assert_array_equal(y, raw_labels)
    assert x.min() >= 0.0 and x.max() <= 1.0


def test_fake_calibration_is_seeded_train_subset(tmp_path):
    make_fake_fmnist(tmp_path)
    train_raw, train_labels = datasets.load_fashion_mnist_raw("train", tmp_path)
    c1, l1 = datasets.calibration_set(8, seed=3, directory=tmp_path)
    c2, l2 = datasets.calibration_set(8, seed=3, directory=tmp_path)
    np.testing.assert_array_equal(c1, c2)
    idx = datasets.calibration_indices(8, seed=3, total=40)
    np.testing.assert_array_equal(c1[:, 0], train_raw[idx] / np.float32(255))
    np.testing.assert_array_equal(l1, train_labels[idx])
    # smaller sets are prefixes of larger ones with the same seed
    c3, _ = datasets.calibration_set(5, seed=3, directory=tmp_path)
    np.testing.assert_array_equal(c3, c1[:5])
    with pytest.raises(ValueError):
        datasets.calibration_set(41, directory=tmp_path)


def test_label_image_count_mismatch(tmp_path):
    make_fake_fmnist(tmp_path)
    datasets.write_idx(tmp_path / "t10k-labels-idx1-ubyte.gz", np.zeros(3, np.uint8))
    with pytest.raises(ValueError, match="labels"):
        datasets.load_fashion_mnist("test", tmp_path)


def test_missing_dataset_names_package(tmp_path):
    with pytest.raises(datasets.DatasetNotFound, match="dataset-fashion-mnist"):
        datasets.load_fashion_mnist("test", tmp_path)


def test_bad_split():
    with pytest.raises(ValueError):
        datasets.load_fashion_mnist("validation")


def test_normalize_rejects_float():
    with pytest.raises(ValueError):
        datasets.normalize_images(np.zeros((1, 28, 28), np.float32))


def test_top1():
    logits = np.array([[0.1, 0.9], [0.8, 0.2], [0.3, 0.7]])
    assert datasets.top1(logits, np.array([1, 0, 0])) == pytest.approx(2 / 3)


# ------------------------------------------------------------------ the real data (Debian package)

REAL = datasets.fashion_mnist_dir() / "t10k-images-idx3-ubyte.gz"


@pytest.mark.skipif(not REAL.exists(), reason="dataset-fashion-mnist not installed")
def test_real_fashion_mnist():
    x, y = datasets.evaluation_set()
    assert x.shape == (10000, 1, 28, 28) and x.dtype == np.float32
    assert y.shape == (10000,) and set(np.unique(y)) == set(range(10))
    assert 0.0 == x.min() and x.max() == 1.0
    # the published first test labels: ankle boot, pullover, trouser, trouser
    np.testing.assert_array_equal(y[:4], [9, 2, 1, 1])
    c, cl = datasets.calibration_set()
    assert c.shape == (datasets.DEFAULT_CALIBRATION_SIZE, 1, 28, 28)
    train_raw, train_labels = datasets.load_fashion_mnist_raw("train")
    assert train_raw.shape == (60000, 28, 28)
    idx = datasets.calibration_indices()
    np.testing.assert_array_equal(cl, train_labels[idx])
    # calibration covers all classes
    assert set(np.unique(cl)) == set(range(10))


# ------------------------------------------------------------------ photos (qnt.photos)

from qnt import photos  # noqa: E402


def test_resize_bilinear_half_pixel_centres():
    ramp = np.tile(np.arange(8, dtype=np.float32), (2, 1))          # [2, 8]
    # 8 -> 4: output i samples (i + 0.5) * 2 - 0.5 = 2i + 0.5
    np.testing.assert_allclose(photos.resize_bilinear(ramp, 2, 4)[0], [0.5, 2.5, 4.5, 6.5])
    # 8 -> 16: samples (i + 0.5) / 2 - 0.5, clamped at the borders
    up = photos.resize_bilinear(ramp, 2, 16)[0]
    np.testing.assert_allclose(up[:3], [0.0, 0.25, 0.75])
    np.testing.assert_allclose(up[-2:], [6.75, 7.0])
    # identity size leaves the image unchanged; constant stays constant
    img = np.random.default_rng(0).integers(0, 256, (5, 7, 3)).astype(np.uint8)
    np.testing.assert_array_equal(photos.resize_bilinear(img, 5, 7), img.astype(np.float32))
    np.testing.assert_allclose(photos.resize_bilinear(np.full((9, 4, 3), 7.0), 3, 11), 7.0)


def test_resize_bilinear_2x2_by_hand():
    img = np.array([[0.0, 10.0], [20.0, 30.0]], np.float32)
    out = photos.resize_bilinear(img, 4, 4)
    # rows sample y = -0.25 (clamped 0), 0.25, 0.75, 1.25 (clamped 1); same for x
    np.testing.assert_allclose(out[1], [5.0, 7.5, 12.5, 15.0])
    np.testing.assert_allclose(out[:, 0], [0.0, 5.0, 15.0, 20.0])


def test_fit_modes():
    img = np.zeros((10, 20, 3), np.uint8)
    img[:, 5:15] = 255                                              # bright centre square
    crop = photos.fit_image(img, 4, 4, "crop")
    assert crop.shape == (4, 4, 3) and crop.min() == 255.0           # centred crop sees only it
    box = photos.fit_image(img, 8, 8, "letterbox")
    assert box.shape == (8, 8, 3)
    assert box[:2].max() == 0 and box[-2:].max() == 0 and box[3, 4, 0] == 255
    assert photos.fit_image(img, 4, 6, "stretch").shape == (4, 6, 3)
    with pytest.raises(ValueError):
        photos.fit_image(img, 4, 4, "zoom")


def test_normalize_and_to_rgb():
    px = np.array([0, 127.5, 255], np.float32)
    np.testing.assert_allclose(photos.normalize(px, (-1, 1)), [-1, 0, 1])
    np.testing.assert_allclose(photos.normalize(px, (0, 1)), [0, 0.5, 1])
    assert photos.to_rgb(np.zeros((3, 4), np.uint8)).shape == (3, 4, 3)
    assert photos.to_rgb(np.zeros((3, 4, 4), np.uint8)).shape == (3, 4, 3)


def test_read_image_png_and_jpeg(tmp_path):
    Image = pytest.importorskip("PIL.Image")
    a = np.random.default_rng(0).integers(0, 256, (6, 5, 3)).astype(np.uint8)
    Image.fromarray(a).save(tmp_path / "a.png")
    np.testing.assert_array_equal(photos.read_image(tmp_path / "a.png"), a)
    Image.fromarray(np.full((8, 8, 3), 100, np.uint8)).save(tmp_path / "a.jpg", quality=95)
    j = photos.read_image(tmp_path / "a.jpg")
    assert j.shape == (8, 8, 3) and np.abs(j.astype(int) - 100).max() <= 2
    Image.fromarray(np.full((3, 3), 9, np.uint8)).save(tmp_path / "g.png")   # grey
    assert photos.read_image(tmp_path / "g.png").shape == (3, 3, 3)


@pytest.mark.skipif(len(photos.available_photos()) < photos.MIN_PHOTOS,
                    reason="photos need python3-skimage (scripts/install-deps-photos.sh)")
def test_real_photos_blazeface_layout():
    x, names = photos.blazeface_inputs()
    assert len(names) >= 10 and names[0] == "astronaut"
    assert x.shape == (len(names), 128, 128, 3) and x.dtype == np.float32
    assert x.min() >= -1.0 and x.max() <= 1.0 and x.min() < -0.9 and x.max() > 0.9
    nchw, _ = photos.load_photos((64, 32), "NCHW", (0, 1), "stretch", names=names[:2])
    assert nchw.shape == (2, 3, 64, 32)
