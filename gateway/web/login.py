"""Who is logged in: the session's user, checked against the store on every request."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import ParamSpec, TypeVar

from flask import g, redirect, request, session, url_for
from flask.typing import ResponseReturnValue

from gateway.web import context
from store import User

P = ParamSpec("P")
R = TypeVar("R")


def current_user() -> User | None:
    """The enabled user of this session, if any (a disabled one is logged out at once)."""
    if "user" in g:
        found: User | None = g.user
        return found
    name = session.get("user")
    user = context.services().store.users.get(name) if isinstance(name, str) else None
    g.user = user if user is not None and not user.disabled else None
    return g.user  # type: ignore[no-any-return]


def actor() -> str:
    """The name the timeline records for the logged-in user."""
    user = current_user()
    return user.name if user else "unknown"


def login_required(view: Callable[P, ResponseReturnValue]) -> Callable[P, ResponseReturnValue]:
    """Send anyone not logged in to /login, and back here afterwards."""

    @wraps(view)
    def wrapped(*args: P.args, **kwargs: P.kwargs) -> ResponseReturnValue:
        if current_user() is None:
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)

    return wrapped
