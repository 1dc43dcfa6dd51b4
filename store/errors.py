"""The store's error family: one root, one subclass per failure. No database error leaves
the store as anything else (the backend chains the original with `raise ... from`)."""


class StoreError(Exception):
    "The ticket store could not do what was asked"


class StoreBusyError(StoreError):
    "The database stayed locked by another writer past the retry budget"


class StoreUnavailableError(StoreError):
    "The database file cannot be opened or read"


class StoreUnreachableError(StoreUnavailableError):
    "No connection to the database came within the wait: asking again at once waits again"


class StoreFullError(StoreError):
    "The database or the disk under it is full: nothing more can be written"


class StoreConflictError(StoreError):
    "A write broke one of the database's constraints; nothing was written"


class SchemaTooNewError(StoreError):
    "The database was migrated by a newer release than this one"


class NotFoundError(StoreError):
    "Record not found"


class TicketNotFound(NotFoundError):
    "No ticket has that number"


class DuplicateSourceError(StoreError):
    "A ticket was already opened from that Message-ID or CallSid"

    def __init__(self, number: str) -> None:
        super().__init__(f"already opened as {number}")
        self.number = number
