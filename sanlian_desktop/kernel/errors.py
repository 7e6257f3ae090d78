"""Errors that carry a message for the user, in Chinese first and English after it."""

from __future__ import annotations

from dataclasses import dataclass


class UserError(Exception):
    """A refused action or bad input: shown to the user as one clear line, never as a traceback."""

    def __init__(self, zh: str, en: str = "") -> None:
        super().__init__(zh)
        self.zh = zh
        self.en = en

    def line(self) -> str:
        """The one-line message for the command line: Chinese, then English."""
        return f"{self.zh} / {self.en}" if self.en else self.zh

    def __str__(self) -> str:
        return self.line()


class NotFound(UserError):
    """The named record does not exist here."""


class PermissionDenied(UserError):
    """The signed-in user's role or office may not do this."""


@dataclass(frozen=True)
class FieldError:
    """One failed validation rule: the field's key path, its label on the form and the message."""

    field: str
    label: str
    message: str

    def line(self) -> str:
        return f"{self.label}：{self.message}"


class ValidationFailed(UserError):
    """The declaration (or another record) broke one or more validation rules."""

    def __init__(self, errors: list[FieldError]) -> None:
        self.errors = errors
        first = errors[0].line() if errors else ""
        more = f"（另有 {len(errors) - 1} 处问题）" if len(errors) > 1 else ""
        super().__init__(
            f"填写有误：{first}{more}",
            f"validation failed on '{errors[0].field}'" + (f" and {len(errors) - 1} more" if len(errors) > 1 else ""),
        )
