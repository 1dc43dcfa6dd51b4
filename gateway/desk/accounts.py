"""Accounts of the desk's pages: hashed passwords (werkzeug's scrypt) and the login throttle."""

from __future__ import annotations

from datetime import datetime, timedelta

from werkzeug.security import check_password_hash, generate_password_hash

from store import Store, User

THROTTLE_WINDOW = timedelta(minutes=15)
# Compared against when the user is unknown, so a wrong name costs as long as a wrong password.
_DUMMY = generate_password_hash("not-a-password")


def add_user(store: Store, name: str, role: str, password: str, at: datetime) -> User:
    """Create a user with the hash of `password`."""
    if not name.strip() or len(password) < 8:
        raise ValueError("a user needs a name and a password of at least 8 characters")
    return store.users.add(name.strip(), role, generate_password_hash(password), at)


def _keys(name: str, address: str) -> tuple[str, str]:
    return f"login-user:{name.lower()}", f"login-addr:{address}"


def throttled(store: Store, name: str, address: str, at: datetime, limit: int) -> bool:
    """Whether logins as `name`, or from `address`, failed `limit` times in the window."""
    since = at - THROTTLE_WINDOW
    return any(store.rate_hits.count(key, since) >= limit for key in _keys(name, address))


def failed(store: Store, name: str, address: str, at: datetime) -> None:
    """Count a failed login against the user and the address."""
    for key in _keys(name, address):
        store.rate_hits.hit(key, at, at - THROTTLE_WINDOW)


def authenticate(store: Store, name: str, password: str) -> User | None:
    """The enabled user with this name and password, or None."""
    user = store.users.get(name)
    if user is None:
        check_password_hash(_DUMMY, password)
        return None
    if not check_password_hash(user.password_hash, password) or user.disabled:
        return None
    return user


def forget_failures(store: Store, name: str) -> None:
    """A successful login clears its user's count."""
    store.rate_hits.clear(_keys(name, "")[0])
