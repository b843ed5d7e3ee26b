"""Contracts: their plugins checked by the rule engine, their units following them,
and headquarters' rules per contract (pinned term-set version, enabled plugins)."""

from __future__ import annotations

import json

from ..access import Action, require
from ..i18n import _
from ..models import Contract, RuleViolation, SettingsError, TermSetVersion, parse_plugin_settings
from ..plugins import current_engine
from .core import changing
from .units import follow_contract


def check_plugins(contract) -> None:
    """The contract's enabled plugins must be loaded and accept their settings."""
    try:
        enabled = parse_plugin_settings(contract.plugins)
    except SettingsError as exc:
        raise RuleViolation(str(exc), "plugins") from None
    problems = current_engine().check_contract_plugins(enabled)
    if problems:
        raise RuleViolation("; ".join(problems), "plugins", "plugin_settings")


def plugin_problems(contract) -> list[str]:
    """Every problem with the contract's plugins, as lines (``plugins check``)."""
    try:
        enabled = parse_plugin_settings(contract.plugins)
    except SettingsError as exc:
        return [str(exc)]
    return current_engine().check_contract_plugins(enabled)


def set_rules(user, contract, *, term_set_version_id: int | None, plugins: str,
              seen_version: int | None = None) -> Contract:
    """Pin ``contract`` to a term-set version (``None``: the standard terms) and set its
    plugins; its units follow. Headquarters' decision, one contract at a time."""
    require(user, Action.SET_RULES, contract)
    with changing(user):
        if term_set_version_id is not None and TermSetVersion.get_or_none(
                TermSetVersion.id == term_set_version_id) is None:
            raise RuleViolation(_("Unknown term-set version."), "term_set_version")
        contract.term_set_version = term_set_version_id
        contract.plugins = (plugins or "").strip() or "{}"
        if seen_version is not None:
            contract.version = seen_version
        check_plugins(contract)
        contract.save()
        follow_contract(contract, contract.last_changes)
    return contract


def move_to_version(user, contract_ids, version) -> list[str]:
    """Move the chosen contracts to term-set ``version`` in one transaction; returns their
    numbers (all or nothing)."""
    moved = []
    with changing(user):
        for contract in Contract.select().where(Contract.id.in_(list(contract_ids))):
            require(user, Action.SET_RULES, contract)
            contract.term_set_version = version
            contract.save()
            follow_contract(contract, contract.last_changes)
            moved.append(contract.number)
    return moved


def enable_plugin(user, contract, name: str, **settings) -> Contract:
    """Enable plugin ``name`` with ``settings`` for ``contract`` (after those it has)."""
    enabled = dict(contract.enabled_plugins())
    enabled[name] = settings
    return set_rules(user, contract, term_set_version_id=contract.term_set_version_id,
                     plugins=json.dumps(enabled))
