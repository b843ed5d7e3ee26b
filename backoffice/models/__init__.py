"""Peewee models, one module per domain. ``MODELS`` is every table, in creation order.

Fixed lists (roles, statuses, industries) are :mod:`backoffice.labels`' enums,
re-exported here because models and their callers use them together.
"""

from ..labels import ContractStatus, Industry, Role, UnitStatus
from .api import ApiToken
from .audit import AuditEntry, LoginAttempt
from .base import AuditedModel, BaseModel, ConcurrentEditError, RuleViolation
from .calendars import CalendarDay
from .contracts import Contract, SettingsError, parse_plugin_settings
from .customers import Contact, Customer, Site
from .leave import StaffLeave
from .notices import Delivery, GroupRobot, Notice
from .org import Office, Staff
from .plugin_failures import PluginFailure
from .products import Product, Unit
from .replacements import Replacement
from .stock import StockItem, StockLevel, StockMovement
from .terms import TermSet, TermSetVersion
from .tickets import Ticket, TicketCounter, TicketPause
from .whatif import RunState, WhatIfRun

MODELS = [Office, Staff, Customer, Site, Contact, TermSet, TermSetVersion, Contract, Product,
          Unit, AuditEntry, LoginAttempt, CalendarDay, Ticket, TicketPause, TicketCounter,
          ApiToken, StockItem, StockLevel, StockMovement, StaffLeave, Replacement, Notice,
          Delivery, GroupRobot, WhatIfRun, PluginFailure]

__all__ = [
          "MODELS",
          "ApiToken",
          "AuditEntry",
          "AuditedModel",
          "BaseModel",
          "CalendarDay",
          "ConcurrentEditError",
          "Contact",
          "Contract",
          "ContractStatus",
          "Customer",
          "Delivery",
          "GroupRobot",
          "Industry",
          "LoginAttempt",
          "Notice",
          "Office",
          "PluginFailure",
          "Product",
          "Replacement",
          "Role",
          "RuleViolation",
          "RunState",
          "SettingsError",
          "Site",
          "Staff",
          "StaffLeave",
          "StockItem",
          "StockLevel",
          "StockMovement",
          "TermSet",
          "TermSetVersion",
          "Ticket",
          "TicketCounter",
          "TicketPause",
          "Unit",
          "UnitStatus",
          "WhatIfRun",
          "parse_plugin_settings",
]
