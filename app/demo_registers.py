"""Demo rows of the registers; each family adds its loader here."""

LOADERS = []


def load(session, users) -> list[str]:
    return [line for loader in LOADERS for line in loader(session, users)]
