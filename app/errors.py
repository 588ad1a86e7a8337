"""RowRejected: bad input found by a rule, with a Chinese message for a user."""


class RowRejected(Exception):
    """Raised by validation; the web shows the message, the API answers 422."""

    status = 422

    def __init__(self, message, field: str | None = None):
        super().__init__(str(message))
        self.message = str(message)
        self.field = field

    def messages(self) -> dict:
        return {self.field or "_schema": [self.message]}


class RowLocked(RowRejected):
    """Refused while writing: the row's parent was closed by a step that won the race
    (e.g. a settlement); the API answers 409."""

    status = 409
