"""Command-line entry points: ``flask --app app create-admin`` and ``demo``."""
from __future__ import annotations

import click
from flask import Flask

from .errors import DomainError
from .extensions import db


def init_app(app: Flask) -> None:
    @app.cli.command("create-admin")
    @click.option("--email", prompt=True)
    @click.option("--name", prompt=True)
    @click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
    def create_admin(email: str, name: str, password: str) -> None:
        """Create the first admin (or make an existing account admin)."""
        from .accounts.services import create_admin as create

        try:
            user = create(email=email, name=name, password=password)
        except DomainError as err:
            raise click.ClickException(str(err.message)) from err
        db.session.commit()
        click.echo(f"Admin {user.email} is ready.")

    @app.cli.group("mail")
    def mail_group() -> None:
        """The e-mail outbox."""

    @mail_group.command("send")
    @click.option("--loop", is_flag=True, help="Keep running (the production worker).")
    @click.option("--interval", default=10, show_default=True, help="Seconds between rounds.")
    def mail_send(loop: bool, interval: int) -> None:
        """Deliver the e-mails that are due, then exit (or keep going with --loop)."""
        import time

        from .mail.outbox import deliver_due

        while True:
            counts = deliver_due()
            dropped = counts.get("dropped", 0)  # recipes whose registration is gone
            if counts["sent"] or counts["queued"] or counts["failed"] or dropped or not loop:
                click.echo(f"sent {counts['sent']}, to retry {counts['queued']}, failed {counts['failed']}, "
                           f"no longer needed {dropped}")
            if not loop:
                return
            time.sleep(interval)

    @mail_group.command("receive")
    @click.option("--loop", is_flag=True, help="Keep running (the production worker).")
    @click.option("--interval", default=None, type=click.IntRange(min=1),
                  help="Seconds between rounds (default: INBOUND_POLL_SECONDS).")
    def mail_receive(loop: bool, interval: int | None) -> None:
        """Read calendar replies from the inbound IMAP mailbox and act on them
        (each message once, in its own transaction), then exit (or keep going with --loop)."""
        import logging
        import time

        from .calendar.inbound import InboundNotConfigured, receive

        interval = interval or app.config.get("INBOUND_POLL_SECONDS", 60)
        while True:
            try:
                counts = receive()
            except InboundNotConfigured as err:
                raise click.ClickException(str(err)) from err
            except Exception as err:  # the server is down: try again next round
                if not loop:
                    raise click.ClickException(f"{type(err).__name__}: {err}") from err
                logging.getLogger(__name__).exception("mail receive failed; trying again")
            else:
                click.echo(str(counts))
                for line in counts.errors:
                    click.echo(f"error: {line}", err=True)
            if not loop:
                return
            time.sleep(interval)

    @app.cli.group("reminders")
    def reminders_group() -> None:
        """Reminders before sessions."""

    @reminders_group.command("send")
    def reminders_send() -> None:
        """Queue reminders for sessions starting within REMINDER_LEAD_HOURS (each once)."""
        from .events.reminders import send_reminders

        count = send_reminders()
        db.session.commit()
        click.echo(f"{count} reminders queued")

    @app.cli.group("registrations")
    def registrations_group() -> None:
        """Registrations and the waiting list."""

    @registrations_group.command("expire-offers")
    def registrations_expire_offers() -> None:
        """Pass on the seats offered from a waiting list whose deadline has passed
        (to the next eligible person, or free). Safe to run as often as you like."""
        from .events.offers import expire_offers

        count = expire_offers()
        db.session.commit()
        click.echo(f"{count} offer(s) expired")

    @app.cli.group("checkin")
    def checkin_group() -> None:
        """Check people in from the command line (same rules as the scanner)."""

    @checkin_group.command("scan")
    @click.argument("session_id", type=int)
    @click.argument("ticket")
    @click.option("--as", "actor_email", required=True, help="E-mail of the door staff or staff member.")
    @click.option("--override", is_flag=True, help="Staff: ignore the check-in window.")
    def checkin_scan(session_id: int, ticket: str, actor_email: str, override: bool) -> None:
        """Check in the ticket (URL from the QR code, or ticket code) for a session."""
        from .accounts.services import get_user_by_email
        from .checkin import services
        from .models.checkin import CheckInMethod
        from .models.events import EventSession

        actor = get_user_by_email(actor_email)
        session = db.session.get(EventSession, session_id)
        if actor is None or session is None:
            raise click.ClickException("Unknown user or session.")
        try:
            result = services.check_in_scanned(actor, session, ticket, method=CheckInMethod.CLI,
                                               override=override)
        except DomainError as err:
            raise click.ClickException(str(err.message)) from err
        db.session.commit()
        click.echo(f"{result.tone.upper()}: {result.message}")
        if not result.ok:
            raise SystemExit(1)

    @app.cli.group("rounds")
    def rounds_group() -> None:
        """Topic rounds."""

    @rounds_group.command("advance")
    def rounds_advance() -> None:
        """Move rounds to the phase their dates say and send the mails that are due."""
        from .voting.services import advance_all

        changed = advance_all()
        db.session.commit()
        click.echo(f"{changed} round(s) or series updated.")

    @app.cli.group("privacy")
    def privacy_group() -> None:
        """Personal data (DSGVO)."""

    @privacy_group.command("purge")
    @click.option("--months", type=click.IntRange(min=0), default=None,
                  help="Retention period (default: PRIVACY_RETENTION_MONTHS).")
    def privacy_purge(months: int | None) -> None:
        """Anonymise registrations of long-past events and waiting-list entries of
        past events, delete old e-mails and expired links. Safe to run daily."""
        from .privacy.services import purge

        report = purge(months=months)
        db.session.commit()
        click.echo(f"Events ended before {report.cutoff:%Y-%m-%d}: {report.registrations} registration(s) "
                   f"anonymised; waiting-list entries of past events: {report.waiting_list}; "
                   f"e-mails deleted: {report.emails}; expired links deleted: {report.tokens}; "
                   f"calendar replies deleted: {report.calendar_replies}.")
        if not report.changed:
            click.echo("Nothing to do.")

    @app.cli.command("demo")
    def demo() -> None:
        """Fill the database with fictional demo data (safe to run twice)."""
        from .demo import load_demo_data

        for line in load_demo_data():
            click.echo(line)
