"""Admin screens (to be written)."""


def register(admin):
    pass
