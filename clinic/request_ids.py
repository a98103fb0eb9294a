"""Request ids: the one a proxy in front sends (X-Request-ID) when it is a plain token, else a
fresh one. The id is stored in the audit trail, exported in audit.csv and logged, so a client's
formula, markup or control characters never get that far."""

import re
import uuid

from django.http import HttpRequest

_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}\Z")


def request_id_for(request: HttpRequest) -> str:
    offered = request.headers.get("X-Request-ID", "")
    return offered if _REQUEST_ID.match(offered) else uuid.uuid4().hex
