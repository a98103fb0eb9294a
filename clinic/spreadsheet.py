"""The one rule for every CSV the product writes (audit trail, patients, sessions; the dashboard's
browser-side CSV follows the same rule in static/js/clinic.js, Clinic.csv).

A spreadsheet runs a cell whose text starts like a formula (`=`, `+`, `-`, `@`, a tab or a
carriage return, also after leading spaces or line breaks): `=HYPERLINK(...)` in a muscle's name
or a request id would run on the manager's machine. Such a text cell is written with a leading
apostrophe, which spreadsheets show as text.

Numbers stay numbers: values the server holds as numbers (int, float, Decimal) are written as
they are, so a change of -2 is the number -2; and a text cell that is a plain decimal number
(`-2`, `+3.5`: digits, one optional sign and point, nothing else) cannot call anything, so it is
left alone too. Everything else that starts like a formula gets the apostrophe: `-2+3`, `+44 20`,
`-1e5` included.
"""

import csv
import re
from collections.abc import Iterable, Iterator
from decimal import Decimal

_FORMULA_START = ("=", "+", "-", "@")
_CONTROL_START = ("\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)\Z")


def csv_text(value: str) -> str:
    """`value` as a CSV cell: a leading apostrophe when a spreadsheet would run it."""
    if _PLAIN_NUMBER.match(value):
        return value
    if value.startswith(_CONTROL_START) or value.lstrip().startswith(_FORMULA_START):
        return "'" + value
    if value.startswith("'") and csv_text(value[1:]) == value:
        return "'" + value  # text that itself looks escaped: so that the import reads it back
    return value


def csv_cell(value):
    """Any Python value as a CSV cell: None is empty, booleans yes/no, numbers as they are, text
    escaped by `csv_text`, anything else (dates) by its text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float | Decimal):
        return value
    return csv_text(str(value))


def csv_uncell(value: str) -> str:
    """The text a cell held before `csv_text`, for importing a file this product exported."""
    if value.startswith("'") and csv_text(value[1:]) == value:
        return value[1:]
    return value


class _Line:
    """csv.writer writes into this and hands each formatted line back."""

    def write(self, value: str) -> str:
        return value


def csv_lines(header: Iterable[str], rows: Iterable[Iterable]) -> Iterator[str]:
    """The header and every row as CSV lines, each cell through `csv_cell`: stream these."""
    writer = csv.writer(_Line())
    yield writer.writerow([csv_cell(name) for name in header])
    for row in rows:
        yield writer.writerow([csv_cell(value) for value in row])
