"""The Seedream 4.5 API contract: JSON Schemas, their loader, and a target-agnostic HTTP suite."""

from seedream_contracts.loader import SCHEMA_NAMES, load_schema, validator

__all__ = ["SCHEMA_NAMES", "load_schema", "validator"]
