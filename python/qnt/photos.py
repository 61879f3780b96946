"""Real photos from Debian packages, as inputs for image models such as BlazeFace.

Sources (nothing is downloaded; install with scripts/install-deps-photos.sh):

* ``python3-skimage``: ``/usr/lib/python3/dist-packages/skimage/data/`` --
  astronaut (a portrait: one face), camera (the cameraman: one face, grey),
  coffee, chelsea (a cat), rocket, motorcycle_left, hubble_deep_field, retina,
  ihc, coins (grey).
* ``darknet`` (optional): ``/usr/share/darknet/data/*.jpg`` -- person (a
  woman with a dog and a horse), kite (people on a beach), scream (Munch's
  painting), dog, eagle, giraffe, horses.

Decoding uses Pillow (``python3-pil``; JPEG and PNG), or matplotlib for PNG
when Pillow is missing.  Every photo becomes 8-bit RGB (grey images are
replicated to three channels, alpha is dropped).

Resizing is plain numpy bilinear interpolation with half-pixel centres (the
``align_corners=False`` convention of OpenCV's INTER_LINEAR and of GPU
texture sampling, which MediaPipe uses), without an anti-aliasing pre-filter.
Before resizing, ``fit`` decides the aspect ratio handling:

* ``"crop"`` (default): the largest centred crop with the target aspect ratio;
* ``"letterbox"``: scale to fit inside, pad with zeros (value before
  normalization: black);
* ``"stretch"``: ignore the aspect ratio.

Normalization: ``value_range=(lo, hi)`` maps pixel 0 to ``lo`` and 255 to
``hi`` linearly.  MediaPipe BlazeFace expects ``(-1, 1)``, i.e.
``x / 127.5 - 1``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

PathLike = Union[str, os.PathLike]

SKIMAGE_DATA = Path(os.environ.get("QNT_SKIMAGE_DATA",
                                   "/usr/lib/python3/dist-packages/skimage/data"))
DARKNET_DATA = Path(os.environ.get("QNT_DARKNET_DATA", "/usr/share/darknet/data"))

# name -> (directory, file name, Debian package, note)
PHOTOS: Dict[str, Tuple[Path, str, str, str]] = {
    "astronaut": (SKIMAGE_DATA, "astronaut.png", "python3-skimage", "portrait, one face"),
    "camera": (SKIMAGE_DATA, "camera.png", "python3-skimage", "cameraman, one face, grey"),
    "coffee": (SKIMAGE_DATA, "coffee.png", "python3-skimage", "cup of coffee"),
    "chelsea": (SKIMAGE_DATA, "chelsea.png", "python3-skimage", "cat"),
    "rocket": (SKIMAGE_DATA, "rocket.jpg", "python3-skimage", "rocket launch"),
    "motorcycle": (SKIMAGE_DATA, "motorcycle_left.png", "python3-skimage", "motorcycle"),
    "hubble": (SKIMAGE_DATA, "hubble_deep_field.jpg", "python3-skimage", "galaxies"),
    "retina": (SKIMAGE_DATA, "retina.jpg", "python3-skimage", "retina scan"),
    "ihc": (SKIMAGE_DATA, "ihc.png", "python3-skimage", "microscopy"),
    "coins": (SKIMAGE_DATA, "coins.png", "python3-skimage", "coins, grey"),
    "person": (DARKNET_DATA, "person.jpg", "darknet", "woman, dog, horse"),
    "kite": (DARKNET_DATA, "kite.jpg", "darknet", "people on a beach"),
    "scream": (DARKNET_DATA, "scream.jpg", "darknet", "painting with a face"),
    "dog": (DARKNET_DATA, "dog.jpg", "darknet", "dog, bicycle, truck"),
    "eagle": (DARKNET_DATA, "eagle.jpg", "darknet", "eagle"),
    "giraffe": (DARKNET_DATA, "giraffe.jpg", "darknet", "giraffe, zebra"),
    "horses": (DARKNET_DATA, "horses.jpg", "darknet", "horses"),
}

MIN_PHOTOS = 10


class PhotosNotAvailable(FileNotFoundError):
    """Fewer photos than required are installed."""


def photo_path(name: str) -> Path:
    directory, filename, _, _ = PHOTOS[name]
    return directory / filename


def available_photos() -> List[str]:
    """Names (in PHOTOS order) of the photos whose files exist."""
    return [n for n in PHOTOS if photo_path(n).exists()]


# ------------------------------------------------------------------ decoding

def read_image(path: PathLike) -> np.ndarray:
    """Decode a PNG/JPEG file into uint8 RGB ``[H, W, 3]``."""
    path = Path(path)
    try:
        from PIL import Image
    except ImportError:
        Image = None
    if Image is not None:
        with Image.open(path) as im:
            return np.asarray(im.convert("RGB"), dtype=np.uint8).copy()
    if path.suffix.lower() != ".png":
        raise RuntimeError(f"{path}: decoding JPEG needs Pillow: apt-get install python3-pil")
    import matplotlib.image as mpimg
    a = mpimg.imread(str(path))
    if a.dtype != np.uint8:
        a = np.clip(np.rint(a * 255.0), 0, 255).astype(np.uint8)
    return to_rgb(a)


def to_rgb(a: np.ndarray) -> np.ndarray:
    """Grey [H,W] or [H,W,1], RGB or RGBA [H,W,3|4] -> [H,W,3]."""
    if a.ndim == 2:
        a = a[:, :, None]
    if a.ndim != 3:
        raise ValueError(f"expected an image [H,W] or [H,W,C], got shape {a.shape}")
    c = a.shape[2]
    if c == 1:
        return np.repeat(a, 3, axis=2)
    if c in (3, 4):
        return a[:, :, :3]
    raise ValueError(f"expected 1, 3 or 4 channels, got {c}")


# ------------------------------------------------------------------ geometry

def resize_bilinear(image: np.ndarray, height: int, width: int) -> np.ndarray:
    """Bilinear resize of ``[H, W, C]`` (or ``[H, W]``) to ``[height, width, ...]``.

    Half-pixel centres: output pixel ``i`` samples input coordinate
    ``(i + 0.5) * H / height - 0.5``, clamped to the image.  Returns float32.
    """
    img = np.asarray(image, dtype=np.float32)
    if img.ndim not in (2, 3):
        raise ValueError(f"expected [H,W] or [H,W,C], got shape {img.shape}")
    if height < 1 or width < 1:
        raise ValueError(f"bad target size {height}x{width}")
    h, w = img.shape[:2]

    def axis(n_in, n_out):
        pos = (np.arange(n_out, dtype=np.float64) + 0.5) * (n_in / n_out) - 0.5
        pos = np.clip(pos, 0.0, n_in - 1)
        i0 = np.floor(pos).astype(np.int64)
        i1 = np.minimum(i0 + 1, n_in - 1)
        frac = (pos - i0).astype(np.float32)
        return i0, i1, frac

    y0, y1, fy = axis(h, height)
    x0, x1, fx = axis(w, width)
    extra = (None,) * (img.ndim - 2)
    fy = fy[(slice(None), None) + extra]
    fx = fx[(None, slice(None)) + extra]
    top = img[y0][:, x0] * (1 - fx) + img[y0][:, x1] * fx
    bottom = img[y1][:, x0] * (1 - fx) + img[y1][:, x1] * fx
    return (top * (1 - fy) + bottom * fy).astype(np.float32)


def fit_image(image: np.ndarray, height: int, width: int, fit: str = "crop") -> np.ndarray:
    """Crop/pad/stretch then bilinear-resize ``[H,W,C]`` to ``[height,width,C]`` (float32)."""
    h, w = image.shape[:2]
    if fit == "stretch":
        return resize_bilinear(image, height, width)
    if fit == "crop":
        # largest centred window with the target aspect ratio
        if w * height > h * width:        # too wide
            cw = max(1, round(h * width / height))
            x = (w - cw) // 2
            image = image[:, x:x + cw]
        else:                             # too tall
            ch = max(1, round(w * height / width))
            y = (h - ch) // 2
            image = image[y:y + ch]
        return resize_bilinear(image, height, width)
    if fit == "letterbox":
        scale = min(height / h, width / w)
        nh = max(1, min(height, round(h * scale)))
        nw = max(1, min(width, round(w * scale)))
        resized = resize_bilinear(image, nh, nw)
        out = np.zeros((height, width) + resized.shape[2:], dtype=np.float32)
        y = (height - nh) // 2
        x = (width - nw) // 2
        out[y:y + nh, x:x + nw] = resized
        return out
    raise ValueError(f"fit must be 'crop', 'letterbox' or 'stretch', got {fit!r}")


def normalize(pixels: np.ndarray, value_range: Tuple[float, float] = (-1.0, 1.0)) -> np.ndarray:
    """Map [0, 255] linearly onto ``value_range`` (float32)."""
    lo, hi = value_range
    x = np.asarray(pixels, dtype=np.float32)
    return (x * np.float32((hi - lo) / 255.0) + np.float32(lo)).astype(np.float32)


# ------------------------------------------------------------------ batches

def load_photos(size: Tuple[int, int] = (128, 128), layout: str = "NHWC",
                value_range: Tuple[float, float] = (-1.0, 1.0), fit: str = "crop",
                names: Optional[Sequence[str]] = None,
                min_count: int = MIN_PHOTOS) -> Tuple[np.ndarray, List[str]]:
    """Load photos as one float32 batch.

    ``size`` is (height, width); ``layout`` "NHWC" -> ``[N,H,W,3]`` or "NCHW"
    -> ``[N,3,H,W]``.  ``names`` defaults to every available photo; at least
    ``min_count`` must be found (PhotosNotAvailable otherwise, naming the
    packages to install).  Returns (batch, names).
    """
    if layout not in ("NHWC", "NCHW"):
        raise ValueError(f"layout must be NHWC or NCHW, got {layout!r}")
    if names is None:
        names = available_photos()
        if len(names) < min_count:
            missing = sorted({PHOTOS[n][2] for n in PHOTOS if n not in names})
            raise PhotosNotAvailable(
                f"only {len(names)} photos found (need {min_count}): "
                f"apt-get install {' '.join(missing) or 'python3-skimage'} "
                f"(scripts/install-deps-photos.sh)")
    else:
        unknown = [n for n in names if n not in PHOTOS]
        if unknown:
            raise KeyError(f"unknown photos {unknown}; known: {list(PHOTOS)}")
    h, w = size
    batch = []
    for n in names:
        rgb = read_image(photo_path(n))
        img = normalize(fit_image(rgb, h, w, fit), value_range)
        batch.append(img if layout == "NHWC" else img.transpose(2, 0, 1))
    return np.stack(batch).astype(np.float32), list(names)


def blazeface_inputs(size: int = 128, fit: str = "crop",
                     names: Optional[Sequence[str]] = None) -> Tuple[np.ndarray, List[str]]:
    """Photos as BlazeFace (front, Barracuda ONNX) wants them: float32 NHWC
    ``[N, size, size, 3]``, RGB, in [-1, 1].  The model has a fixed batch of 1:
    feed ``batch[i:i+1]``."""
    return load_photos((size, size), "NHWC", (-1.0, 1.0), fit, names)
