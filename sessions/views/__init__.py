"""The session app's pages, one module each: home, chart, recording (start, record, autosave,
sign, addenda), history, and the patient's check-in."""
