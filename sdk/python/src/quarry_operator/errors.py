"""What a handler raises to end an item other than OK; each maps to the proto's error codes."""
from __future__ import annotations


class OperatorError(Exception):
    """Base class; `status` and `code` are what the item is answered with."""

    status = "FAILED"
    code = "INTERNAL"

    def __init__(self, message: str = "", *, retry_after_ms: int = 0, code: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.retry_after_ms = retry_after_ms
        if code:  # a more specific code than the class's (e.g. IMAGE_UNDECODABLE for a NonRetryable)
            self.code = code


class Filtered(OperatorError):
    """The item is intentionally dropped, with a reason (status FILTERED)."""

    status = "FILTERED"
    code = "FILTERED"

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.detail = detail


class RetryLater(OperatorError):
    """Transient: try the item again after `retry_after_ms` (status RETRY, RETRY_LATER)."""

    status = "RETRY"
    code = "RETRY_LATER"

    def __init__(self, message: str = "retry later", retry_after_ms: int = 1000, code: str = "") -> None:
        super().__init__(message, retry_after_ms=retry_after_ms, code=code)


class Backpressure(OperatorError):
    """Saturated (e.g. a dependency pushes back): an item-level RESOURCE_EXHAUSTED (status RETRY)."""

    status = "RETRY"
    code = "BACKPRESSURE"


class NonRetryable(OperatorError):
    """The item can never succeed (status FAILED, NON_RETRYABLE): dead-letter it."""

    code = "NON_RETRYABLE"


class InputInvalid(OperatorError):
    code = "INPUT_INVALID"


class InputTooLarge(OperatorError):
    code = "INPUT_TOO_LARGE"


class OutputInvalid(OperatorError):
    code = "OUTPUT_INVALID"


class DeadlineExceeded(OperatorError):
    status = "RETRY"
    code = "DEADLINE_EXCEEDED"
