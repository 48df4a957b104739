"""The one image decoder: any file PIL reads → an 8-bit RGB image, size-capped before decoding.

- 16-bit and 32-bit integer greyscale (PIL modes ``I;16``, ``I;16B``, ``I;16L``, ``I``) are
  *scaled*, not clipped: ``v8 = round(v16 · 255 / 65535)`` (PIL's own ``convert("RGB")`` clips
  every value above 255 to white). ``I`` is taken as 16-bit (PNG, TIFF); values beyond 65535 clip.
- Float greyscale (``F``): values in [0, 1] are scaled by 255, others clipped to [0, 255].
- Everything else goes through PIL's ``convert("RGB")`` (palette, CMYK, grey + alpha …).
- Pixel cap: an image with more than :func:`max_pixels` pixels (default
  :data:`DEFAULT_MAX_PIXELS` = 40 MP; environment variable ``FACEPSYCH_MAX_PIXELS``) is refused
  from its header, before any pixel is decoded.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np
from PIL import Image

from facepsych.errors import FacepsychError

DEFAULT_MAX_PIXELS = 40_000_000
ENV_MAX_PIXELS = "FACEPSYCH_MAX_PIXELS"
_SIXTEEN_BIT = ("I;16", "I;16B", "I;16L", "I;16N", "I")


def max_pixels() -> int:
    """The pixel cap: ``FACEPSYCH_MAX_PIXELS`` when set (a positive integer), else 40 MP."""
    text = os.environ.get(ENV_MAX_PIXELS, "").strip()
    if not text:
        return DEFAULT_MAX_PIXELS
    try:
        value = int(float(text))
    except ValueError:
        value = 0
    if value <= 0:
        raise FacepsychError(f"{ENV_MAX_PIXELS}={text!r}: give a positive number of pixels")
    return value


def check_pixels(size: tuple[int, int], name: object, cap: int | None = None) -> None:
    """Raise when a ``(width, height)`` image has more pixels than the cap."""
    cap = max_pixels() if cap is None else cap
    w, h = size
    if w * h > cap:
        raise FacepsychError(
            f"{name}: {w}x{h} image has {w * h / 1e6:.1f} MP, more than the {cap / 1e6:g} MP cap "
            f"(resize it, or raise the cap with {ENV_MAX_PIXELS})"
        )


def to_rgb(image: Image.Image) -> Image.Image:
    """An 8-bit RGB copy of a decoded PIL image (see the module doc for 16-bit and float)."""
    mode = image.mode
    if mode in _SIXTEEN_BIT:
        arr = np.asarray(image).astype(np.float64)
        grey = np.clip(np.round(arr * (255.0 / 65535.0)), 0, 255).astype(np.uint8)
        return Image.fromarray(grey).convert("RGB")
    if mode == "F":
        arr = np.asarray(image, dtype=np.float64)
        finite = arr[np.isfinite(arr)]
        if finite.size and finite.min() >= 0 and finite.max() <= 1:
            arr = arr * 255.0
        grey = np.clip(np.round(np.nan_to_num(arr)), 0, 255).astype(np.uint8)
        return Image.fromarray(grey).convert("RGB")
    return image.convert("RGB")


def read_rgb(path: str | Path, *, cap: int | None = None) -> Image.Image:
    """Decode an image file into an 8-bit RGB PIL image.

    One-line FacepsychError for a missing file, an unreadable one, and one over the pixel cap
    (checked on the header, before decoding)."""
    path = Path(path)
    if not path.is_file():
        raise FacepsychError(f"image not found: {path}")
    cap = max_pixels() if cap is None else cap
    try:
        with warnings.catch_warnings():  # PIL's own bomb warning: the cap below decides
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            img = Image.open(path)
        with img:
            check_pixels(img.size, path, cap)
            img.load()
            return to_rgb(img)
    except FacepsychError:
        raise
    except Image.DecompressionBombError:
        raise FacepsychError(
            f"{path}: image has more pixels than the {cap / 1e6:g} MP cap (resize it, or raise "
            f"the cap with {ENV_MAX_PIXELS})"
        ) from None
    except OSError as exc:
        from facepsych.errors import os_error

        if exc.errno is not None:
            raise os_error(exc, path) from None
        raise FacepsychError(f"cannot read image {path} ({type(exc).__name__})") from None
    except Exception as exc:  # PIL raises many types for corrupt files
        raise FacepsychError(f"cannot read image {path} ({type(exc).__name__})") from None
