package operator

import (
	"errors"
	"fmt"
	"time"
)

// Status is an item's outcome on the wire.
type Status string

const (
	StatusOK       Status = "OK"
	StatusFiltered Status = "FILTERED"
	StatusRetry    Status = "RETRY"
	StatusFailed   Status = "FAILED"
)

// Error ends an item other than OK; the SDK answers with its status and code (proto/quarry.proto
// documents the codes). Any other error a handler returns is FAILED / INTERNAL.
type Error struct {
	Status     Status
	Code       string
	Message    string
	RetryAfter time.Duration
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Filtered drops the item intentionally, with a reason (status FILTERED).
func Filtered(reason string) error {
	return &Error{Status: StatusFiltered, Code: "FILTERED", Message: reason}
}

// RetryLater asks for the item to be tried again after `after` (status RETRY, RETRY_LATER).
func RetryLater(message string, after time.Duration) error {
	return &Error{Status: StatusRetry, Code: "RETRY_LATER", Message: message, RetryAfter: after}
}

// Backpressure says the operator (or what it depends on) is saturated: RETRY / BACKPRESSURE.
func Backpressure(message string) error {
	return &Error{Status: StatusRetry, Code: "BACKPRESSURE", Message: message}
}

// NonRetryable says the item can never succeed (status FAILED, NON_RETRYABLE): dead-letter it.
func NonRetryable(format string, args ...any) error {
	return &Error{Status: StatusFailed, Code: "NON_RETRYABLE", Message: fmt.Sprintf(format, args...)}
}

// WithCode is NonRetryable with a more specific code (e.g. IMAGE_UNDECODABLE).
func WithCode(code, format string, args ...any) error {
	return &Error{Status: StatusFailed, Code: code, Message: fmt.Sprintf(format, args...)}
}

func inputInvalid(format string, args ...any) *Error {
	return &Error{Status: StatusFailed, Code: "INPUT_INVALID", Message: fmt.Sprintf(format, args...)}
}

func deadlineExceeded(format string, args ...any) *Error {
	return &Error{Status: StatusRetry, Code: "DEADLINE_EXCEEDED", Message: fmt.Sprintf(format, args...)}
}

// toError maps whatever a handler returned to the item's answer.
func toError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	if errors.Is(err, errDeadline) || errors.Is(err, contextDeadline) {
		return deadlineExceeded("%v", err)
	}
	return &Error{Status: StatusFailed, Code: "INTERNAL", Message: err.Error()}
}

var errDeadline = errors.New("the item's deadline passed")
