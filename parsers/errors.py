"""The parsers' error family."""


class ParseError(Exception):
    "Input that could not be parsed"


class PhoneNumberError(ParseError):
    "Text that is not a valid phone number"


class AddressError(ParseError):
    "Text that is not a syntactically valid email address"


class MessageError(ParseError):
    "Bytes that are not an email message at all"


class LimitError(MessageError):
    "A message beyond the bounds one message may hold (parsing it could take too long)"
