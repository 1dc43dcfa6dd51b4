"""`intake-gateway call`: a simulated phone call through the webhooks, as Twilio makes it."""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path

import click

from gateway.cli.common import command_config, config_option

@click.command()
@config_option
@click.option("--from", "caller", default="+15125550100", show_default=True,
              help="Caller ID (E.164; 'anonymous' for a withheld number).")
@click.option("--to", "line", help="The number dialled. Default: the first [[voice.lines]].")
@click.option("--digits", multiple=True,
              help="What the caller enters at each menu prompt, in order ('' for silence).")
@click.option("--hang-up", is_flag=True, help="Hang up at the first prompt --digits leaves.")
@click.option("--record-seconds", default=20, show_default=True, type=click.IntRange(0),
              help="How long the caller speaks at the tone (0: silence).")
@click.option("--message", help="What the caller says (the transcription Twilio sends).")
@click.option("--no-answer", is_flag=True, help="Nobody answers: no on-call engineer, no technician.")
@click.option("--position", default=1, show_default=True, type=click.IntRange(1),
              help="The caller's position when joining the queue.")
@click.option("--at", "at", type=click.DateTime(["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]),
              help="The moment of the call on the desk's clock (in-process only). Default: now.")
@click.option("--url", help="A running gateway to call over HTTP (e.g. http://127.0.0.1:8080). "
                            "Default: the app in this process, on a scratch copy of the store "
                            "(the directory copied in): nothing saved, nothing sent.")
def call(config_path: Path | None, caller: str, line: str | None, digits: tuple[str, ...],
         hang_up: bool, record_seconds: int, message: str | None, no_answer: bool, position: int,
         at: datetime | None, url: str | None) -> None:
    """Simulate a phone call the way Twilio makes it: signed webhooks, TwiML followed, and
    what the caller hears printed, then the ticket it left."""
    from gateway.sim.run import simulate
    from gateway.sim.simulator import Script

    config = command_config(config_path)
    # The story of the call goes to stdout; only the in-process gateway's trouble is logged.
    logging.getLogger().setLevel(max(logging.WARNING, logging.getLogger().level))
    if at is not None and url:
        raise click.UsageError("--at sets the in-process clock; a gateway at --url uses its own")
    script = Script(caller=caller, to=line, digits=digits, hang_up=hang_up,
                    record_seconds=record_seconds, message=message or Script.message,
                    answer=not no_answer, queue_position=position)
    report, outcome = simulate(config, script, url=url,
                               at=at.replace(tzinfo=config.desk.tz) if at else None)
    for text in [*report.lines, *outcome]:
        click.echo(text)
