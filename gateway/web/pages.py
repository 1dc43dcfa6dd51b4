"""The queue (`GET /`), its live rows (`GET /queue/rows`) and the rejections page."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from gateway.desk.portal import LABELS, Submission
from gateway.desk.rejections import Incomplete, complete, original_text
from gateway.web.login import actor
from store import DuplicateSourceError, NotFoundError

from gateway.web import context
from gateway.web.login import current_user, login_required
from gateway.web.queue_rows import FILTERS, matches, row
from store.models import STATUSES, Channel

pages = Blueprint("queue", __name__, template_folder="templates", static_folder="static",
                  static_url_path="/assets")  # the app keeps /static for itself


def _rows() -> dict[str, object]:
    services = context.services()
    filters = {name: request.args.get(name, "") for name in FILTERS}
    query = request.args.get("q", "")
    wanted = filters["status"]
    tickets = services.store.tickets.queue(include_closed=bool(wanted))
    now = services.clock()
    rows = [row(t, now, services.sla) for t in tickets if matches(t, filters, query)]
    return {"rows": rows, "filters": filters, "q": query, "statuses": STATUSES,
            "channels": tuple(Channel), "levels": services.sla.levels, "user": current_user()}


@pages.get("/")
@login_required
def index() -> ResponseReturnValue:
    """Open tickets, priority then oldest first, refreshed in place by static/queue.js."""
    return render_template("queue.html", **_rows())


@pages.get("/queue/rows")
@login_required
def rows() -> ResponseReturnValue:
    """Just the queue's rows, for the page to swap in without a reload."""
    return render_template("queue_rows.html", **_rows())


@pages.get("/rejections")
@login_required
def rejections() -> ResponseReturnValue:
    """Messages that could not become tickets, with what was missing."""
    services = context.services()
    return render_template("rejections.html", user=current_user(), tz=services.sla.calendar.tz,
                           rejections=services.store.rejections.recent(200))


@pages.route("/rejections/<int:rejection_id>", methods=["GET", "POST"])
@login_required
def rejection(rejection_id: int) -> ResponseReturnValue:
    """The rejected message as text, and a form to open its ticket by filling the gaps."""
    services = context.services()
    try:
        found = services.store.rejections.get(rejection_id)
    except NotFoundError:
        abort(404)
    subject, text = original_text(services, found)
    form = request.form if request.method == "POST" else {}
    if request.method == "POST" and found.resolved_ticket is None:
        sub = Submission(name=form.get("name", ""), company=form.get("company", ""),
                         callback_numbers=form.get("callback_numbers", ""),
                         description=form.get("description", ""), urgency=4)
        try:
            ticket = complete(services, found, sub, actor())
        except Incomplete as exc:
            flash("Still missing: " + ", ".join(LABELS[g] for g in exc.gaps), "error")
        except DuplicateSourceError as exc:
            flash(f"That message already opened {exc}", "error")
        else:
            return redirect(url_for("tickets.show", number=ticket.number))
    return render_template("rejection.html", user=current_user(), r=found, subject=subject,
                           text=text, form=form, tz=services.sla.calendar.tz)
