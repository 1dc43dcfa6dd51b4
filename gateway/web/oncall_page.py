"""`/oncall`: who is on call now and next per level, the open pages, acknowledge one."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue

from gateway.desk.oncall import ConfigOnCall, OnCall
from gateway.web import context
from gateway.web.login import actor, current_user, login_required

oncall = Blueprint("oncall", __name__)
_KEY = "intake.oncall"  # the paging room installs its RosterOnCall here (gateway.web.paging)


def on_call() -> OnCall:
    """The app's OnCall: the one installed in app.extensions, else the config's list."""
    found = current_app.extensions.get(_KEY)
    return found if isinstance(found, OnCall) else ConfigOnCall(context.services().config)


@oncall.get("/oncall")
@login_required
def show() -> ResponseReturnValue:
    """The duty table and the open pages."""
    services = context.services()
    source = on_call()
    return render_template("oncall.html", user=current_user(), tz=services.sla.calendar.tz,
                           duties=source.duties(services.clock()), pages=source.open_pages())


@oncall.post("/oncall/pages/<page_id>/ack")
@login_required
def acknowledge(page_id: str) -> ResponseReturnValue:
    """Acknowledge a page from the page."""
    if on_call().acknowledge(page_id, actor(), context.services().clock()):
        flash(f"Page {page_id} acknowledged.", "ok")
    else:
        flash(f"Page {page_id} is not open.", "error")
    return redirect(url_for("oncall.show"))
