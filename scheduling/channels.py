"""How a reminder leaves the building: email through Django's email backend (any provider that
plugs into it, e.g. django-anymail), SMS through a small backend chosen by settings.

Every message carries an idempotency key that is stable per reminder: if a worker dies after the
provider accepted a message but before the database recorded it, the retry repeats the key and a
provider that honours keys (the HTTP backend sends it; the file backend honours it) delivers the
message once. Before a message is sent again, a backend that can asks the provider whether it
already has it (`accepted`), so a repeat call is the exception even with a provider that ignores
the key."""

import json
import os
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import asdict, dataclass
from pathlib import Path

from django.conf import settings
from django.core.mail import EmailMessage
from django.utils.module_loading import import_string

from patients.models import Channel


class TransientSendError(Exception):
    """The provider may accept the message later (timeout, 429, 5xx): retried with backoff."""


class PermanentSendError(Exception):
    """The provider refused the message itself (bad number, 4xx): retrying cannot help."""


@dataclass(frozen=True)
class OutgoingMessage:
    channel: str
    to: str
    subject: str
    body: str
    idempotency_key: str


class SmsBackend:
    def send(self, message: OutgoingMessage) -> str:
        """Send one text message and return the provider's message id."""
        raise NotImplementedError

    def accepted(self, message: OutgoingMessage) -> str | None:
        """The provider's id for a message it already accepted under this idempotency key, or
        None when it has none (or cannot be asked). Raises TransientSendError when the provider
        cannot answer now."""
        return None


class ConsoleSmsBackend(SmsBackend):
    """Development: prints the text to the worker's terminal (never used in production)."""

    def send(self, message: OutgoingMessage) -> str:
        print(f"SMS to {message.to} [{message.idempotency_key}]\n{message.body}\n", flush=True)
        return f"console-{message.idempotency_key}"


class NoSmsBackend(SmsBackend):
    """No provider configured: the reminder fails with a reason front desk can read."""

    def send(self, message: OutgoingMessage) -> str:
        raise PermanentSendError("No SMS provider is configured (SMS_BACKEND).")


class FileSmsBackend(SmsBackend):
    """Development and tests: one JSON file per message in SMS_FILE_DIR, named by its idempotency
    key and created exclusively, so a repeated key is answered with the first message's id as a
    key-honouring provider would. Every call is also appended to `calls.log` (and every question
    to `lookups.log`), so a test can count how often the worker tried, not only what was
    delivered. SMS_FILE_LATENCY_SECONDS plays a real provider's latency, half before it accepts
    a message and half before its answer is back, so that a worker killed mid-send can leave a
    message accepted that the database never heard of."""

    def __init__(self, directory: str | None = None):
        self.directory = Path(directory or settings.SMS_FILE_DIR)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.latency = settings.SMS_FILE_LATENCY_SECONDS

    def send(self, message: OutgoingMessage) -> str:
        time.sleep(self.latency / 2)
        # One short O_APPEND write per call: atomic between processes.
        with open(self.directory / "calls.log", "a") as log:
            log.write(f"{message.idempotency_key} {os.getpid()}\n")
        path = self.directory / f"{message.idempotency_key}.json"
        try:
            with open(path, "x") as out:
                json.dump(asdict(message), out)
        except FileExistsError:
            pass
        time.sleep(self.latency / 2)
        return f"file-{message.idempotency_key}"

    def accepted(self, message: OutgoingMessage) -> str | None:
        with open(self.directory / "lookups.log", "a") as log:
            log.write(f"{message.idempotency_key} {os.getpid()}\n")
        if (self.directory / f"{message.idempotency_key}.json").exists():
            return f"file-{message.idempotency_key}"
        return None


class HttpSmsBackend(SmsBackend):
    """A JSON-over-HTTPS SMS provider: POST {to, from, body} to SMS_HTTP_URL with a bearer token
    and an Idempotency-Key header; the answer's `id` is the provider's message id. Before a
    message goes out again, GET SMS_HTTP_STATUS_URL (`{key}`: the idempotency key) answers 200
    with the `id` of a message the provider already accepted, or 404."""

    def __init__(self, url: str | None = None, token: str | None = None, sender: str | None = None):
        self.url = url or settings.SMS_HTTP_URL
        self.token = token if token is not None else settings.SMS_HTTP_TOKEN
        self.sender = sender if sender is not None else settings.SMS_FROM
        self.timeout = settings.SMS_HTTP_TIMEOUT
        status_url = settings.SMS_HTTP_STATUS_URL
        self.status_url = f"{self.url.rstrip('/')}/{{key}}" if status_url is None else status_url

    def _call(self, request: urllib.request.Request) -> dict:
        request.add_header("Authorization", f"Bearer {self.token}")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310 (the configured provider)  # nosec B310
                return json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as error:
            # 501 Not Implemented: asking again cannot help.
            if error.code == 429 or (error.code >= 500 and error.code != 501):
                raise TransientSendError(f"SMS provider answered {error.code}") from error
            raise PermanentSendError(f"SMS provider refused the message ({error.code})") from error
        except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
            raise TransientSendError(f"SMS provider unreachable: {error}") from error
        except ValueError as error:
            raise TransientSendError("SMS provider answered something that is not JSON") from error

    def send(self, message: OutgoingMessage) -> str:
        payload = {"to": message.to, "from": self.sender, "body": message.body}
        request = urllib.request.Request(  # noqa: S310 (the URL is the operator's setting)
            self.url,
            data=json.dumps(payload).encode(),
            method="POST",
            headers={
                "Content-Type": "application/json",
                "Idempotency-Key": message.idempotency_key,
            },
        )
        provider_id = str(self._call(request).get("id", ""))
        if not provider_id:
            raise TransientSendError("SMS provider answered without a message id")
        return provider_id

    def accepted(self, message: OutgoingMessage) -> str | None:
        if not self.status_url:
            return None
        url = self.status_url.replace("{key}", urllib.parse.quote(message.idempotency_key))
        request = urllib.request.Request(url, method="GET")  # noqa: S310 (the operator's setting)
        try:
            answer = self._call(request)
        except PermanentSendError:
            # 404: the provider never accepted it. Any other refusal: it cannot be asked this
            # way. Either way the message is sent, and its idempotency key still protects it.
            return None
        return str(answer.get("id", "")) or None


SMS_BACKENDS = {
    "none": NoSmsBackend,
    "console": ConsoleSmsBackend,
    "file": FileSmsBackend,
    "http": HttpSmsBackend,
}


def sms_backend() -> SmsBackend:
    name = settings.SMS_BACKEND
    backend = SMS_BACKENDS.get(name) or import_string(name)
    return backend()


def send_email(message: OutgoingMessage) -> str:
    domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2] or "localhost"
    message_id = f"<{message.idempotency_key}@{domain}>"
    email = EmailMessage(
        subject=message.subject,
        body=message.body,
        to=[message.to],
        headers={"Message-ID": message_id, "Idempotency-Key": message.idempotency_key},
    )
    try:
        email.send()
    except (OSError, TimeoutError) as error:  # SMTP refusals and network trouble
        raise TransientSendError(f"email not accepted: {error.__class__.__name__}") from error
    # Providers plugged in through django-anymail report their own id.
    status = getattr(email, "anymail_status", None)
    return getattr(status, "message_id", None) or message_id


def accepted(message: OutgoingMessage) -> str | None:
    """The provider's id if it already accepted this message (asked before sending it again), or
    None: not accepted, or the channel cannot tell (email through SMTP)."""
    if message.channel == Channel.SMS:
        return sms_backend().accepted(message)
    return None


def send(message: OutgoingMessage) -> str:
    """Send through the message's channel; returns the provider's message id."""
    if message.channel == Channel.EMAIL:
        return send_email(message)
    if message.channel == Channel.SMS:
        return sms_backend().send(message)
    raise PermanentSendError(f"unknown channel {message.channel}")
