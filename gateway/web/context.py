"""The one way a view reaches the shared services: `services()`, typed and checked."""

from __future__ import annotations

from flask import Flask, current_app

from gateway.desk.work import DeskWork
from gateway.runtime.services import Services

_KEY = "intake"  # the app.extensions entry create_app fills


def install(app: Flask, services: Services) -> None:
    """Make `services` what `services()` returns inside this app's requests."""
    app.extensions[_KEY] = services


def services() -> Services:
    """The services of the app handling the current request (set by `install`)."""
    found = current_app.extensions.get(_KEY)
    if not isinstance(found, Services):
        raise RuntimeError(f"app.extensions[{_KEY!r}] holds no Services: the app was not "
                           "built by create_app")
    return found


_WORK = "intake.work"  # the DeskWork register_desk puts beside the services


def install_work(app: Flask, work: DeskWork) -> None:
    """Make `work` what `work()` returns inside this app's requests."""
    app.extensions[_WORK] = work


def work() -> DeskWork:
    """The desk's actions on tickets, for the pages and the API."""
    found = current_app.extensions.get(_WORK)
    if not isinstance(found, DeskWork):
        raise RuntimeError("the desk's pages were not registered by create_app")
    return found
