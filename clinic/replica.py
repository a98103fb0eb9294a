"""Reports and exports read from a PostgreSQL streaming replica when `DATABASE_REPLICA_URL` is
set; everything else, and every write, stays on the primary.

What reads where:
- Only inside a *replica scope* (`ReplicaReads` on a DRF view, `@reads_from_replica` on a page
  view: the report API, the dashboard, the progress report, FHIR and CSV exports) and only for
  the clinical and scheduling tables (`REPLICATED_APPS`). Sign-in, sessions, tokens, clinics,
  memberships and the audit trail are always read on the primary, so a revoked role or token
  takes effect at once and a report's audit row is written where it belongs.
- Writes always go to the primary (`db_for_write`); migrations never run on the replica.
- Read-your-own-writes: a read inside a transaction on the primary stays on the primary, and so
  does every later read of a request that wrote a replicated table. Across requests,
  `ReplicaPinMiddleware` remembers the primary's WAL position after each write request of a
  signed-in user (in the cache, keyed by user); a scope reads from the replica only once the
  replica has replayed that far, so a therapist who saved a score sees it in the next report.
- Lag: a scope first asks the replica (one query) whether it is a streaming standby, whether it
  has replayed the user's last write, and how far behind it is; a replica that is not streaming,
  more than `DATABASE_REPLICA_MAX_LAG_SECONDS` behind, or unreachable is skipped and the scope
  reads from the primary (logged as a warning; an unreachable one is left alone by the process
  for `DATABASE_REPLICA_RETRY_SECONDS`). Other users' writes may be up to that many
  seconds late in a report; that is the price of moving the reports off the primary.

The decision is made once per scope, lazily, at its first replicated read: a view that returns
early (404, 403) never asks the replica anything.
"""

import contextvars
import functools
import logging
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, transaction
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse

logger = logging.getLogger(__name__)

REPLICA = "replica"
# The tables reports and exports read in bulk. The rest (auth, sessions, clinic: memberships,
# tokens, sign-in guards, the audit trail) decides who may read and records that they did: it
# must be current, and it is small.
REPLICATED_APPS = frozenset({"patients", "treatments", "scheduling", "outcomes", "plans"})
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# The replica's view of itself, in one round trip: a standby with a live WAL receiver, whether
# it has replayed up to the given primary position, and its lag (0 when it has replayed all it
# received; else the age of the last transaction it replayed).
STANDBY_STATE_SQL = """
SELECT pg_is_in_recovery() AND EXISTS (SELECT 1 FROM pg_stat_wal_receiver),
       COALESCE(pg_last_wal_replay_lsn() >= %s::pg_lsn, false),
       CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
            ELSE EXTRACT(EPOCH FROM clock_timestamp() - pg_last_xact_replay_timestamp())
       END
"""
NO_WRITE_YET = "0/0"
# time.monotonic() until which this process leaves an unreachable replica alone.
_unreachable_until = 0.0
# Why this process last turned away from the replica: a state is logged when it begins, not at
# every report while it lasts.
_last_trouble = ""


def _trouble(reason: str, message: str, *args: Any) -> None:
    global _last_trouble
    if reason != _last_trouble:
        logger.warning(message, *args)
    _last_trouble = reason


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES


def _pin_key(user_id: int) -> str:
    return f"replica:written-upto:{user_id}"


@dataclass
class ReadScope:
    """One request's (or one stream's) reads of replicated tables. `alias` is decided at the
    first such read (None until then); `wrote` once the request wrote a replicated table. The
    user is the request's, read then: DRF authenticates inside the view."""

    request: Any = None
    alias: str | None = None
    wrote: bool = False
    reasons: list[str] = field(default_factory=list)

    def read_alias(self) -> str:
        if self.wrote or transaction.get_connection(DEFAULT_DB_ALIAS).in_atomic_block:
            return DEFAULT_DB_ALIAS
        if self.alias is None:
            self.alias = self._choose()
        return self.alias

    def _choose(self) -> str:
        global _unreachable_until
        if not replica_configured() or time.monotonic() < _unreachable_until:
            return DEFAULT_DB_ALIAS
        user_id = _user_id(self.request)
        since = NO_WRITE_YET
        if user_id is not None:
            try:
                since = cache.get(_pin_key(user_id)) or NO_WRITE_YET
            except Exception as exc:  # noqa: BLE001 (any cache backend's own error)
                # Where the user's last write went is unknown: the primary has it for sure.
                _trouble("cache", "cache unreachable (%s): reading the primary", type(exc).__name__)
                return DEFAULT_DB_ALIAS
        try:
            with connections[REPLICA].cursor() as cursor:
                cursor.execute(STANDBY_STATE_SQL, [since])
                streaming, caught_up, lag = cursor.fetchone()
        except DatabaseError as exc:
            # The primary can answer everything: a replica down costs speed, never a report.
            retry = settings.DATABASE_REPLICA_RETRY_SECONDS
            _trouble(
                "unreachable",
                "replica unreachable (%s): reading from the primary for %s s",
                type(exc).__name__,
                retry,
            )
            connections[REPLICA].close()
            _unreachable_until = time.monotonic() + retry
            self.reasons.append("unreachable")
            return DEFAULT_DB_ALIAS
        return self._verdict(streaming=streaming, caught_up=caught_up, lag=lag)

    def _verdict(self, *, streaming: bool, caught_up: bool, lag: float | None) -> str:
        global _last_trouble
        if not streaming:
            _trouble("not streaming", "replica is not a streaming standby: reading the primary")
            self.reasons.append("not streaming")
            return DEFAULT_DB_ALIAS
        if not caught_up:
            # The user's own write is still on its way: normal, seconds at most.
            self.reasons.append("own write not replayed yet")
            return DEFAULT_DB_ALIAS
        if lag is None or float(lag) > settings.DATABASE_REPLICA_MAX_LAG_SECONDS:
            _trouble("lagging", "replica lags %s s: reading from the primary", lag)
            self.reasons.append("lagging")
            return DEFAULT_DB_ALIAS
        if _last_trouble:
            logger.warning("replica streaming again: reports read from it")
        _last_trouble = ""
        return REPLICA


_scope: contextvars.ContextVar[ReadScope | None] = contextvars.ContextVar(
    "replica_read_scope", default=None
)


def current_scope() -> ReadScope | None:
    return _scope.get()


def read_alias() -> str:
    """The alias raw report SQL runs on: the scope's choice, the primary outside a scope."""
    scope = _scope.get()
    return scope.read_alias() if scope is not None else DEFAULT_DB_ALIAS


@contextmanager
def replica_reads(scope: ReadScope) -> Iterator[ReadScope]:
    token = _scope.set(scope)
    try:
        yield scope
    finally:
        _scope.reset(token)


def _user_id(request: Any) -> int | None:
    user = getattr(request, "user", None)
    return user.pk if user is not None and user.is_authenticated else None


def _stream_in(scope: ReadScope, chunks: Iterable) -> Iterator:
    """A streamed export produces its rows after the view returned: each chunk is produced
    inside the view's scope again (same alias), and only while it is produced."""
    iterator = iter(chunks)
    while True:
        with replica_reads(scope):
            try:
                chunk = next(iterator)
            except StopIteration:
                return
        yield chunk


def _in_scope(request: Any, respond: Callable[[], HttpResponse]) -> HttpResponse:
    if request.method not in SAFE_METHODS:
        return respond()
    scope = ReadScope(request=request)
    with replica_reads(scope):
        response = respond()
    if isinstance(response, StreamingHttpResponse):
        response.streaming_content = _stream_in(scope, response.streaming_content)
    return response


def reads_from_replica(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A page view whose reads of the clinical tables may go to the replica (GET only)."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return _in_scope(request, lambda: view(request, *args, **kwargs))

    # Carried outwards by functools.wraps (login_required): tests find the scoped routes by it.
    wrapper.replica_scope = True  # type: ignore[attr-defined]
    return wrapper


class ReplicaReads:
    """A DRF view mixin: the same for API views (GET only)."""

    replica_scope = True

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        parent = super().dispatch  # type: ignore[misc]
        return _in_scope(request, lambda: parent(request, *args, **kwargs))


class ReplicaRouter:
    """settings.DATABASE_ROUTERS: the only place that picks an alias."""

    def db_for_read(self, model: type, **hints: Any) -> str | None:
        scope = _scope.get()
        if scope is None or model._meta.app_label not in REPLICATED_APPS:  # type: ignore[attr-defined]
            return DEFAULT_DB_ALIAS
        return scope.read_alias()

    def db_for_write(self, model: type, **hints: Any) -> str | None:
        scope = _scope.get()
        if scope is not None and model._meta.app_label in REPLICATED_APPS:  # type: ignore[attr-defined]
            scope.wrote = True
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool:
        # The replica holds the primary's rows: an object read there may point at one read here.
        return True

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool:
        return db != REPLICA


def remember_write(user_id: int) -> None:
    """Record the primary's WAL position after a write request of `user_id`: their next reads
    go to the replica only once it has replayed this far. The insert position, not the write
    position: with synchronous_commit off a commit record may still wait in the WAL buffers."""
    try:
        with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
            cursor.execute("SELECT pg_current_wal_insert_lsn()::text")
            (position,) = cursor.fetchone()
        cache.set(_pin_key(user_id), position, timeout=settings.DATABASE_REPLICA_PIN_SECONDS)
    except Exception as exc:  # noqa: BLE001 (the database's or any cache backend's error)
        # The write is done and answered: failing its response now would invite a second one.
        # Until the replica catches up (seconds) this user may see a report without it.
        logger.warning("could not remember a write for the replica: %s", type(exc).__name__)


class ReplicaPinMiddleware:
    """After a signed-in user's write request (any unsafe method), remember how far the primary's
    WAL had gone (nothing to do without a replica). One query per write request."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.method not in SAFE_METHODS and replica_configured():
            user_id = _user_id(request)
            if user_id is not None:
                remember_write(user_id)
        return response
