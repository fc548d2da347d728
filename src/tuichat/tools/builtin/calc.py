"""The `calculate` tool: exact arithmetic, because models are unreliable at it.

The expression is parsed with `ast` and evaluated by walking a whitelist of node types, never
with `eval`: the model's text is untrusted input. Integer results are capped in size so an
expression such as `9**9**9` is refused at once instead of hanging the worker thread.
"""

from __future__ import annotations

import ast
import math
import operator
from collections.abc import Callable
from typing import Any

Number = int | float

# Longer expressions are not arithmetic a model needs; the cap also bounds parse time.
MAX_EXPRESSION_LENGTH = 2000
# The largest exponent accepted for an integer power (the brief's bound on `**`).
MAX_EXPONENT = 10_000
# The largest integer (in bits) any step may produce, about 3000 decimal digits: well below
# Python's 4300-digit str() limit, so every accepted result can be serialised.
MAX_INT_BITS = 10_000

_BINARY_OPERATORS: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}
_UNARY_OPERATORS: dict[type[ast.unaryop], Callable[[Any], Any]] = {
    ast.USub: operator.neg,
    ast.UAdd: operator.pos,
}
# Explanations for operators people expect from other calculators.
_OPERATOR_HINTS: dict[type[ast.AST], str] = {
    ast.BitXor: "'^' is not supported; use '**' for powers",
    ast.BitAnd: "'&' is not supported",
    ast.BitOr: "'|' is not supported",
    ast.LShift: "'<<' is not supported",
    ast.RShift: "'>>' is not supported",
    ast.MatMult: "'@' is not supported",
    ast.Invert: "'~' is not supported",
    ast.Not: "'not' is not supported",
}

_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "sqrt": math.sqrt,
    "sin": math.sin,
    "cos": math.cos,
    "tan": math.tan,
    "asin": math.asin,
    "acos": math.acos,
    "atan": math.atan,
    "log": math.log,  # log(x) is natural, log(x, base) any base
    "log10": math.log10,
    "log2": math.log2,
    "exp": math.exp,
    "abs": abs,
    "round": round,
    "floor": math.floor,
    "ceil": math.ceil,
}
_CONSTANTS: dict[str, float] = {"pi": math.pi, "e": math.e, "tau": math.tau}


def _check_size(value: Any) -> Number:
    """Refuse non-numbers and integers too large to be useful (or to print)."""
    match value:
        case bool() | complex():
            # (-8) ** (1/3) is complex in Python; the tool promises real numbers.
            raise ValueError(f"the result {value!r} is not a real number")
        case int() if value.bit_length() > MAX_INT_BITS:
            raise ValueError("result is too large (more than about 3000 digits)")
        case int() | float():
            return value
        case _:
            raise ValueError(f"unexpected non-numeric value {value!r}")


def _power(base: Number, exponent: Number) -> Any:
    """`base ** exponent`, refusing integer powers that would be enormous before computing them."""
    if type(base) is int and type(exponent) is int:
        if exponent > MAX_EXPONENT:
            raise ValueError(f"exponent {exponent} is too large (at most {MAX_EXPONENT})")
        # |base|**exponent has about exponent * bit_length(base) bits; check before computing,
        # since computing is exactly what can take forever.
        if abs(base) > 1 and exponent > 0 and exponent * base.bit_length() > MAX_INT_BITS + 64:
            raise ValueError("result is too large (more than about 3000 digits)")
    return base**exponent


def _unsupported(op: ast.AST) -> ValueError:
    """The error for an operator outside the whitelist, with a hint where one helps."""
    hint = _OPERATOR_HINTS.get(type(op))
    return ValueError(hint or f"operator {type(op).__name__} is not supported")


def _evaluate(node: ast.AST) -> Number:
    """Evaluate one whitelisted node; anything else raises ValueError naming what was refused."""
    match node:
        case ast.Expression(body=body):
            return _evaluate(body)
        case ast.Constant(value=bool() | str() | bytes() | complex() | None as value):
            raise ValueError(f"only real numbers are allowed, not {value!r}")
        case ast.Constant(value=value):
            return _check_size(value)
        case ast.BinOp(left=left, op=op, right=right):
            function = _BINARY_OPERATORS.get(type(op))
            if function is None:
                raise _unsupported(op)
            a, b = _evaluate(left), _evaluate(right)
            try:
                return _check_size(_power(a, b) if type(op) is ast.Pow else function(a, b))
            except ZeroDivisionError:
                raise ValueError("division by zero") from None
            except OverflowError:
                raise ValueError("result is too large") from None
        case ast.UnaryOp(op=op, operand=operand):
            unary = _UNARY_OPERATORS.get(type(op))
            if unary is None:
                raise _unsupported(op)
            return _check_size(unary(_evaluate(operand)))
        case ast.Name(id=name) if name in _CONSTANTS:
            return _CONSTANTS[name]
        case ast.Name(id=name) if name in _FUNCTIONS:
            raise ValueError(f"{name} is a function; call it, e.g. {name}(2)")
        case ast.Name(id=name):
            raise ValueError(f"unknown name {name!r}; constants: {', '.join(_CONSTANTS)}")
        case ast.Call():
            return _call(node)
        case ast.Attribute():
            raise ValueError("attribute access is not allowed")
        case _:
            raise ValueError(f"{type(node).__name__} is not allowed in an arithmetic expression")


def _call(node: ast.Call) -> Number:
    """Evaluate a call to a whitelisted function with positional numeric arguments."""
    match node.func:
        case ast.Name(id=name) if name in _FUNCTIONS:
            function = _FUNCTIONS[name]
        case ast.Name(id=name):
            raise ValueError(f"unknown function {name!r}; allowed: {', '.join(_FUNCTIONS)}")
        case ast.Attribute():
            # Models write math.sqrt(2) out of habit; tell them the plain name works.
            raise ValueError(
                "attribute access is not allowed; call functions by name, e.g. sqrt(2)"
            )
        case _:
            raise ValueError("only the listed math functions can be called")
    if node.keywords or any(isinstance(arg, ast.Starred) for arg in node.args):
        raise ValueError(f"{name}() takes positional arguments only")
    args = [_evaluate(arg) for arg in node.args]
    try:
        return _check_size(function(*args))
    except TypeError as exc:  # wrong number of arguments
        raise ValueError(f"{name}(): {exc}") from None
    except (ValueError, OverflowError) as exc:  # math domain error, float overflow
        raise ValueError(f"{name}({', '.join(map(str, args))}): {exc}") from None


def calculate(expression: str) -> float | int:
    """Evaluate an arithmetic expression exactly and return its numeric value.

    Supports numbers, + - * / // % ** (power), parentheses, the constants pi, e and tau, and the
    functions sqrt, sin, cos, tan, asin, acos, atan, log (natural, or log(x, base)), log10, log2,
    exp, abs, round, floor and ceil. Angles are in radians.

    Args:
        expression: The expression, e.g. '2 * (3 + 4) ** 2' or 'sqrt(2) * sin(pi / 4)'.

    Returns:
        The value: an integer when the arithmetic is exact in integers, otherwise a float.

    Raises:
        ValueError: If the expression is malformed, uses anything but the listed operations,
            divides by zero, or its result would be too large.
    """
    text = expression.strip()
    if not text:
        raise ValueError("the expression is empty")
    if len(text) > MAX_EXPRESSION_LENGTH:
        raise ValueError(f"the expression is longer than {MAX_EXPRESSION_LENGTH} characters")
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as exc:
        raise ValueError(f"invalid expression: {exc.msg}") from None
    except (RecursionError, MemoryError):
        raise ValueError("the expression is nested too deeply") from None
    try:
        result = _evaluate(tree)
    except RecursionError:
        raise ValueError("the expression is nested too deeply") from None
    if isinstance(result, float) and not math.isfinite(result):
        raise ValueError("the result is not a finite number")
    return result
