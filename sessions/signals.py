"""What the treatment record announces to the apps above it, which sessions must not import."""

from django.dispatch import Signal

# Sent by `session_sign` inside its transaction, with `session` and `actor`: a receiver's writes
# commit or roll back with the signature (scheduling books the session's check-in here).
session_signed = Signal()
