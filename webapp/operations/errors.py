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
