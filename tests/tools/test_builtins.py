"""The built-in tools: get_current_time, calculate and convert_units."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest

from tuichat.tools.builtin.calc import calculate
from tuichat.tools.builtin.time import get_current_time
from tuichat.tools.builtin.units import convert_units

# --- get_current_time -------------------------------------------------------------------------


def test_current_time_in_seoul() -> None:
    before = datetime.now(UTC)
    result = get_current_time("Asia/Seoul")
    after = datetime.now(UTC)

    assert result["timezone"] == "Asia/Seoul"
    assert result["utc_offset"] == "+09:00"  # Korea has no daylight saving time
    assert result["abbreviation"] == "KST"
    moment = datetime.fromisoformat(result["datetime"])
    assert moment.utcoffset() == timedelta(hours=9)
    # Seconds precision: the result is truncated, so allow one second before `before`.
    assert before - timedelta(seconds=1) <= moment <= after
    assert result["weekday"] == moment.strftime("%A")


def test_current_time_forgives_case_and_rejects_unknown_zones() -> None:
    assert get_current_time(" asia/seoul ")["timezone"] == "Asia/Seoul"
    assert get_current_time("UTC")["utc_offset"] == "+00:00"
    with pytest.raises(ValueError, match=r"unknown time zone 'Mars/Base'.*IANA"):
        get_current_time("Mars/Base")
    with pytest.raises(ValueError, match="did you mean 'Asia/Seoul'"):
        get_current_time("Asia/Seol")
    with pytest.raises(ValueError, match="unknown time zone"):
        get_current_time("../../etc/passwd")


# --- calculate ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("2 + 3 * 4", 14),
        ("(2 + 3) * 4", 20),
        ("-2 ** 2", -4),
        ("2 ** 3 ** 2", 512),
        ("7 // 2 + 7 % 3", 4),
        ("7 / 2", 3.5),
        ("sqrt(16) + abs(-3)", 7.0),
        ("round(2.567, 2)", 2.57),
        ("log(8, 2)", 3.0),
        ("floor(e) + ceil(pi)", 6),
    ],
)
def test_calculate_precedence_and_functions(expression: str, expected: float) -> None:
    assert calculate(expression) == pytest.approx(expected)


def test_calculate_keeps_integers_exact() -> None:
    result = calculate("2 ** 100 + 1")
    assert result == 2**100 + 1
    assert isinstance(result, int)
    assert calculate("sin(pi / 2)") == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("__import__('os')", "unknown function '__import__'"),
        ("().__class__", "attribute access is not allowed"),
        ("math.sqrt(4)", "attribute access is not allowed"),
        ("'a' * 3", "only real numbers"),
        ("x + 1", "unknown name 'x'"),
        ("sqrt", "is a function"),
        ("2 ^ 3", "use '\\*\\*' for powers"),
        ("1 / 0", "division by zero"),
        ("sqrt(-1)", "math domain error"),
        ("1 < 2", "Compare is not allowed"),
        ("(lambda: 1)()", "only the listed math functions"),
        ("sqrt(x=4)", "positional arguments only"),
        ("1 +", "invalid expression"),
        ("", "empty"),
    ],
)
def test_calculate_rejects(expression: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        calculate(expression)


def test_calculate_refuses_huge_powers_quickly() -> None:
    # In a child process with a time limit: if the guard were missing, 9**9**9 would run for
    # hours, and the test must fail rather than hang.
    script = (
        "from tuichat.tools.builtin.calc import calculate\n"
        "for expression in ['9**9**9', '2**100000', '10**10**10', '(2**9999) * (2**9999)',"
        " '(10**3000) ** 2']:\n"
        "    try:\n"
        "        calculate(expression)\n"
        "    except ValueError as exc:\n"
        "        assert 'too large' in str(exc), exc\n"
        "    else:\n"
        "        raise SystemExit(f'{expression} was accepted')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=30, check=False
    )
    assert done.returncode == 0, done.stderr or done.stdout


# --- convert_units ------------------------------------------------------------------------------


def test_convert_units() -> None:
    assert convert_units(1, "mi", "km") == pytest.approx(1.609344)
    assert convert_units(12, "inches", "Feet") == pytest.approx(1.0)
    assert convert_units(1, "lb", "g") == pytest.approx(453.59237)
    assert convert_units(100, "celsius", "F") == pytest.approx(212.0)
    assert convert_units(-40, "°F", "C") == pytest.approx(-40.0)
    assert convert_units(0, "K", "C") == pytest.approx(-273.15)
    with pytest.raises(ValueError, match="cannot convert length"):
        convert_units(1, "m", "kg")
    with pytest.raises(ValueError, match="unknown unit 'parsec'"):
        convert_units(1, "parsec", "m")
    with pytest.raises(ValueError, match="below absolute zero"):
        convert_units(-300, "C", "K")
