"""The store's error family: one root, one subclass per failure."""


class StoreError(Exception):
    "The ticket store could not do what was asked"


class StoreBusyError(StoreError):
    "The database stayed locked by another writer past the retry budget"


class StoreUnavailableError(StoreError):
    "The database file cannot be opened or read"


class SchemaTooNewError(StoreError):
    "The database was migrated by a newer release than this one"


class NotFoundError(StoreError):
    "Record not found"


class TicketNotFound(NotFoundError):
    "No ticket has that number"
