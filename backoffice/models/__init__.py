"""Peewee models, one module per domain. ``MODELS`` is every table, in creation order."""

from .audit import AuditEntry, LoginAttempt
from .base import AuditedModel, BaseModel, ConcurrentEditError, RuleViolation
from .contracts import Contract, ContractStatus
from .customers import Contact, Customer, Industry, Site
from .org import ROLE_LABELS, Office, Role, Staff
from .products import Product, Unit, UnitStatus
from .terms import TermSet, TermSetVersion

MODELS = [Office, Staff, Customer, Site, Contact, TermSet, TermSetVersion, Contract, Product,
          Unit, AuditEntry, LoginAttempt]

__all__ = [
          "MODELS",
          "ROLE_LABELS",
          "AuditEntry",
          "AuditedModel",
          "BaseModel",
          "ConcurrentEditError",
          "Contact",
          "Contract",
          "ContractStatus",
          "Customer",
    "Industry",
          "LoginAttempt",
          "Office",
          "Product",
          "Role",
          "RuleViolation",
          "Site",
          "Staff",
          "TermSet",
          "TermSetVersion",
          "Unit",
          "UnitStatus",
]
