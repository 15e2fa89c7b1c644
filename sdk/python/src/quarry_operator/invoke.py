"""The wrapper around every handler: decode and check inputs, enforce deadlines, map errors to
per-item statuses, check outputs. The handler sees none of it."""
from __future__ import annotations

import asyncio
import contextvars
import json
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Dict, List, Optional, Tuple

from ._pb import quarry_pb2 as pb
from .context import Batch, Context, Item, trigger_info
from .errors import DeadlineExceeded, Filtered, InputInvalid, InputTooLarge, OperatorError, OutputInvalid
from .fields import type_problem
from .metrics import Metrics
from .registry import Operator
from . import tracing

STATUS = {"OK": pb.OK, "FILTERED": pb.FILTERED, "RETRY": pb.RETRY, "FAILED": pb.FAILED}


def now_ms() -> int:
    return int(time.time() * 1000)


def describe(op: Operator) -> pb.OperatorDescription:
    def specs(decls: Dict[str, Any]) -> List[pb.FieldSpec]:
        return [pb.FieldSpec(name=n, kind=d.kind, description=d.description, optional=d.optional, max_bytes=d.max_bytes) for n, d in decls.items()]

    return pb.OperatorDescription(
        name=op.name, version=op.version, inputs=specs(dict(op.inputs)), outputs=specs(dict(op.outputs)), resource=op.resource,
        max_batch=op.max_batch, batch_native=op.batch_native, concurrency=op.concurrency,
    )


def error_response(exc: BaseException) -> pb.EchoResponse:
    if isinstance(exc, Filtered):
        return pb.EchoResponse(status=pb.FILTERED, error_code="FILTERED", message=exc.reason)
    if isinstance(exc, OperatorError):
        return pb.EchoResponse(status=STATUS[exc.status], error_code=exc.code, message=exc.message, retry_after_ms=exc.retry_after_ms)
    return pb.EchoResponse(status=pb.FAILED, error_code="INTERNAL", message=f"{type(exc).__name__}: {exc}")


def decode_inputs(op: Operator, req: pb.EchoRequest) -> Dict[str, Any]:
    """Wire inputs → the handler's values. Raises INPUT_TOO_LARGE or INPUT_INVALID naming the fields."""
    values: Dict[str, Any] = {}
    problems: List[str] = []
    too_large: List[str] = []
    for name, decl in op.inputs.items():
        wire = req.blobs if decl.kind == "blob" else req.fields
        if name not in wire:
            if not decl.optional:
                problems.append(f"missing required input `{name}`")
            continue
        raw = wire[name]
        if decl.max_bytes and len(raw) > decl.max_bytes:
            too_large.append(f"input `{name}` is {len(raw)} bytes, over its limit of {decl.max_bytes}")
            continue
        if decl.kind == "blob":
            values[name] = bytes(raw)
            continue
        try:
            value = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            problems.append(f"input `{name}` is not valid JSON")
            continue
        problem = type_problem(value, str if decl.kind == "blob-ref" else decl.type, f"input `{name}`")
        if problem is None and decl.validate is not None:
            try:
                decl.validate(value)
            except ValueError as err:
                problem = f"input `{name}`: {err}"
        if problem is not None:
            problems.append(problem)
        else:
            values[name] = value
    if too_large:
        raise InputTooLarge(f"operator `{op.name}`: {', '.join(too_large)}")
    if problems:
        raise InputInvalid(f"operator `{op.name}`: {', '.join(problems)}")
    return values


def encode_outputs(op: Operator, out: Any) -> Tuple[Dict[str, bytes], Dict[str, bytes]]:
    if not isinstance(out, dict):
        raise OutputInvalid(f"operator `{op.name}` returned {type(out).__name__}, not a dict of its outputs")
    fields: Dict[str, bytes] = {}
    blobs: Dict[str, bytes] = {}
    problems: List[str] = []
    for name, decl in op.outputs.items():
        value = out.get(name)
        if value is None:
            if not decl.optional:
                problems.append(f"missing output `{name}`")
            continue
        if decl.kind == "blob":
            if isinstance(value, (bytes, bytearray, memoryview)):
                blobs[name] = bytes(value)
            else:
                problems.append(f"output `{name}` must be bytes")
            continue
        problem = type_problem(value, str if decl.kind == "blob-ref" else decl.type, f"output `{name}`")
        if problem is None and decl.validate is not None:
            try:
                decl.validate(value)
            except ValueError as err:
                problem = f"output `{name}`: {err}"
        if problem is None:
            try:
                fields[name] = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode("utf-8")
            except (TypeError, ValueError) as err:
                problem = f"output `{name}` is not JSON: {err}"
        if problem is not None:
            problems.append(problem)
    problems.extend(f"undeclared output `{k}`" for k in out if k not in op.outputs)
    if problems:
        raise OutputInvalid(f"operator `{op.name}`: {', '.join(problems)}")
    return fields, blobs


def ok_response(op: Operator, out: Any, ctx: Context) -> pb.EchoResponse:
    fields, blobs = encode_outputs(op, out)
    children = [pb.Child(item_key=c.item_key, dag=c.dag, source=c.source) for c in ctx.children]
    return pb.EchoResponse(status=pb.OK, fields=fields, blobs=blobs, children=children)


def item_deadline(req: pb.EchoRequest, call_deadline_ms: int) -> int:
    """The item's own deadline when it has one, never later than the call's."""
    return min(req.deadline_ms, call_deadline_ms) if req.deadline_ms > 0 else call_deadline_ms


class Runner:
    """Runs one operator's items within its concurrency."""

    def __init__(self, op: Operator, metrics: Metrics) -> None:
        self.op = op
        self.metrics = metrics
        self._executor: Optional[ThreadPoolExecutor] = None if op.is_async else ThreadPoolExecutor(max_workers=op.concurrency, thread_name_prefix=f"quarry-{op.name}")
        self._sem: Optional[asyncio.Semaphore] = None

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)

    async def run(self, reqs: List[pb.EchoRequest], call_deadline_ms: int) -> List[pb.EchoResponse]:
        if self.op.batch_native:
            return await self._run_batches(reqs, call_deadline_ms)
        return list(await asyncio.gather(*(self._run_item(r, call_deadline_ms) for r in reqs)))

    async def _bounded(self, fn: Any, *args: Any, deadline_ms: int, on_timeout: Any) -> Any:
        """Run fn(*args) in the operator's concurrency; past the deadline, call on_timeout and raise."""
        loop = asyncio.get_running_loop()
        if self._executor is not None:
            future: asyncio.Future = loop.run_in_executor(self._executor, contextvars.copy_context().run, fn, *args)
        else:
            if self._sem is None:
                self._sem = asyncio.Semaphore(self.op.concurrency)
            sem = self._sem

            async def guarded() -> Any:
                async with sem:
                    return await fn(*args)

            future = asyncio.ensure_future(guarded())
        try:
            done, _ = await asyncio.wait([future], timeout=max(0.0, deadline_ms / 1000 - time.time()))
        except asyncio.CancelledError:
            on_timeout()
            future.cancel()
            raise
        if not done:
            on_timeout()
            future.cancel()  # a sync handler not yet started never starts; a running one is told by ctx.cancelled
            raise DeadlineExceeded(f"operator `{self.op.name}` exceeded its deadline")
        return future.result()

    async def _run_item(self, req: pb.EchoRequest, call_deadline_ms: int) -> pb.EchoResponse:
        started = time.monotonic()
        deadline = item_deadline(req, call_deadline_ms)
        trig = trigger_info(req)
        ctx = Context(self.op.name, trig, deadline)
        span = tracing.start_span(self.op.name, trig.traceparent, trig.tracestate, {"quarry.operator": self.op.name, "quarry.node": trig.node, "quarry.item_key": trig.item_key})
        try:
            inputs = decode_inputs(self.op, req)
            if now_ms() >= deadline:
                raise DeadlineExceeded(f"operator `{self.op.name}`: the item's deadline passed before it started")
            with tracing.current(span):
                out = await self._bounded(self.op.handler, inputs, ctx, deadline_ms=deadline, on_timeout=ctx.cancel)
            res = ok_response(self.op, out, ctx)
        except asyncio.CancelledError:
            tracing.finish(span, "RETRY", "call cancelled")
            raise
        except Exception as exc:  # every outcome is a response
            res = error_response(exc)
        self._record(res, ctx, started)
        tracing.finish(span, pb.Status.Name(res.status), res.message)
        return res

    async def _run_batches(self, reqs: List[pb.EchoRequest], call_deadline_ms: int) -> List[pb.EchoResponse]:
        started = time.monotonic()
        results: List[Optional[pb.EchoResponse]] = [None] * len(reqs)
        ready: List[Tuple[int, Item, int]] = []
        for i, req in enumerate(reqs):
            deadline = item_deadline(req, call_deadline_ms)
            ctx = Context(self.op.name, trigger_info(req), deadline)
            try:
                inputs = decode_inputs(self.op, req)
                if now_ms() >= deadline:
                    raise DeadlineExceeded(f"operator `{self.op.name}`: the item's deadline passed before it started")
                ready.append((i, Item(inputs, ctx), deadline))
            except OperatorError as exc:
                results[i] = error_response(exc)
                self._record(results[i], ctx, started)
        chunks = [ready[k : k + self.op.max_batch] for k in range(0, len(ready), self.op.max_batch)]
        await asyncio.gather(*(self._run_chunk(chunk, results, started) for chunk in chunks))
        return [r if r is not None else error_response(RuntimeError("no answer")) for r in results]

    async def _run_chunk(self, chunk: List[Tuple[int, Item, int]], results: List[Optional[pb.EchoResponse]], started: float) -> None:
        batch = Batch(deadline_ms=max(d for _, _, d in chunk))
        spans = [tracing.start_span(self.op.name, it.ctx.trigger.traceparent, it.ctx.trigger.tracestate, {"quarry.operator": self.op.name, "quarry.item_key": it.ctx.trigger.item_key, "quarry.batch_size": len(chunk)}) for _, it, _ in chunk]

        def cancel() -> None:
            batch._cancelled.set()
            for _, it, _ in chunk:
                it.ctx.cancel()

        outs: List[Any]
        try:
            outs = await self._bounded(self.op.batch_handler, [it for _, it, _ in chunk], batch, deadline_ms=batch.deadline_ms, on_timeout=cancel)
            if not isinstance(outs, list) or len(outs) != len(chunk):
                n = len(outs) if isinstance(outs, list) else type(outs).__name__
                outs = [OperatorError(f"operator `{self.op.name}`: the batch handler returned {n} results for {len(chunk)} items")] * len(chunk)
        except asyncio.CancelledError:
            for span in spans:
                tracing.finish(span, "RETRY", "call cancelled")
            raise
        except Exception as exc:  # the whole chunk failed alike
            outs = [exc] * len(chunk)
        answered = now_ms()
        self.metrics.batch_size.labels(self.op.name).observe(len(chunk))
        for (i, it, deadline), out, span in zip(chunk, outs, spans):
            try:
                if answered > deadline:
                    raise DeadlineExceeded(f"operator `{self.op.name}` exceeded the item's deadline")
                if isinstance(out, BaseException):
                    raise out
                res = ok_response(self.op, out, it.ctx)
            except Exception as exc:
                res = error_response(exc)
            results[i] = res
            self._record(res, it.ctx, started)
            tracing.finish(span, pb.Status.Name(res.status), res.message)

    def _record(self, res: pb.EchoResponse, ctx: Context, started: float) -> None:
        status = pb.Status.Name(res.status)
        self.metrics.items.labels(self.op.name, status, res.error_code or "OK").inc()
        self.metrics.item_seconds.labels(self.op.name).observe(time.monotonic() - started)
        if status in ("FAILED", "RETRY"):
            ctx.log.warning("item not done", status=status, code=res.error_code, detail=res.message)
        else:
            ctx.log.debug("item done", status=status, reason=res.message)
