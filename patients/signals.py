"""What the patient record announces to the apps above it, which patients must not import."""

from django.dispatch import Signal

# Sent by `patient_merge` inside its transaction, with `survivor`, `merged` and `actor`, once
# every row has moved: a receiver rebuilds what it derives from the record (sessions: its
# report tables), and its writes commit or roll back with the merge.
patient_merged = Signal()

# Sent by `patient_merge` inside its transaction, with `survivor` and `merged` locked, before
# any row moves: a receiver that cannot let the two records become one (two active plans of
# care) raises ValidationError, and nothing is written.
patient_merging = Signal()
# Sent by `intake_link` inside its transaction, with `patient` and `actor`, once the intake's
# pain ratings are the patient's: outcomes asks for the region-specific questionnaires here.
intake_linked = Signal()
