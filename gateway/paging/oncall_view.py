"""The /oncall page's view of the paging room (`gateway.desk.oncall.OnCall`): who is on call
now and next per level from the roster, the pages still open, and acknowledging one."""

from __future__ import annotations

from datetime import datetime

from gateway.desk.oncall import ConfigOnCall, Duty, OpenPage
from gateway.paging.actions import acknowledge
from gateway.paging.engine import PagingContext
from gateway.config.oncall import LEVELS
from gateway.paging.roster import next_handover, on_call
from store.paging import PageStatus


class RosterOnCall:
    """The roster's duties and the store's open pages, for the desk's /oncall page."""

    def __init__(self, ctx: PagingContext) -> None:
        self._ctx = ctx

    def duties(self, at: datetime) -> list[Duty]:
        """Each level with someone on call: who now, and who after the next hand-over."""
        oncall, tz = self._ctx.config.oncall, self._ctx.config.desk.tz
        found = []
        for level in LEVELS:
            now = on_call(oncall, level, at, tz)
            if not now:
                continue
            later = on_call(oncall, level, next_handover(oncall, level, at, tz), tz)
            found.append(Duty(level=level, now=", ".join(e.name for e in now),
                              next=", ".join(e.name for e in later) or None))
        # No roster yet: the 501 dial list of the config is still who answers.
        return found or ConfigOnCall(self._ctx.config).duties(at)

    def open_pages(self) -> list[OpenPage]:
        """Pages not acknowledged yet (exhausted ones included), oldest first."""
        pages = [*self._ctx.store.pages.pages(status=PageStatus.OPEN),
                 *self._ctx.store.pages.pages(status=PageStatus.EXHAUSTED)]
        out = []
        for page in sorted(pages, key=lambda p: p.created_at):
            notices = self._ctx.store.pages.notices(page_id=page.id)
            out.append(OpenPage(
                id=str(page.id), ticket=str(page.payload.get("ticket", "")),
                level=int(page.payload.get("start_level") or 1), sent_at=page.created_at,
                to=", ".join(sorted({n.engineer for n in notices})) or "not sent yet"))
        return out

    def acknowledge(self, page_id: str, by: str, at: datetime) -> bool:
        """Acknowledge from the web page, as an SMS or a link would."""
        page = self._ctx.store.pages.get(int(page_id)) if page_id.isdigit() else None
        if page is None:
            return False
        return acknowledge(self._ctx, page, by, at, via="web")
