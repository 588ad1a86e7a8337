"""Demo rows of the registers; each family adds its loader here."""

LOADERS = []
LOADERS.append(__import__("app.demo_customers", fromlist=["load"]).load)  # first
LOADERS.append(__import__("app.demo_complaints", fromlist=["load"]).load)
LOADERS.append(__import__("app.demo_grading", fromlist=["load"]).load)  # issue 5: after customers
LOADERS.append(__import__("app.demo_visits", fromlist=["load"]).load)  # issue 11
LOADERS.append(__import__("app.demo_satisfaction", fromlist=["load"]).load)  # issue 13: after complaints


def load(session, users) -> list[str]:
    return [line for loader in LOADERS for line in loader(session, users)]
LOADERS.append(__import__("app.demo_receptions", fromlist=["load"]).load)  # issue 12: after customers
