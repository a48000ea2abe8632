"""One JSON error shape for /api/v1: {"error": {"code", "message"}}."""

from __future__ import annotations

from flask import Blueprint, jsonify
from pydantic import BaseModel, Field
from werkzeug.exceptions import HTTPException

from orders.errors import DomainError


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


class ErrorDetail(BaseModel):
    code: str = Field(examples=["missing_field"])
    message: str


class ErrorOut(BaseModel):
    """Every error: a stable code to branch on and a message for people."""

    error: ErrorDetail


def error_response(status: int, code: str, message: str):  # type: ignore[no-untyped-def]
    answer = ErrorOut(error=ErrorDetail(code=code, message=message))
    return jsonify(answer.model_dump(mode="json")), status


def register_error_handlers(bp: Blueprint) -> None:
    @bp.errorhandler(ApiError)
    def _api_error(exc: ApiError):  # type: ignore[no-untyped-def]
        return error_response(exc.status, exc.code, exc.message)

    @bp.errorhandler(DomainError)
    def _domain_error(exc: DomainError):  # type: ignore[no-untyped-def]
        return error_response(exc.http_status, exc.code, exc.message)

    @bp.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):  # type: ignore[no-untyped-def]
        code = (exc.name or "error").lower().replace(" ", "_")
        return error_response(exc.code or 500, code, exc.description or exc.name)
