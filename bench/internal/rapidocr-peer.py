# RapidOCR (PP-OCRv4 on onnxruntime in Python) as the OCR bench's peer, at the settings the
# Quarry engine uses. Reads a JSON job on stdin, prints one JSON result on stdout.
#   {"images": [paths], "texts": [expected], "workers": 2, "intra": 1, "rec_batch": 6, "repeat": 12}
# `workers` processes each build their own engine, warm it up, wait at a barrier, then read
# their share of the images; wall time runs from the barrier to the last worker's end, CPU time
# is every worker's process time (all its threads).
import json
import multiprocessing as mp
import sys
import time


def settings(job):
    # Matched to operators/ocr defaults: the detector input capped at 960 px on the longer side
    # and never enlarged, DB box threshold 0.6 and unclip ratio 2.0 without dilation, text score
    # 0.5, no letterbox for wide images, batches of 6 lines, onnxruntime threads as asked.
    return dict(
        det_limit_type="max", det_limit_side_len=960, det_box_thresh=0.6, det_unclip_ratio=2.0,
        det_use_dilation=False, text_score=0.5, width_height_ratio=-1,
        intra_op_num_threads=job["intra"], inter_op_num_threads=1,
        rec_batch_num=job["rec_batch"], cls_batch_num=job["rec_batch"],
    )


def work(job, share, barrier, out):
    from rapidocr_onnxruntime import RapidOCR

    engine = RapidOCR(**settings(job))
    blobs = [open(p, "rb").read() for p in job["images"]]
    for b in blobs:
        engine(b, box_thresh=0.6, unclip_ratio=2.0, text_score=0.5)
    barrier.wait()
    started, cpu0 = time.perf_counter(), time.process_time()
    texts = {}
    for i in share:
        res, _ = engine(blobs[i % len(blobs)], box_thresh=0.6, unclip_ratio=2.0, text_score=0.5)
        texts[i % len(blobs)] = "\n".join(r[1] for r in (res or []))
    out.put({"start": started, "end": time.perf_counter(), "cpu": time.process_time() - cpu0, "texts": texts})


def main():
    job = json.load(sys.stdin)
    total = len(job["images"]) * job["repeat"]
    ctx = mp.get_context("spawn")
    barrier, out = ctx.Barrier(job["workers"]), ctx.Queue()
    shares = [list(range(w, total, job["workers"])) for w in range(job["workers"])]
    procs = [ctx.Process(target=work, args=(job, s, barrier, out)) for s in shares]
    for p in procs:
        p.start()
    parts = [out.get() for _ in procs]
    for p in procs:
        p.join()
    texts = {}
    for part in parts:
        texts.update(part["texts"])
    import rapidocr_onnxruntime, onnxruntime
    json.dump({
        "images": total,
        "seconds": max(p["end"] for p in parts) - min(p["start"] for p in parts),
        "cpuSeconds": sum(p["cpu"] for p in parts),
        "texts": [texts.get(i, "") for i in range(len(job["images"]))],
        "versions": {"rapidocr_onnxruntime": getattr(rapidocr_onnxruntime, "__version__", "1.4.4"), "onnxruntime": onnxruntime.__version__},
    }, sys.stdout)


if __name__ == "__main__":
    main()
