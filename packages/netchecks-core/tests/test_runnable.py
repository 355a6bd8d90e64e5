"""The lean run path (netchecks_core.runnable) against the models it stands in for.

The lean checks may say "not sure" as often as they like; they must never accept what
the models refuse, nor hold a value the models would not.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from netchecks_core.output_document import output_document, result_entry
from netchecks_core.probe_config import ProbeConfig
from netchecks_core.probe_output import ProbeOutput
from netchecks_core.rules import RULE_ADAPTER, RULE_MODELS, RuleBase
from netchecks_core.runnable import (
    LEAN_CHECKS,
    RUNNABLE_TYPES,
    config_from_model,
    from_model,
    kebab,
    lean_config,
    lean_rule,
    parse_runnable,
    runnable_config,
    spec_of,
)
from pydantic import ValidationError

# -- the same fields ----------------------------------------------------------------------


@pytest.mark.parametrize("rule_type", sorted(RULE_MODELS))
def test_each_runnable_type_has_its_models_fields_in_order_with_its_defaults(
    rule_type: str,
) -> None:
    model = RULE_MODELS[rule_type]
    runnable = RUNNABLE_TYPES[rule_type]
    runnable_fields = {f.name: f for f in dataclasses.fields(runnable)}

    assert list(runnable_fields) == list(model.model_fields)
    for name, info in model.model_fields.items():
        default = runnable_fields[name].default
        if info.is_required():
            assert default is dataclasses.MISSING, name
        else:
            assert default == info.default, name
    assert runnable.DEFAULT_TIMEOUT == model.DEFAULT_TIMEOUT


@pytest.mark.parametrize("rule_type", sorted(LEAN_CHECKS))
def test_the_lean_checks_cover_every_field_but_the_tag(rule_type: str) -> None:
    assert set(LEAN_CHECKS[rule_type]) == set(RULE_MODELS[rule_type].model_fields) - {"type"}


def _bounds(model: type[RuleBase], name: str) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for item in model.model_fields[name].metadata:
        for key in ("ge", "gt", "le", "lt", "min_length"):
            if getattr(item, key, None) is not None:
                found[key] = getattr(item, key)
    return found


@pytest.mark.parametrize("rule_type", sorted(LEAN_CHECKS))
def test_the_lean_checks_keep_the_models_bounds(rule_type: str) -> None:
    # At each bound and just past it, the lean check agrees with the model.
    model = RULE_MODELS[rule_type]
    required = _valid_minimal(rule_type)
    for name in LEAN_CHECKS[rule_type]:
        bounds = _bounds(model, name)
        probes: list[Any] = []
        for key, bound in bounds.items():
            if key == "min_length":
                probes += ["x" * bound, "x" * max(bound - 1, 0)]
            else:
                probes += [bound, bound - 1, bound + 1, bound - 0.5, bound + 0.5]
        for value in probes:
            _agree({**required, kebab(name): value})


# -- the same answers, field by field and on generated input -------------------------------

#: Values that are valid for some fields and not others, or only after conversion.
TRICKY: list[Any] = [
    None, True, False, 0, 1, -1, 5, 53, 300, 301, 3600, 3601, 65535, 65536, 2**21, 2**21 + 1,
    10**30, 0.0, 0.5, 1.0, 5.0, 299.5, 3600.0, 3600.5, float("nan"), float("inf"), "",
    " ", "a", "80", "1.5", "true", "GET", "post", "Fail", "PASS", "aaaa", "mx", "127.0.0.9",
    " 127.0.0.1 ", "::1", "[::1]:53", "[::1]:0", "::1:53", "127.0.0.1:5353",
    "127.0.0.1:99999", "host.example:53", "select 1", " ; ", "{{ ctx.port }}", "caf\u00e9",
    "\ud800", "a\ud800b", [], [1, "a"], [None], {}, {"pattern": "true"},
    {"pattern": "true", "message": "m"}, {"pattern": 1}, {"message": "\ud800"}, {"X-A": "b"},
    {"X-A": 1}, {1: "b"}, {"\ud800": "b"}, {"a": float("nan")}, {"pattern": "x", "other": 1},
]  # fmt: skip


@pytest.mark.parametrize("rule_type", sorted(LEAN_CHECKS))
def test_every_field_given_every_tricky_value_gets_the_models_answer(rule_type: str) -> None:
    for key in _keys(rule_type):
        for value in TRICKY:
            _agree({**_valid_minimal(rule_type), key: value})


_STRINGS = st.sampled_from(
    [
        "",
        " ",
        "a",
        "x" * 300,
        "GET",
        "post",
        "Fail",
        "PASS",
        "aaaa",
        "mx",
        "127.0.0.9",
        " 127.0.0.1 ",
        "::1",
        "[::1]:53",
        "[::1]:0",
        "127.0.0.1:5353",
        "127.0.0.1:99999",
        "host.example:53",
        "select 1",
        " ; ",
        "{{ ctx.port }}",
        "data.ok == true",
        "caf\u00e9",
        "\ud800",
        "http://127.0.0.1:8080/",
    ]
)
_NUMBERS = st.one_of(
    st.sampled_from([0, 1, -1, 10, 53, 300, 301, 3600, 3601, 65535, 65536, 2**21, 2**21 + 1]),
    st.sampled_from([0.0, 0.5, 1.0, 299.5, 3600.0, 3600.5, float("nan"), float("inf")]),
    st.integers(),
    st.floats(),
)
_SCALARS = st.one_of(st.none(), st.booleans(), _NUMBERS, _STRINGS)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(
            st.one_of(_STRINGS, st.sampled_from(["pattern", "message", "X-A"])), inner, max_size=3
        ),
        st.dictionaries(st.integers(), inner, max_size=2),
    ),
    max_leaves=6,
)


def _keys(rule_type: str) -> list[str]:
    names = list(LEAN_CHECKS[rule_type])
    return sorted({*names, *(kebab(n) for n in names), "validate", "type", "bogus", "Host"})


@st.composite
def _rules(draw: st.DrawFn) -> dict[str, Any]:
    rule_type = draw(st.sampled_from(sorted(LEAN_CHECKS)))
    base: dict[str, Any] = (
        dict(_valid_minimal(rule_type)) if draw(st.booleans()) else {"type": rule_type}
    )
    for key in draw(st.lists(st.sampled_from(_keys(rule_type)), max_size=4)):
        base[key] = draw(_VALUES)
    if draw(st.integers(0, 9)) == 0:
        base["type"] = draw(st.sampled_from([*sorted(RULE_MODELS), "ftp", None]))
    return base


def _valid_minimal(rule_type: str) -> dict[str, Any]:
    minimal: dict[str, dict[str, Any]] = {
        "dns": {"type": "dns", "host": "a"},
        "http": {"type": "http", "url": "http://127.0.0.1/"},
        "tcp": {"type": "tcp", "host": "a", "port": 1},
        "internal": {"type": "internal"},
        "postgres": {"type": "postgres", "dsn": "x", "query": "select 1"},
    }
    return minimal[rule_type]


def _agree(raw: dict[str, Any]) -> None:
    lean = lean_rule(raw)
    if lean is None:
        return
    try:
        model = RULE_ADAPTER.validate_python(raw)
    except ValidationError as error:  # pragma: no cover - the failure this test exists for
        pytest.fail(f"the lean path accepted what the model refuses: {raw!r}: {error}")
    expected = from_model(model)
    assert lean == expected, raw
    for item in dataclasses.fields(lean):
        ours, theirs = getattr(lean, item.name), getattr(expected, item.name)
        assert type(ours) is type(theirs), (raw, item.name)
    dumped = model.model_dump(mode="json", by_alias=True, exclude_none=True)
    assert json.dumps(spec_of(lean)) == json.dumps(dumped), raw


@settings(max_examples=1500, deadline=None)
@given(_rules())
def test_the_lean_path_accepts_only_what_the_model_accepts_with_its_values(
    raw: dict[str, Any],
) -> None:
    _agree(raw)


_CONTEXTS = st.fixed_dictionaries(
    {
        "name": st.one_of(st.sampled_from(["c1", "c2", "c3", "data", "spec"]), _STRINGS),
        "type": st.sampled_from(["inline", "file", "directory", "secret", None]),
    },
    optional={
        "secret": _SCALARS,
        "data": _VALUES,
        "path": _STRINGS,
        "extra": _SCALARS,
    },
)
_ASSERTIONS = st.fixed_dictionaries(
    {},
    optional={
        "name": st.one_of(st.just("a"), _SCALARS),
        "rules": st.one_of(
            st.lists(st.one_of(st.just({"type": "tcp"}), _VALUES), max_size=2), _SCALARS
        ),
        "note": _SCALARS,
    },
)
_CONFIGS = st.fixed_dictionaries(
    {},
    optional={
        "assertions": st.one_of(st.lists(_ASSERTIONS, max_size=2), _SCALARS),
        "note": _VALUES,
        "contexts": st.one_of(st.lists(_CONTEXTS, max_size=3), _SCALARS),
        "disableRedaction": _SCALARS,
    },
)


@settings(max_examples=1000, deadline=None)
@given(_CONFIGS)
def test_the_lean_config_accepts_only_what_the_model_accepts_with_its_values(
    document: dict[str, Any],
) -> None:
    lean = lean_config(document)
    if lean is None:
        return
    try:
        model = ProbeConfig.model_validate(document)
    except ValidationError as error:  # pragma: no cover
        pytest.fail(f"the lean path accepted what the model refuses: {document!r}: {error}")
    assert lean == config_from_model(model)


# -- what the lean path is for ---------------------------------------------------------------

EVERYDAY_RULES = [
    {"name": "web", "type": "http", "url": "https://example.test/", "method": "GET",
     "headers": {"Authorization": "Bearer x"}, "verify-tls-cert": False, "timeout": 3,
     "validate": {"pattern": "data['status-code'] == 200", "message": "up"}},
    {"type": "http", "url": "http://127.0.0.1/", "expected": "fail", "retries": 2,
     "retry-delay": 0.5, "max-body-bytes": 1024, "follow-redirects": False},
    {"name": "dns", "type": "dns", "host": "kubernetes.default", "server": "127.0.0.53",
     "record-type": "aaaa", "validation": "size(data.answers) > 0"},
    {"type": "dns", "host": "a.test", "server": "127.0.0.1:5353", "port": 5353, "search": False},
    {"type": "tcp", "host": "db", "port": 5432, "send": "PING", "expect": "PONG",
     "source-ip": "127.0.0.1"},
    {"type": "internal", "validation": "true", "expected": None},
    {"type": "postgres", "dsn": "host=db", "query": "select 1", "params": [1, "a"],
     "row-limit": 5},
]  # fmt: skip


@pytest.mark.parametrize("raw", EVERYDAY_RULES, ids=lambda raw: str(raw["type"]))
def test_everyday_rules_take_the_lean_path(raw: dict[str, Any]) -> None:
    assert lean_rule(raw) is not None
    _agree(raw)


@pytest.mark.parametrize("value", TRICKY)
@pytest.mark.parametrize("key", ["name", "secret", "type", "data", "path", "other"])
def test_every_context_field_given_every_tricky_value_gets_the_models_answer(
    key: str, value: Any
) -> None:
    for context_type in ("inline", "file", "directory"):
        context: dict[str, Any] = {"name": "c", "type": context_type, "path": "p"}
        if context_type == "inline":
            context = {"name": "c", "type": "inline", "data": 1}
        for document in (
            {"assertions": [], "contexts": [{**context, key: value}]},
            {"assertions": [{"name": value, "rules": []}]},
            {"assertions": [{"name": "a", "rules": value}]},
            {"assertions": [{"name": "a", "rules": [], key: value}], key: value},
        ):
            lean = lean_config(document)
            if lean is not None:
                assert lean == config_from_model(ProbeConfig.model_validate(document))


def test_context_names_must_differ() -> None:
    twice = [{"name": "c", "type": "inline"}, {"name": "c", "type": "file", "path": "p"}]

    assert lean_config({"assertions": [], "contexts": twice}) is None
    with pytest.raises(ValidationError, match="used twice"):
        ProbeConfig.model_validate({"assertions": [], "contexts": twice})


def test_a_config_with_contexts_takes_the_lean_path() -> None:
    document = {
        "assertions": [{"name": "a", "rules": EVERYDAY_RULES}],
        "contexts": [
            {"name": "c", "type": "inline", "data": {"port": 80}},
            {"name": "s", "type": "directory", "path": "/mnt/s", "secret": True},
            {"name": "f", "type": "file", "path": "c.yaml"},
        ],
        "disableRedaction": False,
    }

    lean = lean_config(document)

    assert lean is not None
    assert lean == config_from_model(ProbeConfig.model_validate(document))
    assert lean.extra == {"disableRedaction": False}


def test_what_the_lean_path_is_unsure_of_the_models_decide() -> None:
    # A port given as text is valid (the model converts it), not plainly so.
    assert lean_rule({"type": "tcp", "host": "h", "port": "80"}) is None
    rule = parse_runnable({"type": "tcp", "host": "h", "port": "80"})
    assert rule == parse_runnable({"type": "tcp", "host": "h", "port": 80})
    # postgres-grants rules are always the models' (their check loads psycopg anyway).
    grants = {"type": "postgres-grants", "dsn": "x", "rules": [{"objects": {"type": "table"},
              "privileges": "all"}]}  # fmt: skip
    assert lean_rule(grants) is None
    assert parse_runnable(grants).type == "postgres-grants"
    # An invalid rule gets the models' message.
    with pytest.raises(ValueError, match=r"port: Input should be less than or equal to 65535"):
        parse_runnable({"type": "tcp", "host": "h", "port": 70000})
    # So does a config.
    with pytest.raises(ValidationError):
        runnable_config({"assertions": [{"name": "", "rules": []}]})


# -- the output document ------------------------------------------------------------------


def test_the_written_document_is_what_the_output_models_read_and_write() -> None:
    results: list[dict[str, Any]] = [
        {"name": "a", "spec": {"type": "tcp", "x": None}, "data": {"error": None}, "status": "pass",
         "message": None},
        {"name": None, "spec": {}, "data": {}, "status": "error", "message": "boom", "hint": 1},
    ]  # fmt: skip

    document = output_document("2026-01-01T00:00:00+00:00", "1.2.3", [("one", results)])

    model = ProbeOutput.model_validate(document)
    assert json.dumps(model.model_dump(mode="json", exclude_none=True)) == json.dumps(document)


@pytest.mark.parametrize(
    ("result", "error"),
    [
        ({"status": "passed", "spec": {}, "data": {}}, ValueError),
        ({"status": "pass", "spec": [], "data": {}}, TypeError),
        ({"status": "pass", "spec": {}, "data": {}, "message": 3}, TypeError),
    ],
)
def test_a_result_that_is_not_one_is_never_written(result: dict[str, Any], error: type) -> None:
    with pytest.raises(error):
        result_entry(result)


def test_a_grants_rule_is_echoed_as_the_model_dumps_it() -> None:
    raw = {"type": "postgres-grants", "dsn": "x", "timeout": 2, "rules": [
        {"name": "r", "roles": {"names": "app", "login": True},
         "objects": {"type": "table", "schemas": ["public"]}, "privileges": ["all"]}]}  # fmt: skip
    model = RULE_ADAPTER.validate_python(raw)

    dumped = model.model_dump(mode="json", by_alias=True, exclude_none=True)
    assert json.dumps(spec_of(from_model(model))) == json.dumps(dumped)
