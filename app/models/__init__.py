"""Registers, one module per family. Importing this package maps every model."""
from app.models import customers, org  # noqa: F401
from app.models import calendar, complaints  # noqa: F401  (issue 6)
from app.models import grading  # noqa: F401  (issue 5)
from app import export, sequences, workflow  # noqa: F401  (ExportJob, CodeSequence, TransitionLog)
