// Image → NCHW float tensors, normalised as PaddleOCR's models were trained: channels in BGR order
// (the training pipeline decodes with OpenCV), ImageNet mean/std for detection, [-1, 1] for
// recognition and orientation.
import type { RgbImage } from './image.ts';

const IMAGENET_MEAN = [0.485, 0.456, 0.406] as const;
const IMAGENET_STD = [0.229, 0.224, 0.225] as const;

/** Detection input size: the longer side capped at `maxSide`, both sides multiples of 32. */
export function detectionSize(width: number, height: number, maxSide: number): { width: number; height: number } {
  const ratio = Math.max(width, height) > maxSide ? maxSide / Math.max(width, height) : 1;
  return {
    width: Math.max(Math.round((width * ratio) / 32) * 32, 32),
    height: Math.max(Math.round((height * ratio) / 32) * 32, 32),
  };
}

export function detectionTensor(image: RgbImage): Float32Array {
  const plane = image.width * image.height;
  const out = new Float32Array(3 * plane);
  const data = image.data;
  for (let c = 0; c < 3; c++) {
    // Channel c of the tensor is BGR channel c, i.e. RGB channel 2 − c: (v / 255 − mean) / std.
    const scale = 1 / (255 * IMAGENET_STD[c]!);
    const bias = -IMAGENET_MEAN[c]! / IMAGENET_STD[c]!;
    const base = c * plane;
    for (let i = 0, s = 2 - c; i < plane; i++, s += 3) out[base + i] = data[s]! * scale + bias;
  }
  return out;
}

/**
 * Packs images of one height into a batch `paddedWidth` wide, left-aligned, normalised to
 * [-1, 1] and zero-padded on the right (PaddleOCR's resize_norm_img).
 */
export function lineBatchTensor(images: readonly RgbImage[], height: number, paddedWidth: number): Float32Array {
  const plane = height * paddedWidth;
  const out = new Float32Array(images.length * 3 * plane);
  images.forEach((image, n) => {
    if (image.height !== height || image.width > paddedWidth) throw new RangeError(`line image ${image.width}×${image.height} does not fit ${paddedWidth}×${height}`);
    const base = n * 3 * plane;
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < image.width; x++) {
        const s = (y * image.width + x) * 3;
        const d = y * paddedWidth + x;
        for (let c = 0; c < 3; c++) out[base + c * plane + d] = image.data[s + 2 - c]! / 127.5 - 1;
      }
    }
  });
  return out;
}
