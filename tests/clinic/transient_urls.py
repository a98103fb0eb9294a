"""Views for the transient-failure tests: a real serialization failure (SQLSTATE 40001) raised
outside any write service, where only the middleware stands between it and a 500."""

from django.db import connection, transaction
from django.http import HttpResponse
from django.urls import include, path

calls: list[str] = []


def _fail_in_a_transaction() -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "DO $$ BEGIN RAISE EXCEPTION 'could not serialize access' "
            "USING ERRCODE = 'serialization_failure'; END $$"
        )


def flaky_read(request):
    calls.append(request.method)
    if len(calls) == 1:
        _fail_in_a_transaction()
    return HttpResponse("read")


def failing_write(request):
    calls.append(request.method)
    _fail_in_a_transaction()
    return HttpResponse("written")


urlpatterns = [
    path("flaky-read/", flaky_read),
    path("failing-write/", failing_write),
    path("", include("config.urls")),  # the page frame links to the real pages
]
