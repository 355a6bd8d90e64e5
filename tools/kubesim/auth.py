"""Authentication and authorization hooks of the request pipeline.

Today every request is allowed; the seams are here so that RBAC (Roles, bindings,
token -> identity) can be plugged in without touching the handlers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from .errors import ApiError


@dataclass(frozen=True)
class User:
    name: str
    groups: tuple[str, ...] = field(default=("system:authenticated",))


@dataclass(frozen=True)
class RequestInfo:
    """What a resource request asks for, as an authorizer sees it."""

    verb: str  # get, list, watch, create, update, patch, delete, deletecollection
    group: str
    version: str
    resource: str
    subresource: str | None
    namespace: str | None
    name: str | None
    path: str


class Authenticator(Protocol):
    def authenticate(self, authorization: str | None) -> User: ...


class Authorizer(Protocol):
    def authorize(self, user: User, info: RequestInfo) -> None:
        """Raise a 403 ApiError to refuse."""


class TokenAuthenticator:
    """Bearer tokens map to users; unknown or missing tokens are anonymous."""

    def __init__(self, tokens: dict[str, User]) -> None:
        self.tokens = tokens

    def authenticate(self, authorization: str | None) -> User:
        if authorization and authorization.lower().startswith("bearer "):
            user = self.tokens.get(authorization[7:].strip())
            if user is not None:
                return user
        return User("system:anonymous", ("system:unauthenticated",))


class AllowAll:
    def authorize(self, user: User, info: RequestInfo) -> None:
        return None


def forbidden(user: User, info: RequestInfo) -> ApiError:
    """The 403 body a real authorizer refusal produces."""
    resource = f"{info.resource}.{info.group}" if info.group else info.resource
    subject = f'{resource} "{info.name}"' if info.name else resource
    wanted = f"{info.resource}/{info.subresource}" if info.subresource else info.resource
    scope = f' in the namespace "{info.namespace}"' if info.namespace else " at the cluster scope"
    return ApiError(
        403,
        "Forbidden",
        f'{subject} is forbidden: User "{user.name}" cannot {info.verb} '
        f'resource "{wanted}" in API group "{info.group}"{scope}',
        {"name": info.name or "", "kind": info.resource, "group": info.group},
    )
