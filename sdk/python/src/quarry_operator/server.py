"""Serve a registry as the `quarry.v1.Operator` gRPC service: capacity (RESOURCE_EXHAUSTED past
it), Health, metrics, TLS with client certificates, a bearer token, and graceful shutdown."""
from __future__ import annotations

import asyncio
import hmac
import os
from dataclasses import dataclass
from typing import Any, Dict, Optional

import grpc

from ._pb import quarry_pb2 as pb
from ._pb import quarry_pb2_grpc as pb_grpc
from .invoke import Runner, describe, now_ms
from .metrics import Metrics
from .registry import Registry

MESSAGE_LIMIT = 64 << 20


@dataclass
class ServeOptions:
    host: str = "127.0.0.1"
    port: int = 0  # 0 picks a free port
    capacity: int = 16  # calls served at once before RESOURCE_EXHAUSTED
    default_timeout_ms: int = 60_000  # an item's deadline when neither it nor the call has one
    metrics_port: Optional[int] = None  # serve Prometheus metrics on this port (0 = any free one)
    tls_cert: Optional[str] = None  # PEM files: the server's certificate and key
    tls_key: Optional[str] = None
    tls_client_ca: Optional[str] = None  # PEM: require client certificates signed by this CA (mTLS)
    token: Optional[str] = None  # require `authorization: Bearer <token>` on every call
    grace_s: float = 30.0  # how long shutdown waits for calls in flight


class OperatorService(pb_grpc.OperatorServicer):
    def __init__(self, registry: Registry, options: ServeOptions, metrics: Metrics) -> None:
        self.registry = registry
        self.options = options
        self.metrics = metrics
        self.runners = {op.name: Runner(op, metrics) for op in registry}
        self.in_flight = 0
        self.closing = False
        metrics.capacity.set(options.capacity)

    async def _runner(self, name: str, context: grpc.aio.ServicerContext, method: str) -> Runner:
        runner = self.runners.get(name) if name else (next(iter(self.runners.values())) if len(self.runners) == 1 else None)
        if runner is None:
            self.metrics.calls.labels(method, "unknown-operator").inc()
            await context.abort(grpc.StatusCode.UNIMPLEMENTED, f"no operator `{name}` here (serving: {', '.join(self.runners)})")
        if self.closing:
            self.metrics.calls.labels(method, "closing").inc()
            await context.abort(grpc.StatusCode.UNAVAILABLE, "operator server is shutting down")
        if self.in_flight >= self.options.capacity:
            self.metrics.calls.labels(method, "resource-exhausted").inc()
            await context.abort(grpc.StatusCode.RESOURCE_EXHAUSTED, f"operator `{runner.op.name}` is at capacity ({self.options.capacity} calls in flight)")
        return runner  # type: ignore[return-value]

    def _call_deadline_ms(self, context: grpc.aio.ServicerContext) -> int:
        remaining = context.time_remaining()
        return now_ms() + (self.options.default_timeout_ms if remaining is None else int(remaining * 1000))

    async def _serve(self, runner: Runner, items: Any, context: grpc.aio.ServicerContext, method: str) -> Any:
        self.in_flight += 1
        self.metrics.in_flight.set(self.in_flight)
        try:
            out = await runner.run(list(items), self._call_deadline_ms(context))
            self.metrics.calls.labels(method, "ok").inc()
            return out
        finally:
            self.in_flight -= 1
            self.metrics.in_flight.set(self.in_flight)

    async def Echo(self, request: pb.EchoRequest, context: grpc.aio.ServicerContext) -> pb.EchoResponse:
        runner = await self._runner(request.operator, context, "Echo")
        return (await self._serve(runner, [request], context, "Echo"))[0]

    async def EchoBatch(self, request: pb.EchoBatchRequest, context: grpc.aio.ServicerContext) -> pb.EchoBatchResponse:
        runner = await self._runner(request.operator, context, "EchoBatch")
        return pb.EchoBatchResponse(items=await self._serve(runner, request.items, context, "EchoBatch"))

    async def Describe(self, request: pb.DescribeRequest, context: grpc.aio.ServicerContext) -> pb.DescribeResponse:
        return pb.DescribeResponse(operators=[describe(r.op) for r in self.runners.values()])

    async def Health(self, request: pb.HealthRequest, context: grpc.aio.ServicerContext) -> pb.HealthResponse:
        return pb.HealthResponse(serving=not self.closing, in_flight=self.in_flight, capacity=self.options.capacity)


class TokenCheck(grpc.aio.ServerInterceptor):
    """Every call must carry `authorization: Bearer <token>`; others get UNAUTHENTICATED."""

    def __init__(self, token: str) -> None:
        self._expected = f"Bearer {token}".encode()

        async def deny(request: Any, context: grpc.aio.ServicerContext) -> Any:
            await context.abort(grpc.StatusCode.UNAUTHENTICATED, "missing or wrong bearer token (metadata `authorization: Bearer …`)")

        self._deny = grpc.unary_unary_rpc_method_handler(deny)

    async def intercept_service(self, continuation: Any, details: grpc.HandlerCallDetails) -> Any:
        got = next((v for k, v in (details.invocation_metadata or ()) if k == "authorization"), "")
        if hmac.compare_digest(got.encode() if isinstance(got, str) else got, self._expected):
            return await continuation(details)
        return self._deny


def _read(path: str) -> bytes:
    with open(path, "rb") as f:
        return f.read()


class OperatorServer:
    """A running service. `await stop()` stops accepting calls and lets those in flight finish."""

    def __init__(self, registry: Registry, options: ServeOptions) -> None:
        if len(registry) == 0:
            raise ValueError("an operator server needs at least one operator")
        if bool(options.tls_cert) != bool(options.tls_key):
            raise ValueError("TLS needs both a certificate and its key")
        if options.tls_client_ca and not options.tls_cert:
            raise ValueError("client certificates (tls_client_ca) need the server's own certificate and key")
        if options.capacity < 1:
            raise ValueError("capacity must be at least 1")
        self.options = options
        self.metrics = Metrics()
        self.service = OperatorService(registry, options, self.metrics)
        token = options.token if options.token is not None else os.environ.get("QUARRY_OPERATOR_TOKEN") or None
        interceptors = [TokenCheck(token)] if token else []
        self._server = grpc.aio.server(interceptors=interceptors, options=[("grpc.max_receive_message_length", MESSAGE_LIMIT), ("grpc.max_send_message_length", MESSAGE_LIMIT)])
        pb_grpc.add_OperatorServicer_to_server(self.service, self._server)
        self.port = 0
        self.metrics_port: Optional[int] = None

    @property
    def address(self) -> str:
        return f"{self.options.host}:{self.port}"

    @property
    def tls(self) -> bool:
        return bool(self.options.tls_cert)

    async def start(self) -> "OperatorServer":
        o = self.options
        bind = f"{o.host}:{o.port}"
        if o.tls_cert and o.tls_key:
            creds = grpc.ssl_server_credentials([(_read(o.tls_key), _read(o.tls_cert))], root_certificates=_read(o.tls_client_ca) if o.tls_client_ca else None, require_client_auth=bool(o.tls_client_ca))
            self.port = self._server.add_secure_port(bind, creds)
        else:
            self.port = self._server.add_insecure_port(bind)
        await self._server.start()
        if o.metrics_port is not None:
            self.metrics_port = self.metrics.serve(o.metrics_port, o.host)
        return self

    async def stop(self, grace_s: Optional[float] = None) -> None:
        self.service.closing = True
        await self._server.stop(self.options.grace_s if grace_s is None else grace_s)
        for runner in self.service.runners.values():
            runner.close()
        await asyncio.to_thread(self.metrics.close)  # the HTTP server's shutdown waits for its poll

    async def wait(self) -> None:
        await self._server.wait_for_termination()

    def summary(self) -> Dict[str, Any]:
        out: Dict[str, Any] = {"listening": self.address, "operators": list(self.service.runners), "tls": self.tls}
        if self.metrics_port is not None:
            out["metrics"] = f"http://{self.options.host}:{self.metrics_port}/metrics"
        return out


async def start_server(registry: Registry, options: Optional[ServeOptions] = None) -> OperatorServer:
    return await OperatorServer(registry, options or ServeOptions()).start()
