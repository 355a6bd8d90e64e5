"""The CEL engine (cel-python) behind one small API, so it can be swapped.

- :func:`compile_expression` parses an expression once per process (cached, and its
  syntax tree kept on disk for later runs) and raises :class:`CelSyntaxError` when
  it is not valid CEL.
- :func:`evaluate` runs an expression against named variables and returns plain
  Python values (``bool``, ``int``, ``float``, ``str``, ``bytes``, ``list``,
  ``dict``, ``datetime``, ``timedelta``, ``None``); a runtime problem (missing
  key, type mismatch, bad input to a function) raises :class:`CelEvaluationError`.
- :func:`free_names` lists the variables an expression refers to;
  :meth:`Program.functions` and :meth:`Program.keys_read` what it calls and reads
  (for the validator), checked against :func:`known_functions`.

Besides standard CEL, expressions may call ``parse_json``, ``parse_yaml``,
``b64decode`` and ``b64encode``. Variables may be any JSON-like Python data; a
``Mapping`` that is not a ``dict`` is read lazily (only the keys an expression
touches are fetched), which keeps directory contexts cheap.

cel-python is not documented as thread-safe, so compiling and evaluating share
one lock; each evaluation takes about a millisecond.

Every evaluation has a budget, as Kubernetes gives CEL in the API server: at most
:data:`MAX_COST` steps (one per node of the expression evaluated, macro bodies once
per element, plus one per :data:`BYTES_PER_COST` characters, bytes or items built by
``+``), :data:`MAX_SECONDS` of wall-clock time, and no single value built larger
than :data:`MAX_VALUE_SIZE`. An expression over its budget raises
:class:`CelBudgetError` (never a value a ``||`` could hide), so one hostile rule
(nested comprehensions, ``parse_yaml`` alias bombs, ever-growing strings) costs that
rule only. ``parse_json`` and ``parse_yaml`` parse within :mod:`netchecks_core.limits`.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import functools
import hashlib
import operator
import os
import pickle
import re
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import celpy
import lark
from celpy import celparser, celtypes
from celpy.celparser import CELParseError, CELParser
from celpy.evaluation import CELEvalError, CELUnsupportedError, Evaluator

from netchecks_core.cel_native import NotNativeError, evaluate_native
from netchecks_core.errors import NetchecksError
from netchecks_core.limits import DataLimitError, check_shape, load_json, load_yaml

__all__ = [
    "MAX_COST",
    "MAX_SECONDS",
    "MAX_VALUE_SIZE",
    "CelBudgetError",
    "CelError",
    "CelEvaluationError",
    "CelSyntaxError",
    "Program",
    "compile_expression",
    "evaluate",
    "free_names",
    "known_functions",
    "to_cel",
    "to_python",
]


class CelError(NetchecksError):
    """Base of the CEL errors; ``expression`` is the CEL text concerned."""

    def __init__(self, expression: str, message: str) -> None:
        super().__init__(message)
        self.expression = expression
        self.message = message


class CelSyntaxError(CelError):
    """The text is not a valid CEL expression (a mistake in the config)."""

    def __init__(self, expression: str, message: str, line: int | None, column: int | None):
        super().__init__(expression, message)
        self.line = line
        self.column = column


class CelEvaluationError(CelError):
    """A valid expression could not be evaluated against the given variables."""

    @property
    def missing_key(self) -> str | None:
        """The key a lookup did not find, when that is what stopped the evaluation."""
        match = _MISSING_KEY_RE.fullmatch(self.message)
        return match.group(1) if match else None


_MISSING_KEY_RE = re.compile(r"no such (?:member in mapping|key): '([^']*)'")


class CelBudgetError(CelEvaluationError):
    """The evaluation went over its cost, time or size budget (and was stopped)."""


#: Steps an evaluation may take (Kubernetes' per-expression runtime cost limit).
MAX_COST = 1_000_000
#: Characters (bytes, list items) built by ``+`` that count as one step.
BYTES_PER_COST = 16
#: Wall-clock seconds an evaluation may take.
MAX_SECONDS = 1.0
#: Largest string, bytes or list one operation may build (characters, bytes or items).
MAX_VALUE_SIZE = 8 * 1024 * 1024


class _OverBudget(BaseException):
    """Unwinds an evaluation through cel-python, which turns ``Exception``s into values."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class _Budget:
    """What the evaluation in progress (one at a time, under the lock) may still spend."""

    def __init__(self, cost: int, seconds: float) -> None:
        self.cost = cost
        self.limit = cost
        self.seconds = seconds
        self.until = time.monotonic() + seconds

    def charge(self, steps: int) -> None:
        self.cost -= steps
        if self.cost < 0:
            raise _OverBudget(f"the expression went over its cost budget of {self.limit} steps")
        if time.monotonic() > self.until:
            raise _OverBudget(f"the expression took longer than {self.seconds:.2g} s")


_BUDGET = _Budget(MAX_COST, MAX_SECONDS)


class _BudgetedEvaluator(Evaluator):
    """cel-python's evaluator, charging each node it visits to the current budget."""

    def _visit_tree(self, tree: lark.Tree[Any]) -> Any:
        _BUDGET.charge(1)
        return super()._visit_tree(tree)

    def sub_evaluator(self, ast: lark.Tree[Any]) -> Evaluator:
        return _BudgetedEvaluator(ast, activation=self.activation)


class _BudgetedRunner(celpy.InterpretedRunner):
    """cel-python's runner with the budget; the activation of its functions built once.

    cel-python builds that activation (the environment's annotations and functions) on
    every evaluation, a third of a short expression's cost. Its evaluator only clones it
    to add the variables (``Evaluator.set_activation``), never changes it, so one per
    program serves every evaluation (they run one at a time: see ``_LOCK``).
    """

    _base: Any = None

    def evaluate(self, context: Any) -> Any:
        if not context:  # without variables the evaluator would use the activation itself
            return _BudgetedEvaluator(ast=self.ast, activation=self.new_activation()).evaluate(
                context
            )
        if self._base is None:
            self._base = self.new_activation()
        return _BudgetedEvaluator(ast=self.ast, activation=self._base).evaluate(context)


def _bounded_add(left: Any, right: Any) -> Any:
    if isinstance(left, str | bytes | list) and isinstance(right, str | bytes | list):
        size = len(left) + len(right)
        if size > MAX_VALUE_SIZE:
            raise _OverBudget(f"the expression builds a value over {MAX_VALUE_SIZE} long")
        _BUDGET.charge(size // BYTES_PER_COST)
    return operator.add(left, right)


#: Names that CEL itself resolves (type names), so they are not free variables.
_BUILTIN_NAMES = frozenset(
    {"int", "uint", "double", "bool", "string", "bytes", "list", "map", "null_type", "type"}
)
#: Macros whose first argument binds a variable: ``list.map(x, x * 2)``.
_MACROS = frozenset({"all", "exists", "exists_one", "map", "filter"})


class Program:
    """A compiled expression, ready to be evaluated many times."""

    def __init__(self, expression: str, runner: celpy.Runner, ast: lark.Tree[Any]) -> None:
        self.expression = expression
        self._runner = runner
        self._ast = ast

    def __repr__(self) -> str:
        return f"Program({self.expression!r})"

    def evaluate(
        self, variables: Mapping[str, Any], cost: int = MAX_COST, seconds: float = MAX_SECONDS
    ) -> Any:
        """The value of the expression for these variables, as plain Python.

        Raises:
            CelEvaluationError: the expression failed at run time.
            CelBudgetError: it went over ``cost`` steps or ``seconds`` (see the module).
        """
        global _BUDGET  # one evaluation at a time: the lock is held
        try:
            return evaluate_native(self.expression, variables)
        except NotNativeError:
            pass  # cel-python decides (and words any error)
        with _LOCK:
            activation = {name: to_cel(value) for name, value in variables.items()}
            _BUDGET = _Budget(cost, seconds)
            try:
                result = self._runner.evaluate(activation)
            except _OverBudget as error:
                raise CelBudgetError(self.expression, error.message) from None
            except CELEvalError as error:
                raise CelEvaluationError(self.expression, _eval_message(error)) from None
            except (CELParseError, CELUnsupportedError) as error:
                raise CelEvaluationError(self.expression, str(error)) from None
            except (TypeError, ValueError, KeyError, ArithmeticError, RecursionError) as error:
                # cel-python lets some Python errors escape from its operators.
                message = f"{type(error).__name__}: {error}"
                raise CelEvaluationError(self.expression, message) from None
            if isinstance(result, CELEvalError):
                raise CelEvaluationError(self.expression, _eval_message(result))
            try:
                check_shape(result)  # a value built of shared parts may be huge unshared
            except DataLimitError as error:
                raise CelBudgetError(self.expression, f"the result is too big: {error}") from None
            return to_python(result)

    def free_names(self) -> set[str]:
        """Variables the expression refers to (not the ones its macros bind)."""
        used: set[str] = set()
        bound: set[str] = set()
        for node in self._ast.iter_subtrees():
            if node.data == "ident":
                used.update(str(child) for child in node.children)
            elif node.data == "member_dot_arg" and len(node.children) == 3:
                method, args = node.children[1], node.children[2]
                if str(method) in _MACROS and isinstance(args, lark.Tree) and args.children:
                    first = args.children[0]
                    if isinstance(first, lark.Tree):
                        bound.update(
                            str(c)
                            for sub in first.iter_subtrees()
                            if sub.data == "ident"
                            for c in sub.children
                        )
        return used - bound - _BUILTIN_NAMES

    def functions(self) -> set[str]:
        """Functions and methods the expression calls (macros such as ``has`` included)."""
        called: set[str] = set()
        for node in self._ast.iter_subtrees():
            if node.data in ("ident_arg", "dot_ident_arg"):
                called.add(str(node.children[0]))
            elif node.data == "member_dot_arg":
                called.add(str(node.children[1]))
        return called

    def keys_read(self, variable: str) -> set[str]:
        """Keys read from ``variable`` itself: ``variable.key`` and ``variable['key']``.

        Only literal keys count (``variable[k]`` with a computed ``k`` is not known
        before evaluation).
        """
        keys: set[str] = set()
        for node in self._ast.iter_subtrees():
            if node.data not in ("member_dot", "member_index") or len(node.children) != 2:
                continue
            target, selector = node.children
            if _leaf(target, "ident") != variable:
                continue
            if node.data == "member_dot":
                keys.add(str(selector))
            elif (literal := _string_literal(_leaf(selector, "literal"))) is not None:
                keys.add(literal)
        return keys


def _leaf(node: Any, kind: str) -> str | None:
    """The token under a chain of single-child nodes ending in a ``kind`` node, if any."""
    while isinstance(node, lark.Tree) and len(node.children) == 1:
        if node.data == kind:
            return str(node.children[0])
        node = node.children[0]
    return None


_STRING_RE = re.compile(r"""^(['"])([^'"\\]*)\1$""")


def _string_literal(token: str | None) -> str | None:
    match = _STRING_RE.match(token or "")
    return match.group(2) if match else None


def known_functions() -> frozenset[str]:
    """Every function and method name an expression may call."""
    from celpy.evaluation import base_functions

    standard = {n for n in base_functions if n.isidentifier() and not n.startswith("_")}
    return frozenset(standard | _MACRO_FUNCTIONS | set(_FUNCTIONS))


#: Names celpy handles as macros rather than functions (``reduce``/``min`` are celpy's own).
_MACRO_FUNCTIONS = frozenset({"has", "dyn"}) | _MACROS | {"reduce", "min"}


_LOCK = threading.RLock()
_ENVIRONMENT: celpy.Environment | None = None
_PROGRAMS: dict[str, Program] = {}


def _environment() -> celpy.Environment:
    global _ENVIRONMENT  # one environment per process, built on first use
    if _ENVIRONMENT is None:
        if CELParser.CEL_PARSER is None:
            # Built only when an expression is not in the syntax tree cache (_cached_ast).
            CELParser.CEL_PARSER = _LazyParser()  # type: ignore[assignment]
        _ENVIRONMENT = celpy.Environment(runner_class=_BudgetedRunner)
    return _ENVIRONMENT


class _LazyParser:
    """cel-python's parser, built on the first :meth:`parse` (:func:`_cel_parser`)."""

    def __init__(self) -> None:
        self._parser: lark.Lark | None = None

    def parse(self, text: str) -> lark.Tree[Any]:
        if self._parser is None:
            self._parser = _cel_parser()
        return self._parser.parse(text)


def _cel_parser() -> lark.Lark:
    """cel-python's parser, with Lark's grammar analysis cached on disk when possible.

    Building the parser takes ~80 ms, loading it from the cache ~4 ms (and compiling its
    lexer ~10 ms more). The options are cel-python's own (``CELParser.__init__``);
    Lark checks the cache against a hash of grammar and options, and carries on
    without it when the cache cannot be read or written (a read-only Pod).
    """
    return lark.Lark(
        _grammar(),
        parser="lalr",
        start="expr",
        debug=True,
        g_regex_flags=re.M,
        lexer_callbacks={"IDENT": CELParser.ambiguous_literals},
        propagate_positions=True,
        maybe_placeholders=False,
        priority="invert",
        tree_class=lark.Tree,
        cache=_cache_file() or False,
    )


def _grammar() -> str:
    return (Path(celpy.__file__).parent / "cel.lark").read_text()


def _cache_directory() -> Path | None:
    """A private cache directory (``$NETCHECKS_CACHE_DIR``, else the user's cache)."""
    base = os.environ.get("NETCHECKS_CACHE_DIR") or os.environ.get("XDG_CACHE_HOME")
    try:
        directory = Path(base) if base else Path.home() / ".cache"
        if not os.environ.get("NETCHECKS_CACHE_DIR"):
            directory = directory / "netchecks"
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    except (OSError, RuntimeError):  # RuntimeError: no home directory (a bare numeric user)
        return None
    return directory


def _cache_file() -> str | None:
    """A private cache file for the parser (in :func:`_cache_directory`)."""
    directory = _cache_directory()
    if directory is None:
        return None
    version = f"{sys.version_info[0]}{sys.version_info[1]}"
    path = directory / f"cel-parser-lark{lark.__version__}-py{version}.cache"
    if path.is_file() and os.access(path, os.R_OK):
        return str(path)  # pre-warmed, e.g. in the probe image, and read-only in the Pod
    if not os.access(directory, os.W_OK | os.R_OK):
        return None
    return str(path)


#: Distinct expressions whose syntax trees are kept on disk; beyond, new ones are not.
MAX_CACHED_TREES = 1000


def _tree_file(expression: str) -> Path | None:
    """Where the syntax tree of ``expression`` is cached (keyed by what the parser is)."""
    directory = _cache_directory()
    if directory is None:
        return None
    try:
        key = f"{_parser_identity()}\0{expression}"
    except OSError:  # cel-python's files cannot be read: no cache, parse as usual
        return None
    return directory / "cel-trees" / f"{hashlib.sha256(key.encode()).hexdigest()}.pickle"


@functools.cache
def _parser_identity() -> str:
    """What the trees the parser builds depend on: the grammar, cel-python's parser, Lark."""
    parser_source = Path(celparser.__file__ or "celparser.py").read_text()
    return f"{_grammar()}\0{parser_source}\0{lark.__version__}\0{sys.version_info[:2]}"


def _cached_ast(path: Path) -> lark.Tree[Any] | None:
    """The syntax tree an earlier run kept at ``path`` (:func:`_tree_file`), if any.

    A run of the same rules (every probe Pod of an assertion) then needs no parser at
    all. The files are pickles in the private cache directory (as Lark's own cache is).
    """
    try:
        # Trusted as Lark's own pickled cache beside it is (the same private directory).
        tree = pickle.loads(path.read_bytes())  # noqa: S301
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ValueError):
        return None
    return tree if isinstance(tree, lark.Tree) else None


def _cache_ast(path: Path, ast: lark.Tree[Any]) -> None:
    """Keep the syntax tree of a valid expression at ``path`` (when the cache is writable)."""
    try:
        path.parent.mkdir(mode=0o700, exist_ok=True)
        if sum(1 for _ in path.parent.iterdir()) >= MAX_CACHED_TREES:
            return
        temporary = path.with_name(f"{path.name}.{os.getpid()}.{threading.get_ident()}")
        temporary.write_bytes(pickle.dumps(ast))
        temporary.replace(path)  # atomic: a reader never sees half a file
    except (OSError, pickle.PicklingError, RecursionError):
        return


def compile_expression(expression: str) -> Program:
    """Compile CEL text (each distinct text once per process).

    Raises:
        CelSyntaxError: the text is not valid CEL (the message points at the spot).
    """
    if not isinstance(expression, str):
        raise CelSyntaxError(str(expression), "a CEL expression must be a string", None, None)
    with _LOCK:
        program = _PROGRAMS.get(expression)
        if program is not None:
            return program
        if not expression.strip():
            raise CelSyntaxError(expression, "the CEL expression is empty", None, None)
        environment = _environment()
        tree_file = _tree_file(expression)
        ast = _cached_ast(tree_file) if tree_file is not None else None
        if ast is None:
            try:
                ast = environment.compile(expression)
            except CELParseError as error:
                raise _syntax_error(expression, error) from None
            if tree_file is not None:
                _cache_ast(tree_file, ast)
        runner = environment.program(ast, functions=_FUNCTIONS)
        program = Program(expression, runner, ast)
        _PROGRAMS[expression] = program
        return program


def evaluate(expression: str, variables: Mapping[str, Any]) -> Any:
    """Compile (cached) and evaluate an expression; the result is plain Python.

    Raises:
        CelSyntaxError: the text is not valid CEL.
        CelEvaluationError: the expression failed at run time (its message says why).
    """
    return compile_expression(expression).evaluate(variables)


def free_names(expression: str) -> set[str]:
    """The variable names an expression refers to (raises :class:`CelSyntaxError`)."""
    return compile_expression(expression).free_names()


def _syntax_error(expression: str, error: CELParseError) -> CelSyntaxError:
    line, column = getattr(error, "line", None), getattr(error, "column", None)
    lines = expression.splitlines() or [""]
    where = f"line {line}, column {column}" if line and column else "somewhere"
    near = ""
    if line and column and 0 < line <= len(lines):
        text = lines[line - 1]
        found = text[column - 1 : column + 9]
        near = f" near {found!r}" if found.strip() else " (the expression ends too early)"
    return CelSyntaxError(expression, f"invalid CEL at {where}{near}", line, column)


_MAX_MESSAGE = 300
_UNDECLARED_RE = re.compile(r"undeclared reference to ('[^']*')")
_TOKEN_RE = re.compile(r"Token\('\w+', '([^']*)'\)")
_CLASS_RE = re.compile(r"<class '(?:celpy\.celtypes\.)?([\w.]+?)(?:Type)?'>")


def _eval_message(error: CELEvalError) -> str:
    text = str(error.args[0]) if error.args else "evaluation failed"
    if text == "no such key" and len(error.args) > 2 and isinstance(error.args[2], tuple):
        # celpy keeps the missing key apart; name it, as users need to know which.
        text += ": " + ", ".join(repr(str(key)) for key in error.args[2])
    # celpy appends a dump of every variable: noise, and it may hold secrets.
    text = text.split(" (in activation", 1)[0]
    text = _UNDECLARED_RE.sub(r"unknown name \1", text)
    text = _TOKEN_RE.sub(r"\1", text)
    text = _CLASS_RE.sub(lambda m: m.group(1).lower(), text)
    return text if len(text) <= _MAX_MESSAGE else text[: _MAX_MESSAGE - 3] + "..."


# --- conversions -------------------------------------------------------------------------


class _LazyMap(celtypes.MapType):
    """A CEL map over a Python mapping (string keys) whose values are converted when read."""

    def __init__(self, source: Mapping[str, Any]) -> None:
        super().__init__()
        self._source = source
        for key in source:
            dict.__setitem__(self, celtypes.StringType(key), _UNREAD)  # type: ignore[misc]

    def __getitem__(self, key: Any) -> Any:
        if not celtypes.MapType.valid_key_type(key):
            raise TypeError(f"unsupported key type: {type(key)}")  # as MapType says it
        value = dict.__getitem__(self, key)
        if value is _UNREAD:
            value = to_cel(self._source[str(key)])
            dict.__setitem__(self, key, value)
        return value

    def get(self, key: Any, default: Any = None) -> Any:
        try:
            return self[key]
        except KeyError:
            return default

    def values(self) -> Any:
        return [self[key] for key in self]

    def items(self) -> Any:
        return [(key, self[key]) for key in self]

    def __iter__(self) -> Iterator[Any]:
        return iter(list(dict.keys(self)))


_UNREAD = object()


def to_cel(value: Any) -> Any:
    """Python data -> CEL values (CEL values pass through unchanged)."""
    if value is None or isinstance(
        value,
        celtypes.BoolType
        | celtypes.IntType
        | celtypes.UintType
        | celtypes.DoubleType
        | celtypes.StringType
        | celtypes.BytesType
        | celtypes.ListType
        | celtypes.MapType
        | celtypes.TimestampType
        | celtypes.DurationType,
    ):
        return value
    if isinstance(value, bool):
        return celtypes.BoolType(value)
    if isinstance(value, int):
        return celtypes.IntType(value)
    if isinstance(value, float):
        return celtypes.DoubleType(value)
    if isinstance(value, str):
        return celtypes.StringType(value)
    if isinstance(value, bytes | bytearray):
        return celtypes.BytesType(bytes(value))
    if isinstance(value, Mapping) and all(isinstance(key, str) for key in value):
        # Values are converted when an expression reads them: most read a key or two
        # of a check's data (not its headers and body, nor every context).
        return _LazyMap(value)
    if isinstance(value, Mapping):
        return celtypes.MapType({to_cel(str(k)): to_cel(v) for k, v in value.items()})
    if isinstance(value, list | tuple | set | frozenset):
        return celtypes.ListType([to_cel(item) for item in value])
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=datetime.UTC)
        return celtypes.TimestampType(value)
    if isinstance(value, datetime.date):
        return celtypes.StringType(value.isoformat())
    if isinstance(value, datetime.timedelta):
        return celtypes.DurationType(value)
    return celtypes.StringType(str(value))


def to_python(value: Any) -> Any:
    """CEL values -> plain Python (``BoolType`` is an ``int`` subclass: it becomes ``bool``)."""
    if value is None:
        return None
    if isinstance(value, celtypes.BoolType):
        return bool(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, str):
        return str(value)
    if isinstance(value, bytes):
        return bytes(value)
    if isinstance(value, Mapping):
        return {to_python(key): to_python(value[key]) for key in value}
    if isinstance(value, list | tuple):
        return [to_python(item) for item in value]
    if isinstance(value, datetime.datetime):
        return datetime.datetime.fromtimestamp(value.timestamp(), tz=datetime.UTC)
    if isinstance(value, datetime.timedelta):
        return datetime.timedelta(seconds=value.total_seconds())
    return str(value)


# --- functions available to every expression ---------------------------------------------


def _text(name: str, value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8")
    if isinstance(value, str):
        return str(value)
    kind = type(value).__name__.removesuffix("Type").lower()
    raise CELEvalError(f"{name}() needs a string, got {kind}")


def _checked(name: str, function: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def call(value: Any) -> Any:
        try:
            return to_cel(function(value))
        except CELEvalError:
            raise
        except (ValueError, TypeError, binascii.Error) as error:
            # celpy would otherwise report an unrelated "overflow" error.
            raise CELEvalError(f"{name}(): {' '.join(str(error).split())}") from None

    return call


def _yaml_load(text: str) -> Any:
    import yaml  # only expressions that parse YAML need it

    try:
        return load_yaml(text)
    except yaml.YAMLError as error:
        raise ValueError(" ".join(str(error).split())) from None


def _b64decode(value: Any) -> str:
    raw = value if isinstance(value, bytes) else _text("b64decode", value).encode()
    # Line breaks inside base64 text are common (PEM, wrapped output); nothing else is valid.
    return base64.b64decode(b"".join(raw.split()), validate=True).decode("utf-8")


def _b64encode(value: Any) -> str:
    raw = bytes(value) if isinstance(value, bytes) else _text("b64encode", value).encode()
    return base64.b64encode(raw).decode("ascii")


_FUNCTIONS: dict[str, Any] = {
    "_+_": _bounded_add,
    "parse_json": _checked("parse_json", lambda v: load_json(_text("parse_json", v))),
    "parse_yaml": _checked("parse_yaml", lambda v: _yaml_load(_text("parse_yaml", v))),
    "b64decode": _checked("b64decode", _b64decode),
    "b64encode": _checked("b64encode", _b64encode),
}
