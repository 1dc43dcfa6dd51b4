"""The gateway's error family. `parsers` and `store` keep roots of their own (they import
nothing of ours); adapters turn all of them into SMTP codes, TwiML or HTTP statuses."""


class IntakeError(Exception):
    "A request could not be taken in"


class ConfigError(IntakeError):
    "The configuration file is missing, unreadable or has a bad value"


class ImportFileError(IntakeError):
    "A directory import file could not be read"


class StartupError(IntakeError):
    "A listener could not start (port in use, address not available)"
