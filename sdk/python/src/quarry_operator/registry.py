"""Operators and the registry that names them. An operator is a plain function with declared
inputs and outputs; the SDK does validation, deadlines, errors, spans and metrics around it."""
from __future__ import annotations

import inspect
import re
from dataclasses import dataclass, field as dc_field
from typing import Any, Callable, Dict, Iterator, Mapping, Optional

from .fields import Field

NAME = re.compile(r"^[a-z][a-z0-9-]{0,62}$")
FIELD = re.compile(r"^[a-zA-Z][a-zA-Z0-9_]{0,62}$")


@dataclass(frozen=True)
class Operator:
    name: str
    version: str
    inputs: Mapping[str, Field]
    outputs: Mapping[str, Field]
    # Exactly one of: handler(inputs, ctx) -> outputs, per item; batch_handler(items, batch) ->
    # [outputs | Exception], once per chunk of `max_batch` items (a model run).
    handler: Optional[Callable[..., Any]] = None
    batch_handler: Optional[Callable[..., Any]] = None
    description: str = ""
    resource: str = "cpu"
    # Items this operator works on at once (per-item handler) or batches at once (batch handler).
    concurrency: int = 16
    max_batch: int = 64
    extra: Dict[str, Any] = dc_field(default_factory=dict)

    def __post_init__(self) -> None:
        if not NAME.match(self.name):
            raise ValueError(f"operator name `{self.name}` must be lower-case kebab-case (a-z, 0-9, -), 1-63 characters")
        if not self.version:
            raise ValueError(f"operator `{self.name}` needs a version")
        if (self.handler is None) == (self.batch_handler is None):
            raise ValueError(f"operator `{self.name}` needs exactly one of handler and batch_handler")
        if self.resource not in ("cpu", "gpu"):
            raise ValueError(f"operator `{self.name}` resource must be cpu or gpu, not `{self.resource}`")
        if self.concurrency < 1 or self.max_batch < 1:
            raise ValueError(f"operator `{self.name}`: concurrency and max_batch must be at least 1")
        for side, decls in (("input", self.inputs), ("output", self.outputs)):
            for name, decl in decls.items():
                if not FIELD.match(name):
                    raise ValueError(f"operator `{self.name}` {side} field `{name}` must match {FIELD.pattern}")
                if not isinstance(decl, Field):
                    raise TypeError(f"operator `{self.name}` {side} field `{name}` must be declared with field(), blob() or blob_ref()")

    @property
    def is_async(self) -> bool:
        fn = self.handler or self.batch_handler
        return inspect.iscoroutinefunction(fn)

    @property
    def batch_native(self) -> bool:
        return self.batch_handler is not None


class Registry:
    """Operators by name. Registering a name twice raises."""

    def __init__(self) -> None:
        self._ops: Dict[str, Operator] = {}

    def add(self, op: Operator) -> Operator:
        if op.name in self._ops:
            raise ValueError(f"operator `{op.name}` is already registered")
        self._ops[op.name] = op
        return op

    def operator(self, name: str, *, version: str, inputs: Mapping[str, Field], outputs: Mapping[str, Field], **options: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Decorator: register `fn(inputs, ctx) -> outputs` (sync or async) as operator `name`."""

        def register(fn: Callable[..., Any]) -> Callable[..., Any]:
            self.add(Operator(name=name, version=version, inputs=dict(inputs), outputs=dict(outputs), handler=fn, **options))
            return fn

        return register

    def batch_operator(self, name: str, *, version: str, inputs: Mapping[str, Field], outputs: Mapping[str, Field], **options: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Decorator: register `fn(items, batch) -> [outputs | Exception]`, one result per item in order."""
        options.setdefault("concurrency", 1)

        def register(fn: Callable[..., Any]) -> Callable[..., Any]:
            self.add(Operator(name=name, version=version, inputs=dict(inputs), outputs=dict(outputs), batch_handler=fn, **options))
            return fn

        return register

    def get(self, name: str) -> Optional[Operator]:
        return self._ops.get(name)

    def names(self) -> list[str]:
        return list(self._ops)

    def __iter__(self) -> Iterator[Operator]:
        return iter(self._ops.values())

    def __len__(self) -> int:
        return len(self._ops)
