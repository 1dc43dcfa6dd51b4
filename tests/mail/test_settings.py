"""mail.settings: `Secret`, the value a password is kept in, never shows itself."""

from __future__ import annotations

import copy
import logging
import pickle
from collections.abc import Callable
from dataclasses import asdict, replace

import pytest

from mail.settings import ImapSettings, RelaySettings, Secret

VALUE = "hunter2-correct-horse"
HIDDEN = "Secret('********')"


@pytest.mark.parametrize("shown", [repr, str, "{}".format, lambda s: f"{s!r} {s!s} {s}"])
def test_a_secret_never_prints_itself(shown: Callable[[Secret], str]) -> None:
    text = shown(Secret(VALUE))
    assert VALUE not in text and "********" in text


def test_settings_holding_a_secret_never_print_it(caplog: pytest.LogCaptureFixture) -> None:
    imap = ImapSettings(password=Secret(VALUE))
    relay = RelaySettings(username="desk", password=Secret(VALUE))
    logging.getLogger("test").warning("settings %s %r", imap, relay)
    for text in (repr(imap), str(relay), repr(asdict(imap)), caplog.text):
        assert VALUE not in text and HIDDEN in text


def test_reveal_gives_the_value() -> None:
    assert Secret(VALUE).reveal() == VALUE


def test_equality_is_by_value_and_only_between_secrets() -> None:
    assert Secret(VALUE) == Secret(VALUE)
    assert Secret(VALUE) != Secret("something else")
    assert Secret(VALUE) != VALUE  # type: ignore[comparison-overlap]
    assert ImapSettings(password=Secret(VALUE)) == ImapSettings(password=Secret(VALUE))


def test_a_secret_is_immutable_and_unhashable() -> None:
    secret = Secret(VALUE)
    with pytest.raises(AttributeError):
        secret._value = "changed"
    with pytest.raises(TypeError):
        hash(secret)
    assert secret.reveal() == VALUE


def test_copies_keep_the_secret_and_pickling_refuses() -> None:
    secret = Secret(VALUE)
    assert copy.deepcopy(secret) is secret
    assert replace(RelaySettings(password=secret), port=25).password is secret
    with pytest.raises(TypeError, match="not pickled"):
        pickle.dumps(secret)


def test_an_empty_secret_is_refused() -> None:
    with pytest.raises(ValueError):
        Secret("")
