"""ValidatingAdmissionPolicies and their bindings (``admissionregistration.k8s.io/v1``),
evaluated on create and update like the API server's ValidatingAdmissionPolicy plugin.

Needed by the chart's rule-name warning (``tests/chart/test_admission_policy_e2e.py``);
conformance tests in ``tests/kubesim/test_admission_policy.py``.

- Both kinds are cluster-scoped stored objects; a policy whose CEL does not compile is
  refused (422). Policies never apply to the admissionregistration kinds themselves.
- A policy applies to a write when ``matchConstraints`` matches it (``resourceRules``:
  apiGroups, apiVersions, operations, resources with ``*``, ``x/*``, ``*/x``, scope,
  resourceNames; ``excludeResourceRules``; ``namespaceSelector`` and ``objectSelector``),
  and each binding naming it (``policyName``) whose ``matchResources`` also matches acts
  on its failed validations: ``Deny`` refuses the write with the server's 422 (or the
  reason's code), ``Warn`` adds ``Validation failed for ValidatingAdmissionPolicy 'p' with
  binding 'b': <message>`` as a ``Warning`` header, ``Audit`` is ignored.
- CEL (:mod:`.cel`) sees ``object``, ``oldObject``, ``request`` (operation, name,
  namespace, kind, resource, subResource, dryRun) and ``variables``; ``params`` is null
  (``paramKind`` is not supported). A failed validation's message is its
  ``messageExpression`` (trimmed; unused when empty, not a string, over 5 KiB or with a
  line break), else ``message``, else ``failed expression: <expression>``. An evaluation
  error applies ``failurePolicy`` (default ``Fail``: deny with the error).
- Only CREATE and UPDATE (also of subresources) are evaluated, not DELETE or CONNECT;
  ``matchConditions``, ``auditAnnotations`` and the status' type checking are not.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from . import cel, views
from .errors import ApiError, FieldError, invalid, invalid_error
from .resources import ResourceType
from .selectors import selector_matches

if TYPE_CHECKING:
    from .api import Api

Obj = dict[str, Any]

GROUP = "admissionregistration.k8s.io"
POLICY_TYPES: tuple[ResourceType, ...] = (
    ResourceType(
        GROUP,
        "v1",
        "validatingadmissionpolicies",
        "validatingadmissionpolicy",
        "ValidatingAdmissionPolicy",
        False,
        ("status",),
        (),
        ("api-extensions",),
        has_generation=True,
    ),
    ResourceType(
        GROUP,
        "v1",
        "validatingadmissionpolicybindings",
        "validatingadmissionpolicybinding",
        "ValidatingAdmissionPolicyBinding",
        False,
        (),
        (),
        ("api-extensions",),
        has_generation=True,
    ),
)
_POLICIES = (GROUP, "validatingadmissionpolicies")
_BINDINGS = (GROUP, "validatingadmissionpolicybindings")
#: celconfig.MaxEvaluatedMessageExpressionSizeBytes
_MAX_MESSAGE_BYTES = 5 * 1024
_REASON_CODES = {"Forbidden": 403, "Unauthorized": 401, "RequestEntityTooLarge": 413}


@dataclass(frozen=True)
class Attributes:
    """One write as admission sees it."""

    rt: ResourceType
    operation: str  # CREATE or UPDATE
    obj: Obj
    old: Obj | None
    subresource: str
    dry_run: bool

    @property
    def name(self) -> str:
        return str(self.obj.get("metadata", {}).get("name") or "")

    @property
    def namespace(self) -> str:
        return str(self.obj.get("metadata", {}).get("namespace") or "")


@dataclass(frozen=True)
class Decision:
    """A validation that did not pass (or could not be evaluated under failurePolicy Fail)."""

    message: str
    reason: str = "Invalid"


def compile_errors(policy: Obj) -> list[FieldError]:
    """Every expression of a policy that does not compile, as the 422's causes."""
    spec = policy.get("spec") or {}
    fields: list[tuple[str, str]] = []
    for i, variable in enumerate(spec.get("variables") or []):
        fields.append((f"spec.variables[{i}].expression", variable.get("expression", "")))
    for i, validation in enumerate(spec.get("validations") or []):
        fields.append((f"spec.validations[{i}].expression", validation.get("expression", "")))
        if validation.get("messageExpression"):
            fields.append(
                (f"spec.validations[{i}].messageExpression", validation["messageExpression"])
            )
    errors = []
    for path, expression in fields:
        try:
            cel.check(expression)
        except cel.CelError as exc:
            errors.append(invalid(path, expression, str(exc)))
    return errors


class AdmissionPolicies:
    """The ValidatingAdmissionPolicy admission plugin over kubesim's store."""

    def __init__(self, api: Api) -> None:
        self.api = api

    def admit(
        self, rt: ResourceType, obj: Obj, old: Obj | None, subresource: str | None, dry_run: bool
    ) -> None:
        """Run every bound policy matching this write: warn, or raise the denial."""
        if rt.group == GROUP:
            if rt.kind == "ValidatingAdmissionPolicy" and not subresource:
                errors = compile_errors(obj)
                if errors:
                    raise invalid_error(rt.kind, rt.group, obj["metadata"]["name"], errors)
            return
        bindings = self.api.store.list(_BINDINGS)
        if not bindings:
            return
        attrs = Attributes(
            rt,
            "CREATE" if old is None else "UPDATE",
            views.present(rt, obj),
            None if old is None else views.present(rt, old),
            subresource or "",
            dry_run,
        )
        denied: tuple[str, str, Decision] | None = None
        for policy, binding in self._bound(bindings):
            if not self._applies(policy, binding, attrs):
                continue
            for decision in evaluate(policy, attrs):
                denial_of = self._act(policy, binding, decision)
                denied = denied or denial_of
        if denied is not None:
            raise denial(attrs, *denied)

    def _bound(self, bindings: list[Obj]) -> Iterator[tuple[Obj, Obj]]:
        """(policy, binding) pairs in policy then binding name order; unbound ones are left."""
        policies = {p["metadata"]["name"]: p for p in self.api.store.list(_POLICIES)}
        pairs = [
            (policies[name], b)
            for b in bindings
            if (name := (b.get("spec") or {}).get("policyName")) in policies
        ]
        pairs.sort(key=lambda pb: (pb[0]["metadata"]["name"], pb[1]["metadata"]["name"]))
        yield from pairs

    def _applies(self, policy: Obj, binding: Obj, attrs: Attributes) -> bool:
        constraints = (policy.get("spec") or {}).get("matchConstraints") or {}
        if not self._matches(constraints, attrs, rules_required=True):
            return False
        resources = (binding.get("spec") or {}).get("matchResources")
        return resources is None or self._matches(resources, attrs, rules_required=False)

    def _matches(self, match: Obj, attrs: Attributes, rules_required: bool) -> bool:
        """MatchResources: its rules (which a binding may leave out), exclusions, selectors."""
        rules = match.get("resourceRules") or []
        if (rules or rules_required) and not any(rule_matches(r, attrs) for r in rules):
            return False
        if any(rule_matches(r, attrs) for r in match.get("excludeResourceRules") or []):
            return False
        if not _object_selected(match.get("objectSelector"), attrs):
            return False
        return self._namespace_selected(match.get("namespaceSelector"), attrs)

    def _namespace_selected(self, selector: Obj | None, attrs: Attributes) -> bool:
        """A Namespace is matched by its own labels; other cluster-scoped objects always."""
        if attrs.rt.kind == "Namespace" and not attrs.rt.group:
            return selector_matches(selector, _labels(attrs.obj))
        if not attrs.rt.namespaced:
            return True
        ns_rt = self.api.resource("", "v1", "namespaces")
        namespace = self.api.find(ns_rt, None, attrs.namespace) or {}
        return selector_matches(selector, _labels(namespace))

    def _act(
        self, policy: Obj, binding: Obj, decision: Decision
    ) -> tuple[str, str, Decision] | None:
        """Apply the binding's validationActions; the denial to raise, if any."""
        p, b = policy["metadata"]["name"], binding["metadata"]["name"]
        actions = (binding.get("spec") or {}).get("validationActions") or []
        if "Warn" in actions:
            self.api.context.warn(
                f"Validation failed for ValidatingAdmissionPolicy '{p}' with binding '{b}': "
                f"{decision.message}"
            )
        return (p, b, decision) if "Deny" in actions else None


def _labels(obj: Obj) -> dict[str, str]:
    return dict((obj.get("metadata") or {}).get("labels") or {})


def _object_selected(selector: Obj | None, attrs: Attributes) -> bool:
    """The new object or the old one has the labels (as the real ObjectSelector matcher)."""
    candidates = [attrs.obj] + ([attrs.old] if attrs.old is not None else [])
    return any(selector_matches(selector, _labels(o)) for o in candidates)


def _covers(values: list[str] | None, wanted: str) -> bool:
    return "*" in (values or []) or wanted in (values or [])


def rule_matches(rule: Obj, attrs: Attributes) -> bool:
    """A NamedRuleWithOperations (the webhook rule matcher's semantics)."""
    rt = attrs.rt
    if not (
        _covers(rule.get("apiGroups"), rt.group)
        and _covers(rule.get("apiVersions"), rt.version)
        and _covers(rule.get("operations"), attrs.operation)
    ):
        return False
    scope = rule.get("scope") or "*"
    if scope != "*" and (scope == "Namespaced") != rt.namespaced:
        return False
    names = rule.get("resourceNames") or []
    if names and attrs.name not in names:
        return False
    for resource in rule.get("resources") or []:
        res, _, sub = resource.partition("/")
        if res in ("*", rt.plural) and sub in ("*", attrs.subresource):
            return True
    return False


def _request(attrs: Attributes) -> Obj:
    rt = attrs.rt
    gvk = {"group": rt.group, "version": rt.version, "kind": rt.kind}
    gvr = {"group": rt.group, "version": rt.version, "resource": rt.plural}
    request: Obj = {
        "kind": gvk,
        "resource": gvr,
        "requestKind": gvk,
        "requestResource": gvr,
        "name": attrs.name,
        "namespace": attrs.namespace,
        "operation": attrs.operation,
        "dryRun": attrs.dry_run,
    }
    if attrs.subresource:
        request["subResource"] = request["requestSubResource"] = attrs.subresource
    return request


def _variables(spec: Obj, activation: dict[str, Any]) -> dict[str, str]:
    """Evaluate ``spec.variables`` in order into ``activation``; the errors by name."""
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for variable in spec.get("variables") or []:
        name = variable.get("name", "")
        activation["variables"] = cel.mapping(values)
        try:
            values[name] = cel.run(variable.get("expression", ""), activation)
        except cel.CelError as exc:
            errors[name] = str(exc)
    activation["variables"] = cel.mapping(values)
    return errors


def evaluate(policy: Obj, attrs: Attributes) -> list[Decision]:
    """The decisions of a policy's validations that did not pass."""
    spec = policy.get("spec") or {}
    fail = (spec.get("failurePolicy") or "Fail") == "Fail"
    activation: dict[str, Any] = {
        "object": cel.value(attrs.obj),
        "oldObject": cel.value(attrs.old),
        "request": cel.value(_request(attrs)),
        "params": cel.value(None),
    }
    variable_errors = _variables(spec, activation)
    decisions = []
    for validation in spec.get("validations") or []:
        expression = validation.get("expression", "")
        try:
            used = [
                n
                for n in variable_errors
                if re.search(rf"\bvariables\.{re.escape(n)}\b", expression)
            ]
            if used:
                raise cel.CelError(variable_errors[used[0]])
            passed = cel.run(expression, activation)
        except cel.CelError as exc:
            if fail:
                decisions.append(
                    Decision(f"expression '{expression}' resulted in error: {exc}", "")
                )
            continue
        if cel.is_true(passed):
            continue
        reason = validation.get("reason") or "Invalid"
        decisions.append(Decision(_message(validation, activation), reason))
    return decisions


def _message(validation: Obj, activation: dict[str, Any]) -> str:
    """messageExpression's value if usable, else message, else the failed expression."""
    message = ""
    if validation.get("messageExpression"):
        try:
            value = cel.run(validation["messageExpression"], activation)
        except cel.CelError:
            value = None
        if isinstance(value, str):
            text = value.strip()
            if len(text.encode()) <= _MAX_MESSAGE_BYTES and "\n" not in text:
                message = text
    message = message or str(validation.get("message") or "").strip()
    return message or f"failed expression: {str(validation.get('expression', '')).strip()}"


def denial(attrs: Attributes, policy: str, binding: str, decision: Decision) -> ApiError:
    """admission.NewForbidden with the decision's reason and its code (422 for Invalid)."""
    text = f"ValidatingAdmissionPolicy '{policy}' with binding '{binding}' denied request: "
    text += decision.message
    reason = decision.reason or "Invalid"
    group_resource = attrs.rt.group_resource
    details: Obj = {"name": attrs.name, "kind": attrs.rt.plural, "causes": [{"message": text}]}
    if attrs.rt.group:
        details["group"] = attrs.rt.group
    return ApiError(
        _REASON_CODES.get(reason, 422),
        reason,
        f'{group_resource} "{attrs.name}" is forbidden: {text}',
        details,
    )
