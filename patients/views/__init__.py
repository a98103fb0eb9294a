"""The patients app's pages, one module each: index, intake (the patient's form), invite,
review (queue and one intake), imports."""
