"""The signed links in a page: GET shows what the link does and a button, POST does it
(a link previewer fetching the GET acknowledges nothing). Single use, expiring."""

from __future__ import annotations

from flask import Blueprint, Flask, render_template, request
from flask.typing import ResponseReturnValue

from gateway.paging.actions import acknowledge, request_call_back
from gateway.paging.engine import PagingContext
from gateway.paging.links import LinkError, read_token, use_token
from gateway.paging.oncall_view import RosterOnCall
from gateway.paging.replies import PagingDesk
from gateway.runtime.paging import paging_context
from gateway.runtime.services import Services
from voice.sms import sms_blueprint

ACTIONS = {"ack": "Acknowledge the page", "call": "Call the caller back"}


def register_paging(app: Flask, services: Services) -> None:
    """The /sms/* webhooks, the masked call-back TwiML and the page links."""
    ctx = paging_context(services)
    app.extensions["intake.oncall"] = RosterOnCall(ctx)  # the desk's /oncall page reads it
    app.register_blueprint(sms_blueprint(PagingDesk(ctx), services.clock,
                                         services.config.http.public_url))
    app.register_blueprint(_links(ctx))


def _links(ctx: PagingContext) -> Blueprint:
    bp = Blueprint("paging", __name__, template_folder="templates")

    @bp.route("/paging/<action>/<token>", methods=["GET", "POST"])
    def link(action: str, token: str) -> ResponseReturnValue:
        """Show (GET) or follow (POST) a page's link."""
        now = ctx.clock()
        try:
            found = read_token(ctx.secret, token, now)
        except LinkError as exc:
            return render_template("paging_link.html", message=str(exc)), 403
        page = ctx.store.pages.get(found.page_id)
        engineer = ctx.config.oncall.by_name(found.engineer)
        if found.action != action or page is None or engineer is None:
            return render_template("paging_link.html", message="this link is not valid"), 403
        number = str(page.payload.get("ticket"))
        if request.method == "GET":
            return render_template("paging_link.html", ticket=number, action=ACTIONS[action],
                                   engineer=engineer.name)
        if not use_token(ctx.store, token, now):
            return render_template("paging_link.html", message="this link was used before"), 410
        if action == "call":
            message = request_call_back(ctx, page, engineer, now, f"link:{token[-24:]}")
        elif acknowledge(ctx, page, engineer.name, now, "link"):
            message = f"Acknowledged {number}. No one else will be paged for it."
        else:
            message = f"{number} was already acknowledged by {page.acked_by or 'someone'}."
        return render_template("paging_link.html", message=message, ticket=number)

    return bp
