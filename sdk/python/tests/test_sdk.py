"""The Python SDK against a real gRPC server on loopback: the wrapper's contract, the registry,
tracing, metrics, the token and graceful shutdown. Run: .sdk/venv/bin/python -m unittest discover sdk/python/tests"""
import asyncio
import json
import time
import unittest
import urllib.request
from typing import List, TypedDict

import grpc
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from quarry_operator import Filtered, NonRetryable, Registry, RetryLater, ServeOptions, blob, field, start_server
from quarry_operator._pb import quarry_pb2 as pb
from quarry_operator._pb import quarry_pb2_grpc as pb_grpc
from quarry_operator.fields import type_problem

EXPORTER = InMemorySpanExporter()
_provider = TracerProvider()
_provider.add_span_processor(SimpleSpanProcessor(EXPORTER))
trace.set_tracer_provider(_provider)

TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


class Box(TypedDict):
    text: str
    score: float


def make_registry(seen: list) -> Registry:
    reg = Registry()

    @reg.operator("greet", version="1.0.0", concurrency=2, inputs={"name": field(str, "who"), "photo": blob("bytes", optional=True, max_bytes=8)}, outputs={"greeting": field(str), "boxes": field(List[Box], optional=True)})
    def greet(inputs, ctx):
        seen.append((ctx.idempotency_key, ctx.trigger.trace_id, trace.get_current_span().get_span_context().trace_id))
        name = inputs["name"]
        if name == "slow":
            time.sleep(0.5)
        if name == "filter":
            raise Filtered("not-wanted")
        if name == "later":
            raise RetryLater("busy", retry_after_ms=250)
        if name == "never":
            raise NonRetryable("cannot", code="NEVER")
        if name == "crash":
            raise KeyError("boom")
        if name == "bad-output":
            return {"greeting": 5}
        if name == "extra":
            return {"greeting": "hi", "secret": 1}
        if name == "fan":
            ctx.emit("child-1", "other-dag", {"n": 1})
        return {"greeting": f"hello {name}", "boxes": [{"text": name, "score": 1}]}

    @reg.batch_operator("count", version="1.0.0", max_batch=2, inputs={"n": field(int)}, outputs={"double": field(int)})
    def count(items, batch):
        seen.append(("batch", len(items)))
        return [ValueError("odd") if it.inputs["n"] % 2 else {"double": it.inputs["n"] * 2} for it in items]

    return reg


def item(op: str, fields=None, blobs=None, deadline_ms=0, **trigger) -> pb.EchoRequest:
    t = pb.Trigger(message_id="m-1", item_key="k", dag="d", node="n", tuple_ref="t", traceparent=TRACEPARENT, **trigger)
    return pb.EchoRequest(trigger=t, operator=op, fields={k: json.dumps(v).encode() for k, v in (fields or {}).items()}, blobs=blobs or {}, deadline_ms=deadline_ms)


class SdkTest(unittest.IsolatedAsyncioTestCase):
    async def asyncSetUp(self):
        self.seen: list = []
        self.server = await start_server(make_registry(self.seen), ServeOptions(capacity=2, metrics_port=0, token="sesame"))
        self.channel = grpc.aio.insecure_channel(self.server.address)
        self.stub = pb_grpc.OperatorStub(self.channel)
        self.md = (("authorization", "Bearer sesame"),)

    async def asyncTearDown(self):
        await self.channel.close()
        await self.server.stop(0)

    async def echo(self, req, timeout=10):
        return await self.stub.Echo(req, metadata=self.md, timeout=timeout)

    async def test_describe_declares_fields_batch_size_and_concurrency(self):
        d = await self.stub.Describe(pb.DescribeRequest(), metadata=self.md)
        greet, count = d.operators
        self.assertEqual([(f.name, f.kind, f.optional, f.max_bytes) for f in greet.inputs], [("name", "json", False, 0), ("photo", "blob", True, 8)])
        self.assertEqual((greet.concurrency, greet.batch_native, count.batch_native, count.max_batch), (2, False, True, 2))

    async def test_outcomes_map_to_the_documented_codes(self):
        cases = {
            "filter": (pb.FILTERED, "FILTERED", "not-wanted"), "later": (pb.RETRY, "RETRY_LATER", "busy"), "never": (pb.FAILED, "NEVER", "cannot"),
            "crash": (pb.FAILED, "INTERNAL", "KeyError"), "bad-output": (pb.FAILED, "OUTPUT_INVALID", "greeting"), "extra": (pb.FAILED, "OUTPUT_INVALID", "undeclared output `secret`"),
        }
        for name, (status, code, text) in cases.items():
            res = await self.echo(item("greet", {"name": name}))
            self.assertEqual((res.status, res.error_code), (status, code), name)
            self.assertIn(text, res.message, name)
        later = await self.echo(item("greet", {"name": "later"}))
        self.assertEqual(later.retry_after_ms, 250)

    async def test_inputs_are_checked(self):
        missing = await self.echo(item("greet"))
        self.assertEqual((missing.status, missing.error_code), (pb.FAILED, "INPUT_INVALID"))
        self.assertIn("missing required input `name`", missing.message)
        wrong = await self.echo(item("greet", {"name": 3}))
        self.assertIn("input `name` must be a string", wrong.message)
        big = await self.echo(item("greet", {"name": "x"}, {"photo": b"123456789"}))
        self.assertEqual((big.status, big.error_code), (pb.FAILED, "INPUT_TOO_LARGE"))

    async def test_ok_answers_carry_outputs_children_and_the_idempotency_key(self):
        res = await self.echo(item("greet", {"name": "fan"}, origin_id="first-id"))
        self.assertEqual(res.status, pb.OK)
        self.assertEqual(json.loads(res.fields["greeting"]), "hello fan")
        self.assertEqual([(c.item_key, c.dag, dict(c.source)) for c in res.children], [("child-1", "other-dag", {"n": "1"})])
        await self.echo(item("greet", {"name": "plain"}))
        self.assertEqual([s[0] for s in self.seen], ["first-id", "m-1"])

    async def test_the_item_span_continues_the_callers_trace(self):
        EXPORTER.clear()
        req = item("greet", {"name": "traced"})
        req.traceparent = "00-11112222333344445555666677778888-1111222233334444-01"
        await self.echo(req)
        span = next(s for s in EXPORTER.get_finished_spans() if s.name == "operator greet")
        self.assertEqual(f"{span.context.trace_id:032x}", "11112222333344445555666677778888")
        self.assertEqual(f"{span.parent.span_id:016x}", "1111222233334444")
        self.assertEqual(f"{self.seen[-1][2]:032x}", "11112222333344445555666677778888", "the handler runs inside the span")
        await self.echo(item("greet", {"name": "from-trigger"}))
        self.assertEqual(self.seen[-1][1], "4bf92f3577b34da6a3ce929d0e0e4736", "no caller span: the trigger's trace")

    async def test_deadlines_per_item_and_per_call(self):
        t0 = time.time()
        res = await self.echo(item("greet", {"name": "slow"}, deadline_ms=int(time.time() * 1000) + 100))
        self.assertEqual((res.status, res.error_code), (pb.RETRY, "DEADLINE_EXCEEDED"))
        self.assertLess(time.time() - t0, 0.45, "answered at the item's deadline, not when the handler ended")
        past = await self.echo(item("greet", {"name": "x"}, deadline_ms=int(time.time() * 1000) - 10))
        self.assertEqual(past.error_code, "DEADLINE_EXCEEDED")

    async def test_a_batch_answers_each_item_and_chunks_to_max_batch(self):
        res = await self.stub.EchoBatch(pb.EchoBatchRequest(operator="count", items=[item("", {"n": 2}), item("", {"n": 3}), item("", {}), item("", {"n": 4})]), metadata=self.md)
        self.assertEqual([(r.status, r.error_code) for r in res.items], [(pb.OK, ""), (pb.FAILED, "INTERNAL"), (pb.FAILED, "INPUT_INVALID"), (pb.OK, "")])
        self.assertEqual(json.loads(res.items[3].fields["double"]), 8)
        self.assertEqual(sorted(s[1] for s in self.seen if s[0] == "batch"), [1, 2], "3 valid items in chunks of max_batch 2")

    async def test_backpressure_health_and_metrics(self):
        calls = [asyncio.ensure_future(self.echo(item("greet", {"name": "slow"}))) for _ in range(4)]
        await asyncio.sleep(0.2)
        health = await self.stub.Health(pb.HealthRequest(), metadata=self.md)
        self.assertEqual((health.serving, health.in_flight, health.capacity), (True, 2, 2))
        outcomes = await asyncio.gather(*calls, return_exceptions=True)
        refused = [o for o in outcomes if isinstance(o, grpc.aio.AioRpcError)]
        self.assertEqual([o.code() for o in refused], [grpc.StatusCode.RESOURCE_EXHAUSTED] * 2)
        with urllib.request.urlopen(f"http://127.0.0.1:{self.server.metrics_port}/metrics") as r:
            text = r.read().decode()
        self.assertIn('quarry_operator_calls_total{method="Echo",outcome="resource-exhausted"} 2.0', text)
        self.assertIn('quarry_operator_items_total{code="OK",operator="greet",status="OK"} 2.0', text)

    async def test_calls_without_the_token_are_unauthenticated(self):
        for md in ((), (("authorization", "Bearer wrong"),)):
            with self.assertRaises(grpc.aio.AioRpcError) as err:
                await self.stub.Health(pb.HealthRequest(), metadata=md)
            self.assertEqual(err.exception.code(), grpc.StatusCode.UNAUTHENTICATED)

    async def test_unknown_operators_are_unimplemented(self):
        with self.assertRaises(grpc.aio.AioRpcError) as err:
            await self.echo(item("nope", {"name": "x"}))
        self.assertEqual(err.exception.code(), grpc.StatusCode.UNIMPLEMENTED)

    async def test_shutdown_finishes_calls_in_flight_and_refuses_new_ones(self):
        slow = asyncio.ensure_future(self.echo(item("greet", {"name": "slow"})))
        await asyncio.sleep(0.1)
        stopping = asyncio.ensure_future(self.server.stop(5))
        await asyncio.sleep(0.05)
        self.assertEqual((await slow).status, pb.OK)
        await stopping
        with self.assertRaises(grpc.aio.AioRpcError):
            await self.echo(item("greet", {"name": "late"}), timeout=2)


class RegistryAndTypesTest(unittest.TestCase):
    def test_registering_a_name_twice_raises(self):
        reg = Registry()
        reg.operator("a", version="1", inputs={}, outputs={})(lambda i, c: {})
        with self.assertRaisesRegex(ValueError, "already registered"):
            reg.operator("a", version="1", inputs={}, outputs={})(lambda i, c: {})

    def test_bad_declarations_are_refused(self):
        reg = Registry()
        with self.assertRaisesRegex(ValueError, "kebab-case"):
            reg.operator("Bad_Name", version="1", inputs={}, outputs={})(lambda i, c: {})
        with self.assertRaisesRegex(ValueError, "resource"):
            reg.operator("ok", version="1", resource="tpu", inputs={}, outputs={})(lambda i, c: {})
        with self.assertRaisesRegex(TypeError, "declared with field"):
            reg.operator("ok2", version="1", inputs={"x": str}, outputs={})(lambda i, c: {})

    def test_json_types(self):
        self.assertIsNone(type_problem([{"text": "a", "score": 1}], List[Box]))
        self.assertEqual(type_problem([{"text": "a"}], List[Box]), "value[0] lacks score")
        self.assertEqual(type_problem(True, int), "value must be an integer")
        self.assertIsNone(type_problem(None, str | None))
        self.assertIsNone(type_problem({"a": [1, 2]}, dict[str, list[int]]))
        self.assertEqual(type_problem({"a": [1, "2"]}, dict[str, list[int]]), "value.a[1] must be an integer")


if __name__ == "__main__":
    unittest.main()
