"""Helpers shared by the spreadsheet tests (a module of its own so tests can import it by name)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

from sanlian_desktop.errors import FieldError
from sanlian_desktop.spreadsheets.columns import COLUMNS, get_path
from sanlian_desktop.spreadsheets.template import cell_value

Fill = Callable[..., Path]


def example_cells(declaration: dict[str, Any]) -> dict[str, Any]:
    """Header → cell value, as a clerk would type the declaration into the template."""
    return {col.header: cell_value(col, get_path(declaration, col.key)) for col in COLUMNS}


def simple_validator(data: dict[str, Any]) -> list[FieldError]:
    """A stand-in for the core's validator: a few rules of the real form."""
    errors = []
    if not data["title"]:
        errors.append(FieldError("title", "项目名称", "不能为空"))
    for idx, entry in enumerate(data["funding_sources"]):
        if entry["source"] is None:
            message = "填写了金额，但没有选择来源"
            errors.append(FieldError(f"funding_sources.{idx}.source", "资金来源", message))
    amounts = [Decimal(e["amount"]) for e in data["funding_sources"] if e["amount"]]
    if data["budget_total"] and amounts and sum(amounts) != Decimal(data["budget_total"]):
        errors.append(FieldError("funding_sources", "资金需求和来源", "各项资金合计不等于项目总预算"))
    return errors
