"""RBAC enforcement for kubesim (opt-in: ``Settings(rbac=True)``).

With it on, every resource request is authorized the way the API server's RBAC
authorizer does: ClusterRoleBindings grant their ClusterRole everywhere, RoleBindings
grant their Role (or a ClusterRole) in their namespace; rules match on API group,
resource (``pods/log``, ``networkassertions/status`` for subresources), verb and
``resourceNames``; ``system:masters`` is always allowed; anything else gets a 403 with
the Status body the real server sends. Service accounts authenticate with tokens from
:func:`issue_token`, as ``system:serviceaccount:<namespace>:<name>``.

    sim = KubeSim(test_settings(rbac=True, workloads=True)).start()
    token = issue_token(sim, "netchecks", "netchecks-operator")
    kubeconfig.write(path, sim.url, token)

Aggregated ClusterRoles (``aggregationRule``) are not expanded; discovery and the
health endpoints are open to everyone (as ``system:discovery`` grants in a cluster).
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from .auth import RequestInfo, TokenAuthenticator, User, forbidden
from .errors import ApiError
from .resources import ResourceType

if TYPE_CHECKING:
    from .api import Api
    from .sim import KubeSim

Obj = dict[str, Any]

GROUP = "rbac.authorization.k8s.io"
RBAC_TYPES: tuple[ResourceType, ...] = (
    ResourceType(GROUP, "v1", "roles", "role", "Role", True),
    ResourceType(GROUP, "v1", "rolebindings", "rolebinding", "RoleBinding", True),
    ResourceType(GROUP, "v1", "clusterroles", "clusterrole", "ClusterRole", False),
    ResourceType(
        GROUP, "v1", "clusterrolebindings", "clusterrolebinding", "ClusterRoleBinding", False
    ),
)
SUPERUSER_GROUP = "system:masters"
#: The bootstrap ClusterRole system:basic-user, bound to every authenticated user: it lets
#: anyone ask what they may do (kubectl auth can-i, kubectl auth whoami).
BASIC_USER_RULES: tuple[Obj, ...] = (
    {
        "verbs": ["create"],
        "apiGroups": ["authorization.k8s.io"],
        "resources": ["selfsubjectaccessreviews", "selfsubjectrulesreviews"],
    },
    {
        "verbs": ["create"],
        "apiGroups": ["authentication.k8s.io"],
        "resources": ["selfsubjectreviews"],
    },
)


def service_account_user(namespace: str, name: str) -> User:
    """The identity a service account token authenticates as."""
    return User(
        f"system:serviceaccount:{namespace}:{name}",
        ("system:serviceaccounts", f"system:serviceaccounts:{namespace}", "system:authenticated"),
    )


def issue_token(sim: KubeSim, namespace: str, name: str) -> str:
    """A bearer token for service account ``namespace/name`` (like a TokenRequest)."""
    authenticator = sim.authenticator
    if not isinstance(authenticator, TokenAuthenticator):
        raise TypeError("kubesim's authenticator does not take tokens")
    token = f"sa-{namespace}-{name}-{secrets.token_hex(8)}"
    authenticator.tokens[token] = service_account_user(namespace, name)
    return token


def _covers(values: list[str] | None, wanted: str) -> bool:
    return bool(values) and ("*" in values or wanted in values)  # type: ignore[operator]


def _resource_covered(resources: list[str] | None, info: RequestInfo) -> bool:
    wanted = f"{info.resource}/{info.subresource}" if info.subresource else info.resource
    for resource in resources or []:
        if resource in ("*", wanted):
            return True
        if info.subresource and resource in (f"{info.resource}/*", f"*/{info.subresource}"):
            return True
    return False


def rule_allows(rule: Obj, info: RequestInfo) -> bool:
    """Whether one PolicyRule allows the request."""
    if not _covers(rule.get("verbs"), info.verb):
        return False
    if not _covers(rule.get("apiGroups"), info.group):
        return False
    if not _resource_covered(rule.get("resources"), info):
        return False
    names = rule.get("resourceNames")
    return not names or (info.name is not None and info.name in names)


def _subject_matches(subject: Obj, user: User, binding_namespace: str | None) -> bool:
    kind, name = subject.get("kind"), subject.get("name")
    if kind == "User":
        return bool(name == user.name)
    if kind == "Group":
        return name in user.groups
    if kind == "ServiceAccount":
        namespace = subject.get("namespace") or binding_namespace
        return user.name == f"system:serviceaccount:{namespace}:{name}"
    return False


class RbacAuthorizer:
    """Authorize each request against the Roles, ClusterRoles and bindings in the store."""

    def __init__(self, api: Api) -> None:
        self.api = api
        #: See :func:`anonymous_admin`.
        self.anonymous_is_admin = False
        #: Every request decided, as (user name, request, allowed): what tests inspect.
        self.decisions: list[tuple[str, RequestInfo, bool]] = []
        self.types = {rt.plural: self.api.resource(GROUP, "v1", rt.plural) for rt in RBAC_TYPES}

    def _items(self, plural: str, namespace: str | None = None) -> list[Obj]:
        items: list[Obj] = self.api.list(self.types[plural], namespace)["items"]
        return items

    def _role_rules(self, ref: Obj, namespace: str | None) -> list[Obj]:
        kind, name = ref.get("kind"), ref.get("name") or ""
        try:
            if kind == "ClusterRole":
                role = self.api.get(self.types["clusterroles"], None, name)
            elif kind == "Role" and namespace:
                role = self.api.get(self.types["roles"], namespace, name)
            else:
                return []
        except ApiError:
            return []  # a binding to a missing role grants nothing
        rules: list[Obj] = role.get("rules") or []
        return rules

    def allows(self, user: User, info: RequestInfo) -> bool:
        """Whether some binding of ``user`` grants the request."""
        if SUPERUSER_GROUP in user.groups:
            return True
        if self.anonymous_is_admin and "system:unauthenticated" in user.groups:
            return True
        return any(rule_allows(rule, info) for rule in self.rules_for(user, info.namespace))

    def rules_for(self, user: User, namespace: str | None) -> list[Obj]:
        """Every PolicyRule granted to ``user`` cluster-wide and in ``namespace``."""
        rules: list[Obj] = []
        if "system:authenticated" in user.groups:
            rules += BASIC_USER_RULES
        bindings: list[tuple[Obj, str | None]] = [
            (b, None) for b in self._items("clusterrolebindings")
        ]
        if namespace:
            bindings += [(b, namespace) for b in self._items("rolebindings", namespace)]
        for binding, bound_in in bindings:
            subjects = binding.get("subjects") or []
            if any(_subject_matches(s, user, bound_in) for s in subjects):
                rules += self._role_rules(binding.get("roleRef") or {}, bound_in)
        return rules

    def authorize(self, user: User, info: RequestInfo) -> None:
        """Raise the 403 a real RBAC refusal produces."""
        allowed = self.allows(user, info)
        self.decisions.append((user.name, info, allowed))
        if not allowed:
            raise forbidden(user, info)


@contextlib.contextmanager
def anonymous_admin(sim: KubeSim) -> Iterator[None]:
    """Let unauthenticated requests act as the cluster admin while the block runs.

    client-go (so Helm and kubectl) sends kubeconfig credentials only over TLS, and kubesim
    serves plain http: an install made with them arrives anonymous. A real install is
    made by an admin, so this stands in for that admin; the services under test still
    use their own tokens.
    """
    authorizer = sim.authorizer
    if not isinstance(authorizer, RbacAuthorizer):
        yield
        return
    authorizer.anonymous_is_admin = True
    try:
        yield
    finally:
        authorizer.anonymous_is_admin = False


def enable_rbac(sim: KubeSim) -> None:
    """Serve the RBAC kinds and authorize every request with them."""
    for rt in RBAC_TYPES:
        sim.registry.add(rt)
    sim.authorizer = RbacAuthorizer(sim.api)
