"""Self reviews: SelfSubjectAccessReview, SelfSubjectRulesReview and SelfSubjectReview.

``kubectl auth can-i``, ``kubectl auth can-i --list`` and ``kubectl auth whoami`` create
them; the server answers at once (201, nothing stored) from the authorizer in force:
with RBAC enforcement (``Settings(rbac=True)``) the answer comes from the Roles and
bindings, otherwise everything is allowed, as with the API server's AlwaysAllow mode.
Non-resource paths follow kubesim's RBAC: discovery and health are open to everyone.
"""

from __future__ import annotations

import fnmatch
from typing import TYPE_CHECKING, Any

from .auth import RequestInfo, User
from .errors import ApiError, bad_request
from .rbac import SUPERUSER_GROUP, RbacAuthorizer
from .resources import ResourceType

if TYPE_CHECKING:
    from .sim import KubeSim

Obj = dict[str, Any]

AUTHORIZATION = "authorization.k8s.io"
AUTHENTICATION = "authentication.k8s.io"
REVIEW_TYPES: tuple[ResourceType, ...] = (
    ResourceType(
        AUTHORIZATION,
        "v1",
        "selfsubjectaccessreviews",
        "",
        "SelfSubjectAccessReview",
        False,
        verbs=("create",),
    ),
    ResourceType(
        AUTHORIZATION,
        "v1",
        "selfsubjectrulesreviews",
        "",
        "SelfSubjectRulesReview",
        False,
        verbs=("create",),
    ),
    ResourceType(
        AUTHENTICATION,
        "v1",
        "selfsubjectreviews",
        "",
        "SelfSubjectReview",
        False,
        verbs=("create",),
    ),
)
#: Paths kubesim's RBAC leaves open (the bootstrap system:discovery and public-info roles).
OPEN_PATHS = (
    "/healthz",
    "/livez",
    "/readyz",
    "/version",
    "/api",
    "/api/*",
    "/apis",
    "/apis/*",
    "/openapi/*",
)
_ALL_RULES: Obj = {
    "resourceRules": [{"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]}],
    "nonResourceRules": [{"verbs": ["*"], "nonResourceURLs": ["*"]}],
    "incomplete": False,
}


def is_review(rt: ResourceType) -> bool:
    return rt.group in (AUTHORIZATION, AUTHENTICATION) and rt.plural.startswith("selfsubject")


def require_create(verb: str) -> None:
    """Reviews are only ever created (the real server has no other verb for them)."""
    if verb != "create":
        raise ApiError(
            405,
            "MethodNotAllowed",
            "the server does not allow this method on the requested resource",
        )


def answer(sim: KubeSim, rt: ResourceType, user: User, body: Any) -> Obj:
    """The created review, with its status filled in for ``user``."""
    if not isinstance(body, dict):
        raise bad_request("the body of the request was not a JSON object")
    spec = body.get("spec") if isinstance(body.get("spec"), dict) else {}
    assert isinstance(spec, dict)
    if rt.kind == "SelfSubjectAccessReview":
        status = _access(sim, user, spec)
    elif rt.kind == "SelfSubjectRulesReview":
        status = _rules(sim, user, spec)
    else:
        status = {"userInfo": {"username": user.name, "groups": list(user.groups)}}
    return {
        "kind": rt.kind,
        "apiVersion": rt.api_version,
        "metadata": {"creationTimestamp": None},
        **({"spec": spec} if rt.kind != "SelfSubjectReview" else {}),
        "status": status,
    }


def _access(sim: KubeSim, user: User, spec: Obj) -> Obj:
    resource = spec.get("resourceAttributes")
    non_resource = spec.get("nonResourceAttributes")
    if isinstance(resource, dict) == isinstance(non_resource, dict):
        raise ApiError(
            422,
            "Invalid",
            'SelfSubjectAccessReview.authorization.k8s.io "" is invalid: spec: Invalid value: '
            '"null": exactly one of nonResourceAttributes or resourceAttributes must be specified',
        )
    if isinstance(non_resource, dict):
        allowed = _path_allowed(sim, user, non_resource)
    else:
        assert isinstance(resource, dict)
        allowed = _resource_allowed(sim, user, resource)
    return {"allowed": allowed}


def _resource_allowed(sim: KubeSim, user: User, attributes: Obj) -> bool:
    info = RequestInfo(
        str(attributes.get("verb") or ""),
        str(attributes.get("group") or ""),
        str(attributes.get("version") or ""),
        str(attributes.get("resource") or ""),
        attributes.get("subresource") or None,
        attributes.get("namespace") or None,
        attributes.get("name") or None,
        "",
    )
    authorizer = sim.authorizer
    if isinstance(authorizer, RbacAuthorizer):
        return authorizer.allows(user, info)
    try:
        authorizer.authorize(user, info)
    except ApiError as exc:
        if exc.code == 403:
            return False
        raise
    return True


def _path_allowed(sim: KubeSim, user: User, attributes: Obj) -> bool:
    authorizer = sim.authorizer
    if not isinstance(authorizer, RbacAuthorizer) or _everything(authorizer, user):
        return True
    path, verb = str(attributes.get("path") or ""), str(attributes.get("verb") or "")
    if verb == "get" and any(fnmatch.fnmatchcase(path, p) for p in OPEN_PATHS):
        return True
    for rule in authorizer.rules_for(user, None):
        urls = rule.get("nonResourceURLs") or []
        verbs = rule.get("verbs") or []
        if ("*" in verbs or verb in verbs) and any(_url_matches(u, path) for u in urls):
            return True
    return False


def _url_matches(pattern: str, path: str) -> bool:
    if pattern.endswith("*"):
        return path.startswith(pattern[:-1])
    return pattern == path


def _everything(authorizer: RbacAuthorizer, user: User) -> bool:
    return SUPERUSER_GROUP in user.groups or (
        authorizer.anonymous_is_admin and "system:unauthenticated" in user.groups
    )


def _rules(sim: KubeSim, user: User, spec: Obj) -> Obj:
    authorizer = sim.authorizer
    if not isinstance(authorizer, RbacAuthorizer) or _everything(authorizer, user):
        return dict(_ALL_RULES)
    namespace = spec.get("namespace") or None
    resource_rules, non_resource_rules = [], []
    for rule in authorizer.rules_for(user, namespace):
        if rule.get("nonResourceURLs"):
            non_resource_rules.append(
                {"verbs": rule.get("verbs") or [], "nonResourceURLs": rule["nonResourceURLs"]}
            )
        else:
            keys = ("verbs", "apiGroups", "resources", "resourceNames")
            resource_rules.append({k: rule[k] for k in keys if rule.get(k)})
    open_rule = {"verbs": ["get"], "nonResourceURLs": list(OPEN_PATHS)}
    return {
        "resourceRules": resource_rules,
        "nonResourceRules": [open_rule, *non_resource_rules],
        "incomplete": False,
    }
