"""GET/POST /login and POST /logout: the desk's users, throttled per user and address."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue

from gateway.desk.accounts import authenticate, failed, forget_failures, throttled
from gateway.web import context

auth = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str:
    # Only a path on this site: never an open redirect to another host.
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return url_for("queue.index")


@auth.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    """The login form; a good name and password start a session."""
    if request.method == "GET":
        return render_template("login.html", next=request.args.get("next", ""))
    services = context.services()
    name = request.form.get("username", "").strip()
    password = request.form.get("password", "")
    address = request.remote_addr or "unknown"
    now = services.clock()
    if throttled(services.store, name, address, now, services.config.web.login_attempts):
        return render_template("login.html", error="Too many attempts; wait 15 minutes.",
                               next=request.form.get("next", "")), 429
    user = authenticate(services.store, name, password)
    if user is None:
        failed(services.store, name, address, now)
        return render_template("login.html", error="Wrong name or password.",
                               next=request.form.get("next", "")), 401
    forget_failures(services.store, name)
    session.clear()
    session["user"] = user.name
    return redirect(_safe_next(request.form.get("next")))


@auth.post("/logout")
def logout() -> ResponseReturnValue:
    """End the session."""
    session.clear()
    return redirect(url_for("auth.login"))
