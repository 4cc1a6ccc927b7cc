"""Errors the operations layer raises; views turn them into pages and API responses."""

from __future__ import annotations


class OperationError(Exception):
    status = 400

    def __init__(self, message: str, errors: dict[str, list[str]] | None = None):
        super().__init__(message)
        self.message = message
        self.errors = errors or {}


class Forbidden(OperationError):
    status = 403


class NotFound(OperationError):
    status = 404


class Conflict(OperationError):
    status = 409


class Invalid(OperationError):
    status = 422


class StepFailed(Invalid):
    """A diagram step failed (ProcessRuntimeError): nothing of the act was kept but the error record `error_id`
    (webapp/operations/process_errors.py), which designers see on the errors page."""

    def __init__(self, message: str, error_id: int | None):
        super().__init__(message)
        self.error_id = error_id
