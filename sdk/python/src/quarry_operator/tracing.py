"""W3C trace context into an OpenTelemetry span, when opentelemetry is installed."""
from __future__ import annotations

import contextlib
from typing import Any, Iterator, Optional

try:
    from opentelemetry import trace as _trace
    from opentelemetry.trace import SpanKind, Status, StatusCode
    from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

    _propagator = TraceContextTextMapPropagator()
    ENABLED = True
except ImportError:  # pragma: no cover - exercised when opentelemetry is absent
    ENABLED = False


def start_span(operator: str, traceparent: str, tracestate: str, attributes: dict) -> Optional[Any]:
    """A span for one item, a child of `traceparent` (None when opentelemetry is absent)."""
    if not ENABLED:
        return None
    carrier = {"traceparent": traceparent, "tracestate": tracestate} if traceparent else {}
    tracer = _trace.get_tracer("quarry-operator")
    return tracer.start_span(f"operator {operator}", context=_propagator.extract(carrier), kind=SpanKind.SERVER, attributes=attributes)


@contextlib.contextmanager
def current(span: Optional[Any]) -> Iterator[None]:
    """Make `span` the current span (so spans the handler starts are its children)."""
    if span is None:
        yield
        return
    with _trace.use_span(span, end_on_exit=False):
        yield


def finish(span: Optional[Any], status: str, message: str) -> None:
    if span is None:
        return
    span.set_attribute("quarry.status", status)
    if status in ("FAILED", "RETRY"):
        span.set_status(Status(StatusCode.ERROR, message))
    else:
        span.set_status(Status(StatusCode.OK))
    span.end()
