"""What a handler knows of its item: the trigger's references, its deadline, a log, fan-out."""
from __future__ import annotations

import json
import logging
import os
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

PRIORITIES = {0: "normal", 1: "high", 2: "normal", 3: "low"}


@dataclass(frozen=True)
class TriggerInfo:
    message_id: str
    item_key: str
    dag: str
    node: str
    tenant: str
    priority: str
    attempt: int
    source: Dict[str, str]
    origin_id: str
    traceparent: str
    tracestate: str

    @property
    def idempotency_key(self) -> str:
        """The item's first message id: unchanged across re-drives and replays."""
        return self.origin_id or self.message_id

    @property
    def trace_id(self) -> str:
        parts = self.traceparent.split("-")
        return parts[1] if len(parts) >= 4 else ""


def trigger_info(req: Any) -> TriggerInfo:
    t = req.trigger
    # The caller's span for this item, else the item's own trace (proto: EchoRequest.traceparent).
    traceparent = req.traceparent or t.traceparent
    tracestate = req.tracestate if req.traceparent else t.tracestate
    return TriggerInfo(t.message_id, t.item_key, t.dag, t.node, t.tenant, PRIORITIES.get(int(t.priority), "normal"), int(t.attempt), dict(t.source), t.origin_id, traceparent, tracestate)


@dataclass(frozen=True)
class Child:
    item_key: str
    dag: str
    source: Dict[str, str]


class Context:
    """Passed to a per-item handler (and with each item of a batch)."""

    def __init__(self, operator: str, trigger: TriggerInfo, deadline_ms: int) -> None:
        self.operator = operator
        self.trigger = trigger
        self.deadline_ms = deadline_ms
        self.children: List[Child] = []
        self._cancelled = threading.Event()
        self.log = ItemLogger(operator, trigger)

    @property
    def idempotency_key(self) -> str:
        return self.trigger.idempotency_key

    @property
    def attempt(self) -> int:
        return self.trigger.attempt

    def remaining(self) -> float:
        """Seconds left before the deadline (never negative)."""
        return max(0.0, self.deadline_ms / 1000 - time.time())

    @property
    def cancelled(self) -> bool:
        """True once the deadline passed or the caller went away: stop working, the answer is lost."""
        return self._cancelled.is_set()

    def cancel(self) -> None:
        self._cancelled.set()

    def emit(self, item_key: str, dag: str, source: Optional[Dict[str, str]] = None) -> None:
        """Fan-out: a child item for another DAG (it enters through the gate)."""
        self.children.append(Child(item_key, dag, {k: str(v) for k, v in (source or {}).items()}))


@dataclass
class Batch:
    """Passed to a batch handler with its items: the latest deadline among them."""

    deadline_ms: int
    _cancelled: threading.Event = field(default_factory=threading.Event)

    def remaining(self) -> float:
        return max(0.0, self.deadline_ms / 1000 - time.time())

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()


@dataclass(frozen=True)
class Item:
    inputs: Dict[str, Any]
    ctx: Context


_log = logging.getLogger("quarry.operator")
if not _log.handlers:
    _handler = logging.StreamHandler(sys.stderr)
    _handler.setFormatter(logging.Formatter("%(message)s"))
    _log.addHandler(_handler)
    # QUARRY_LOG_LEVEL: debug, info (default), warn, error.
    _log.setLevel({"debug": logging.DEBUG, "warn": logging.WARNING, "error": logging.ERROR}.get(os.environ.get("QUARRY_LOG_LEVEL", ""), logging.INFO))
    _log.propagate = False


class ItemLogger:
    """JSON log lines that carry the item's trace context (so logs join the trace)."""

    def __init__(self, operator: str, trigger: TriggerInfo) -> None:
        parts = trigger.traceparent.split("-")
        self._base = {
            "operator": operator,
            "itemKey": trigger.item_key,
            "idempotencyKey": trigger.idempotency_key,
            "traceId": parts[1] if len(parts) >= 4 else "",
            "parentSpanId": parts[2] if len(parts) >= 4 else "",
        }

    def _write(self, level: int, name: str, message: str, attrs: Dict[str, Any]) -> None:
        if _log.isEnabledFor(level):
            _log.log(level, json.dumps({"level": name, **self._base, "message": message, **attrs}, default=str))

    def debug(self, message: str, **attrs: Any) -> None:
        self._write(logging.DEBUG, "debug", message, attrs)

    def info(self, message: str, **attrs: Any) -> None:
        self._write(logging.INFO, "info", message, attrs)

    def warning(self, message: str, **attrs: Any) -> None:
        self._write(logging.WARNING, "warn", message, attrs)

    def error(self, message: str, **attrs: Any) -> None:
        self._write(logging.ERROR, "error", message, attrs)
