"""Template rendering: typed whole values, JSON-ish interpolation, errors that say where."""

from __future__ import annotations

import pytest
from netchecks_core.render import TemplateError, render, template_text

CONTEXTS = {
    "c": {
        "port": 5432,
        "token": "abc",
        "on": True,
        "none": None,
        "list": [1, "a"],
        "map": {"k": 1.5},
    }
}


def test_whole_value_template_keeps_its_type() -> None:
    assert render({"port": "{{ c.port }}"}, CONTEXTS) == {"port": 5432}
    assert render({"port": "  {{c.port}}  "}, CONTEXTS) == {"port": 5432}
    assert render(["{{ c.list }}"], CONTEXTS) == [[1, "a"]]


def test_interpolation_uses_json_forms_not_python_reprs() -> None:
    rendered = render("{{ c.on }} {{ c.none }} {{ c.list }} {{ c.map }} {{ c.port }}", CONTEXTS)
    assert rendered == 'true null [1,"a"] {"k":1.5} 5432'


def test_templates_in_keys_are_rendered() -> None:
    assert render({"X-{{ c.token }}": "Bearer {{ c.token }}"}, CONTEXTS) == {"X-abc": "Bearer abc"}


def test_strings_without_templates_are_unchanged() -> None:
    value = {"a": "plain {not a template}", "b": 3, "c": [None, True]}
    assert render(value, CONTEXTS) == value


def test_timestamps_and_durations_render_as_text() -> None:
    rendered = render(
        {"t": "{{ timestamp('2024-01-01T00:00:00Z') }}", "d": "in {{ duration('90s') }}"}, {}
    )
    assert rendered == {"t": "2024-01-01T00:00:00Z", "d": "in 90s"}


def test_functions_work_in_templates() -> None:
    rendered = render("Basic {{ b64encode(c.token + ':pw') }}", CONTEXTS)
    assert rendered == "Basic YWJjOnB3"


@pytest.mark.parametrize(
    ("template", "reason"),
    [
        ("{{ c.missing }}", "failed: no such member in mapping: 'missing'"),
        ("{{ nope.x }}", "failed: unknown name 'nope'"),
        ("x {{ 1 + }}", "is not valid CEL"),
        ("{{ c.port + 'x' }}", "failed: found no matching overload"),
    ],
)
def test_failing_template_is_an_error_naming_the_place(template: str, reason: str) -> None:
    with pytest.raises(TemplateError) as caught:
        render({"headers": {"Authorization": template}}, CONTEXTS, "assertions[0].rules[1]")
    message = str(caught.value)
    assert message.startswith("assertions[0].rules[1].headers.Authorization: template '{{")
    assert reason in message


def test_template_text_of_plain_values() -> None:
    assert template_text(False) == "false"
    assert template_text(None) == "null"
    assert template_text(1.5) == "1.5"
    assert template_text(b"bytes") == "bytes"


def test_all_templates_of_one_value_share_a_time_budget(monkeypatch) -> None:
    from netchecks_core import render as render_module

    monkeypatch.setattr(render_module, "MAX_RENDER_SECONDS", 0.3)
    # Each template alone is within CEL's budget; ten of them are not within the value's.
    heavy = "{{ L.map(a, L.map(b, a + b)).size() }}"
    rule = {f"h{i}": heavy for i in range(10)}

    with pytest.raises(render_module.TemplateError) as caught:
        render_module.render(rule, {"L": list(range(300))}, "rule")

    # Stopped at the value's 0.3 s, long before CEL's own 1 s per template.
    assert "0.3 s" in str(caught.value)


def test_an_expression_over_its_cel_budget_is_a_template_error() -> None:
    from netchecks_core import render as render_module

    expression = "{{ L.map(a, L.map(b, L.map(c, a))).size() }}"
    with pytest.raises(render_module.TemplateError) as caught:
        render_module.render({"url": expression}, {"L": list(range(200))}, "rule")

    assert "longer than" in str(caught.value) or "budget" in str(caught.value)
