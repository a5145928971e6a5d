"""Email over SMTP (threshold alerts, the weekly digest): the standard library's ``smtplib`` and
``email.message``. Settings: ``PULSE_SMTP_HOST`` / ``_PORT`` / ``_USERNAME`` / ``_PASSWORD`` (secret:
never logged) / ``_STARTTLS`` / ``_SSL``, ``PULSE_ALERT_EMAIL_FROM``, ``PULSE_ALERT_EMAIL_TO``."""
from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage

from data_access.config import Settings


class MailError(RuntimeError):
    """A message could not be handed to the SMTP server (the message names the server, never a password)."""


def is_configured(settings: Settings) -> bool:
    """True when a server and at least one recipient are set."""
    return bool(settings.smtp_host and settings.alert_email_to)


def send_mail(settings: Settings, subject: str, text: str, html: str | None = None,
              to: list[str] | None = None, timeout_s: float = 15.0) -> None:
    """Send one message (plain text, with an HTML alternative when given) to ``to`` (default
    ``alert_email_to``). Raises ``MailError`` when the server refuses it or cannot be reached."""
    msg = EmailMessage()
    msg["Subject"], msg["From"] = subject, settings.alert_email_from
    msg["To"] = ", ".join(to or settings.alert_email_to)
    msg.set_content(text)
    if html:
        msg.add_alternative(html, subtype="html")
    where = f"{settings.smtp_host}:{settings.smtp_port}"
    try:
        if settings.smtp_ssl:
            server = smtplib.SMTP_SSL(settings.smtp_host, settings.smtp_port, timeout=timeout_s,
                                      context=ssl.create_default_context())
        else:
            server = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=timeout_s)
        with server:
            if settings.smtp_starttls and not settings.smtp_ssl:
                server.starttls(context=ssl.create_default_context())
            if settings.smtp_username and settings.smtp_password:
                server.login(settings.smtp_username, settings.smtp_password.get_secret_value())
            server.send_message(msg)
    except (OSError, smtplib.SMTPException) as e:
        raise MailError(f"SMTP server {where} did not take the message: {type(e).__name__}") from None
