"""image-feature (cpu): width, height, format, clarity, a 64-bit DCT perceptual hash, dominant
colour and a WebP thumbnail of one image; the twin of operators/image-feature.

`clarity` is the variance of the 4-neighbour Laplacian on the grey ≤512 px downscale (0..1_040_400,
higher is sharper). `phash` is imagehash's DCT pHash, 16 hex chars (near-duplicates: a small Hamming
distance). Broken bytes end the item as filtered `undecodable-image`; more than `max_pixels` pixels
as filtered `decompression-bomb`.

    python -m quarry_ops.image_feature --port 50064    # env QUARRY_THUMBNAIL_SIZE, QUARRY_MAX_PIXELS
"""
from __future__ import annotations

import io
import os
import re
from typing import Any, Dict

import imagehash
import numpy as np
from PIL import Image, UnidentifiedImageError

from quarry_operator import Filtered, Registry, blob, field, serve

from .decode import TooManyPixels, open_image, to_rgb

WORK_SIDE = 512
MAX_IMAGE_BYTES = 32 << 20


def laplacian_variance(grey: np.ndarray) -> float:
    if grey.shape[0] < 3 or grey.shape[1] < 3:
        return 0.0
    g = grey.astype(np.int32)
    lap = g[:-2, 1:-1] + g[2:, 1:-1] + g[1:-1, :-2] + g[1:-1, 2:] - 4 * g[1:-1, 1:-1]
    return max(0.0, float(lap.astype(np.float64).var()))


def dominant_colour(rgb: np.ndarray) -> str:
    """The most populated bin of a 16×16×16 colour histogram, as its centre (sharp's `dominant`)."""
    q = (rgb >> 4).astype(np.int32)
    counts = np.bincount(((q[..., 0] << 8) | (q[..., 1] << 4) | q[..., 2]).ravel(), minlength=4096)
    b = int(counts.argmax())
    return "#" + "".join(f"{((b >> s) & 15) * 16 + 8:02x}" for s in (8, 4, 0))


def compute_features(data: bytes, thumbnail_size: int = 128, max_pixels: int = 100_000_000) -> Dict[str, Any]:
    if not data:
        raise Filtered("undecodable-image", "image-feature: the image is empty (0 bytes)")
    try:
        img, width, height, fmt = open_image(data, max_pixels)
    except TooManyPixels as err:
        raise Filtered("decompression-bomb", f"image-feature: {err}") from err
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as err:
        raise Filtered("undecodable-image", f"image-feature: cannot read the image header ({len(data)} bytes): {err}") from err
    try:
        work = to_rgb(img, WORK_SIDE)
    except (OSError, ValueError, SyntaxError) as err:
        raise Filtered("undecodable-image", f"image-feature: cannot decode the {fmt} pixels ({len(data)} bytes): {err}") from err
    rgb = np.asarray(work, dtype=np.uint8)
    grey = np.rint(rgb[..., 0] * 0.299 + rgb[..., 1] * 0.587 + rgb[..., 2] * 0.114).astype(np.uint8)
    thumb = work.copy()
    thumb.thumbnail((thumbnail_size, thumbnail_size), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    thumb.save(out, format="WEBP", quality=80)
    return {
        "width": width,
        "height": height,
        "format": fmt,
        "clarity": round(laplacian_variance(grey), 2),
        "phash": str(imagehash.phash(Image.fromarray(grey, mode="L"))),
        "dominantColor": dominant_colour(rgb),
        "thumbnail": out.getvalue(),
    }


def _positive(v: Any) -> None:
    if v <= 0:
        raise ValueError("must be positive")


def _matches(pattern: str):
    rx = re.compile(pattern)

    def check(v: Any) -> None:
        if not rx.fullmatch(v):
            raise ValueError(f"must match {pattern}")

    return check


def build(registry: Registry, thumbnail_size: int = 128, max_pixels: int = 100_000_000, concurrency: int = 2) -> None:
    if not 8 <= thumbnail_size <= 2048:
        raise ValueError(f"image-feature: thumbnail_size must be an integer between 8 and 2048, got {thumbnail_size}")
    if max_pixels < 1:
        raise ValueError(f"image-feature: max_pixels must be ≥ 1, got {max_pixels}")

    @registry.operator(
        "image-feature",
        version="1.0.0",
        description="Width, height, format, clarity, pHash, dominant colour and a thumbnail of an image",
        resource="cpu",
        concurrency=concurrency,
        inputs={"image": blob("the image bytes", max_bytes=MAX_IMAGE_BYTES)},
        outputs={
            "width": field(int, "width in px, after EXIF orientation", validate=_positive),
            "height": field(int, "height in px, after EXIF orientation", validate=_positive),
            "format": field(str, "decoded format: jpeg, png, webp, gif, avif, tiff"),
            "clarity": field(float, "variance of the Laplacian on a ≤512 px grey downscale; 0..1_040_400, higher is sharper"),
            "phash": field(str, "64-bit DCT perceptual hash (imagehash), 16 hex chars", validate=_matches(r"[0-9a-f]{16}")),
            "dominantColor": field(str, "dominant colour #rrggbb", validate=_matches(r"#[0-9a-f]{6}")),
            "thumbnail": blob(f"WebP thumbnail, longest side ≤ {thumbnail_size} px"),
        },
    )
    def image_feature(inputs: Dict[str, Any], ctx: Any) -> Dict[str, Any]:
        return compute_features(inputs["image"], thumbnail_size, max_pixels)


def main() -> None:
    registry = Registry()
    env = os.environ.get
    build(registry, thumbnail_size=int(env("QUARRY_THUMBNAIL_SIZE", "128")), max_pixels=int(env("QUARRY_MAX_PIXELS", "100000000")))
    os.environ.setdefault("QUARRY_CAPACITY", "4")
    serve(registry)


if __name__ == "__main__":
    main()
