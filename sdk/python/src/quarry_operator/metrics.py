"""Prometheus metrics of one operator server (its own registry, so servers in one process don't clash)."""
from __future__ import annotations

from typing import Optional

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.items = Counter("quarry_operator_items", "Items answered, by operator, status and error code", ["operator", "status", "code"], registry=self.registry)
        self.item_seconds = Histogram("quarry_operator_item_duration_seconds", "Time from receipt to answer of one item", ["operator"], registry=self.registry, buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60))
        self.calls = Counter("quarry_operator_calls", "gRPC calls, by method and outcome", ["method", "outcome"], registry=self.registry)
        self.batch_size = Histogram("quarry_operator_batch_items", "Items per EchoBatch call", ["operator"], registry=self.registry, buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256))
        self.in_flight = Gauge("quarry_operator_in_flight", "Calls being served", registry=self.registry)
        self.capacity = Gauge("quarry_operator_capacity", "Calls served at once before RESOURCE_EXHAUSTED", registry=self.registry)
        self._server: Optional[object] = None

    def serve(self, port: int, host: str = "127.0.0.1") -> int:
        server, _thread = start_http_server(port, addr=host, registry=self.registry)
        self._server = server
        return int(server.server_port)

    def close(self) -> None:
        if self._server is not None:
            self._server.shutdown()  # type: ignore[attr-defined]
            self._server.server_close()  # type: ignore[attr-defined]
            self._server = None
