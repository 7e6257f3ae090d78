from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sanlian_desktop.kernel.checks import credit_code_check_char, credit_code_problem, phone_problem
from sanlian_desktop.kernel.money import MoneyError, capital_numerals, from_fen, parse_money, to_fen


@pytest.mark.parametrize(
    ("amount", "text"),
    [
        ("50000", "人民币伍万元整"),
        ("12000", "人民币壹万贰仟元整"),
        ("80000.00", "人民币捌万元整"),
        ("100010", "人民币壹拾万零壹拾元整"),
        ("1005000.5", "人民币壹佰万零伍仟元伍角整"),
        ("0.05", "人民币伍分"),
        ("10.07", "人民币壹拾元零柒分"),
        ("100000000", "人民币壹亿元整"),
        ("0", "人民币零元整"),
        ("3000.30", "人民币叁仟元叁角整"),
        ("20300", "人民币贰万零叁佰元整"),
        ("100000001", "人民币壹亿零壹元整"),
    ],
)
def test_capital_numerals(amount: str, text: str) -> None:
    assert capital_numerals(Decimal(amount)) == text


@pytest.mark.parametrize("bad", ["abc", "1.234", "", "--1", 1.5, True, "1e400", "NaN", "Infinity"])
def test_parse_money_refuses(bad: object) -> None:
    with pytest.raises(MoneyError):
        parse_money(bad)


def test_parse_money_forms() -> None:
    assert parse_money("80,000.00") == Decimal("80000.00")
    assert parse_money("8万") == Decimal("80000.00")
    assert parse_money("￥1,200元") == Decimal("1200.00")
    assert parse_money(50000) == Decimal("50000.00")


@given(st.integers(min_value=0, max_value=10**12))
def test_fen_round_trip(fen: int) -> None:
    assert to_fen(from_fen(fen)) == fen


def test_credit_code() -> None:
    assert credit_code_problem("52620102MJ0000123U") is None
    assert "校验码" in (credit_code_problem("52620102MJ0000123A") or "")
    assert "18位" in (credit_code_problem("5262") or "")
    assert "不允许" in (credit_code_problem("52620102MJ000012IU") or "")
    # The standard's own worked example.
    assert credit_code_check_char("91350100M000100Y4") == "3"


@pytest.mark.parametrize("good", ["0931-8812345", "13912345678", "09318812345", "(0931)8812345", "0931-8812345-801"])
def test_phone_ok(good: str) -> None:
    assert phone_problem(good) is None


@pytest.mark.parametrize("bad", ["12345", "8812345", "1391234567", "abc", "23912345678"])
def test_phone_bad(bad: str) -> None:
    assert phone_problem(bad) is not None


@given(st.from_regex(r"[0-9]{1,13}(\.[0-9]{0,3})?", fullmatch=True))
def test_plain_amounts_read_the_same_on_the_quick_path_as_on_the_full_one(text: str) -> None:
    """Plain amounts take a short path; a leading space sends the same text the whole way."""
    try:
        quick: object = parse_money(text)
    except MoneyError as exc:
        quick = str(exc).replace(text, "")
    try:
        full: object = parse_money(" " + text)
    except MoneyError as exc:
        full = str(exc).replace(" " + text, "")
    assert quick == full
