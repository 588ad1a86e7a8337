"""Registers, one module per family. Importing this package maps every model."""
from app.models import customers, org  # noqa: F401
from app import sequences, workflow  # noqa: F401  (CodeSequence, TransitionLog)
