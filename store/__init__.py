"""The ticket store. Imports nothing else of intake-gateway's."""

from store.errors import (
    NotFoundError,
    SchemaTooNewError,
    StoreBusyError,
    StoreError,
    StoreUnavailableError,
    TicketNotFound,
)
from store.models import Company, Contact, Event, NewTicket, OutboxItem, Rejection, Ticket
from store.sqlite import SqliteStore as Store
from store.sqlite.directory import ContactRecord
from store.sqlite.tickets import DuplicateSourceError

__all__ = [
    "Company", "Contact", "ContactRecord", "DuplicateSourceError", "Event", "NewTicket",
    "NotFoundError", "OutboxItem", "Rejection", "SchemaTooNewError", "Store", "StoreBusyError",
    "StoreError", "StoreUnavailableError", "Ticket", "TicketNotFound",
]
