"""Quarry operators in Python: a plain function with declared fields, served over gRPC.

    from quarry_operator import Registry, field, serve

    registry = Registry()

    @registry.operator("upper", version="1.0.0", inputs={"text": field(str)}, outputs={"upper": field(str)})
    def upper(inputs, ctx):
        return {"upper": inputs["text"].upper()}

    if __name__ == "__main__":
        serve(registry)   # --port, --capacity, --tls-*, --token; SIGTERM drains
"""
from .cli import parse_options, serve, serve_async
from .context import Batch, Child, Context, Item, TriggerInfo
from .errors import Backpressure, Filtered, NonRetryable, OperatorError, RetryLater
from .fields import Field, blob, blob_ref, field
from .registry import Operator, Registry
from .server import OperatorServer, ServeOptions, start_server

__all__ = [
    "Backpressure", "Batch", "Child", "Context", "Field", "Filtered", "Item", "NonRetryable", "Operator", "OperatorError",
    "OperatorServer", "Registry", "RetryLater", "ServeOptions", "TriggerInfo", "blob", "blob_ref", "field", "parse_options",
    "serve", "serve_async", "start_server",
]
