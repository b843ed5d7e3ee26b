"""The rule engine's plugin manager (to be written by the rule-engine work)."""


def init_app(app):
    pass
