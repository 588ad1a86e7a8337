"""Registers, one module per family. Importing this package maps every model."""
from app import (  # noqa: F401  (AuditLog, LoginFailure, ExportJob, CodeSequence, TransitionLog)
    audit,
    export,
    lockout,
    sequences,
    workflow,
)
from app.models import (  # noqa: F401
    calendar,
    complaints,
    customers,
    grading,
    org,
    receptions,
    satisfaction,
    visits,
)
