"""`/portal/<secret>`: each client's form (seed 003), and `/survey/<token>`: the one-question
satisfaction survey sent with a resolution."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from gateway.desk.portal import LABELS, PORTAL_WINDOW, Submission, missing, submit
from gateway.web import context

portal = Blueprint("portal", __name__)


def _company(secret: str) -> str:
    company = context.services().store.portal_links.company(secret)
    if company is None:
        abort(404)
    return company


def _page(secret: str, company: str, **extra: object) -> str:
    services = context.services()
    return render_template("portal.html", secret=secret, company=company,
                           levels=services.sla.levels, web=services.config.web,
                           form=extra.pop("form", {"company": company}), **extra)


@portal.get("/portal/<secret>")
def form(secret: str) -> ResponseReturnValue:
    """The empty form, company filled in."""
    return _page(secret, _company(secret))


@portal.post("/portal/<secret>")
def send(secret: str) -> ResponseReturnValue:
    """Check the four required fields and open a ticket, or name what is missing."""
    company = _company(secret)
    services = context.services()
    now = services.clock()
    hits = services.store.rate_hits.hit(f"portal:{request.remote_addr}", now, now - PORTAL_WINDOW)
    if hits > services.config.web.portal_posts:
        return _page(secret, company, form=request.form,
                     error="Too many requests from your address; please call us."), 429
    sub = Submission(name=request.form.get("name", ""), company=request.form.get("company", ""),
                     callback_numbers=request.form.get("callback_numbers", ""),
                     description=request.form.get("description", ""),
                     urgency=request.form.get("urgency", 4, type=int) or 4)
    gaps = missing(sub, services.config.desk.phone_region)
    if gaps:
        return _page(secret, company, form=request.form, missing=gaps, labels=LABELS), 422
    ticket = submit(services.intake, sub, services.config.desk.phone_region, now)
    return redirect(url_for("portal.done", secret=secret, number=ticket.number))


@portal.get("/portal/<secret>/done/<number>")
def done(secret: str, number: str) -> ResponseReturnValue:
    """The answer page: the SR number and when the desk will be in touch."""
    company = _company(secret)
    services = context.services()
    ticket = services.store.tickets.get(number)
    if (ticket.company or "").lower() != company.lower() or ticket.channel != "portal":
        abort(404)
    due = ticket.first_response_due
    return render_template("portal_done.html", t=ticket, company=company,
                           due=due.astimezone(services.sla.calendar.tz) if due else None)


@portal.route("/survey/<token>", methods=["GET", "POST"])
def survey(token: str) -> ResponseReturnValue:
    """One question, answered once, by the signed link in the resolution mail."""
    work = context.work()
    number = work.survey_ticket(token)
    if request.method == "POST":
        answered = work.answer_survey(token, request.form.get("answer", 0, type=int))
        return render_template("survey.html", number=answered, thanks=answered is not None)
    if number is None:
        return render_template("survey.html", number=None, gone=True), 410
    return render_template("survey.html", number=number, token=token)
