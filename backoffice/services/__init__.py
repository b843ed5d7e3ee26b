"""Use cases shared by the admin, the CLI, the API and the worker.

A service takes and returns model objects, asks the rule engine for every
decision, and writes in one transaction. Views never decide.
"""
