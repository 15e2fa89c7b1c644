"""Shared image decoding on Pillow: the header first (dimensions, a pixel limit), then the pixels."""
from __future__ import annotations

import io
from typing import Tuple

from PIL import Image, ImageFile, ImageOps

# We check the pixel count ourselves (a clear reason, not Pillow's warning); truncated data stays an error.
Image.MAX_IMAGE_PIXELS = None
ImageFile.LOAD_TRUNCATED_IMAGES = False

FORMATS = {"jpeg": "jpeg", "mpo": "jpeg", "png": "png", "webp": "webp", "gif": "gif", "tiff": "tiff", "avif": "avif", "heif": "heif"}
SWAPS_AXES = {5, 6, 7, 8}


class TooManyPixels(Exception):
    pass


def open_image(data: bytes, max_pixels: int) -> Tuple[Image.Image, int, int, str]:
    """The opened image (pixels not yet read), its width and height after EXIF orientation, its format."""
    img = Image.open(io.BytesIO(data))
    width, height = img.size
    if width * height > max_pixels:
        raise TooManyPixels(f"{width}×{height} = {width * height} px exceeds the limit of {max_pixels} px")
    orientation = img.getexif().get(0x0112, 1)
    if orientation in SWAPS_AXES:
        width, height = height, width
    fmt = FORMATS.get((img.format or "").lower(), (img.format or "unknown").lower())
    return img, width, height, fmt


def to_rgb(img: Image.Image, max_side: int) -> Image.Image:
    """Decoded, upright, flattened on white, sRGB, longest side ≤ max_side (never enlarged)."""
    if img.format == "JPEG":
        img.draft("RGB", (max_side, max_side))  # let libjpeg scale down while decoding
    img.load()
    img = ImageOps.exif_transpose(img)
    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        rgba = img.convert("RGBA")
        flat = Image.new("RGB", rgba.size, (255, 255, 255))
        flat.paste(rgba, mask=rgba.getchannel("A"))
        img = flat
    elif img.mode != "RGB":
        img = img.convert("RGB")
    if max(img.size) > max_side:
        img.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    return img
