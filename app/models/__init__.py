"""Registers, one module per family. Importing this package maps every model."""
from flask_appbuilder import Model

from app import (  # noqa: F401  (AuditLog, LoginFailure, ExportJob, ScheduledRun, CodeSequence, TransitionLog)
    audit,
    export,
    jobs,
    lockout,
    queue,
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
    saved_views,
    visits,
)
from app.models.base import index_foreign_keys

index_foreign_keys(Model.metadata)
