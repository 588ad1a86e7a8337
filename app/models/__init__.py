"""Registers, one module per family. Importing this package maps every model."""
from app import export, sequences, workflow  # noqa: F401  (ExportJob, CodeSequence, TransitionLog)
from app.models import calendar, complaints, customers, grading, org, satisfaction  # noqa: F401
