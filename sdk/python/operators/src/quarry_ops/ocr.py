"""ocr (gpu class): PP-OCRv4 detection, direction and recognition on rapidocr-onnxruntime (its
wheel ships the models), served as a batch operator; the twin of operators/ocr.

    python -m quarry_ops.ocr --port 50070    # env QUARRY_OCR_MAX_SIDE (960), QUARRY_OCR_THREADS (1)
"""
from __future__ import annotations

import os
import threading
from typing import Any, Dict, List, Sequence, TypedDict

import numpy as np
from PIL import UnidentifiedImageError

from quarry_operator import Batch, Filtered, Item, NonRetryable, Registry, blob, field, serve
from quarry_operator.errors import DeadlineExceeded

from .decode import TooManyPixels, open_image, to_rgb

MAX_OCR_TEXT = 64_000
MAX_OCR_LINES = 2_000
MAX_IMAGE_BYTES = 32 << 20


class OcrLine(TypedDict):
    text: str
    confidence: float
    box: List[List[float]]


class PaddleOcr:
    """rapidocr with the TypeScript engine's settings: the detector sees the image with its longest
    side ≤ max_side (960), lines below min_confidence (0.5) are dropped, one image at a time."""

    def __init__(self, max_side: int = 960, threads: int = 1, min_confidence: float = 0.5, max_pixels: int = 40_000_000, max_work_side: int = 4096) -> None:
        from rapidocr_onnxruntime import RapidOCR

        self._engine = RapidOCR(det_limit_type="max", det_limit_side_len=max_side, text_score=min_confidence, intra_op_num_threads=threads, inter_op_num_threads=1)
        self._lock = threading.Lock()
        self.max_pixels = max_pixels
        self.max_work_side = max_work_side

    def read(self, data: bytes) -> List[OcrLine]:
        try:
            img, width, height, _ = open_image(data, self.max_pixels)
            rgb = to_rgb(img, self.max_work_side)
        except TooManyPixels as err:
            raise NonRetryable(f"image refused: {err}", code="IMAGE_TOO_LARGE") from err
        except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as err:
            raise NonRetryable(f"image could not be decoded: {err}", code="IMAGE_UNDECODABLE") from err
        bgr = np.ascontiguousarray(np.asarray(rgb, dtype=np.uint8)[:, :, ::-1])
        with self._lock:
            result, _ = self._engine(bgr)
        sx, sy = width / rgb.width, height / rgb.height
        lines: List[OcrLine] = []
        for box, text, score in result or []:
            if not text.strip():
                continue
            lines.append({
                "text": text,
                "confidence": round(min(1.0, max(0.0, float(score))), 4),
                "box": [[round(float(x) * sx), round(float(y) * sy)] for x, y in box],
            })
        return lines


def fit_limits(lines: Sequence[OcrLine]) -> Dict[str, Any]:
    """Whole lines, in reading order, while they fit the output limits."""
    kept: List[OcrLine] = []
    length = 0
    for line in lines:
        added = (0 if not kept else 1) + len(line["text"])
        if len(kept) >= MAX_OCR_LINES or length + added > MAX_OCR_TEXT:
            break
        kept.append(line)
        length += added
    return {"ocrText": "\n".join(l["text"] for l in kept), "ocrLines": kept}


def _box(v: Any) -> None:
    for line in v:
        if len(line["box"]) != 4 or any(len(p) != 2 for p in line["box"]):
            raise ValueError("each box has 4 corners [x, y]")
        if not 0 <= line["confidence"] <= 1:
            raise ValueError("confidence lies in 0..1")
    if len(v) > MAX_OCR_LINES:
        raise ValueError(f"at most {MAX_OCR_LINES} lines")


def _bounded_text(v: Any) -> None:
    if len(v) > MAX_OCR_TEXT:
        raise ValueError(f"at most {MAX_OCR_TEXT} characters")


def build(registry: Registry, engine: PaddleOcr, max_batch: int = 8) -> None:
    @registry.batch_operator(
        "ocr",
        version="1.0.0",
        description="PP-OCRv4 text detection and recognition (Chinese and English), rapidocr-onnxruntime",
        resource="gpu",
        max_batch=max_batch,
        inputs={"image": blob("encoded image (any format Pillow decodes)", max_bytes=MAX_IMAGE_BYTES)},
        outputs={
            "ocrText": field(str, "line texts in reading order, newline-separated", validate=_bounded_text),
            "ocrLines": field(List[OcrLine], validate=_box),
        },
    )
    def ocr(items: List[Item], batch: Batch) -> List[Any]:
        # One model at a time, item after item; once the batch's deadline passed the rest is not read.
        out: List[Any] = []
        for item in items:
            if batch.cancelled or item.ctx.cancelled:
                out.append(DeadlineExceeded("ocr: the batch ran out of time before this item"))
                continue
            image = item.inputs["image"]
            try:
                if not image:
                    raise Filtered("empty-image")
                out.append(fit_limits(engine.read(image)))
            except Exception as err:  # one bad image fails itself, not its batch-mates
                out.append(err)
        return out


def main() -> None:
    env = os.environ.get
    engine = PaddleOcr(max_side=int(env("QUARRY_OCR_MAX_SIDE", "960")), threads=int(env("QUARRY_OCR_THREADS", "1")))
    registry = Registry()
    build(registry, engine)
    os.environ.setdefault("QUARRY_CAPACITY", "4")
    serve(registry)


if __name__ == "__main__":
    main()
