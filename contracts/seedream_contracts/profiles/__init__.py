"""Profiles: the unpublished half of the contract as data (see docs/profiles.md)."""

from seedream_contracts.profiles.profile import (
    ERROR_KINDS,
    SHIPPED,
    ErrorView,
    Profile,
    ProfileError,
    TaskView,
    load_profile,
)

__all__ = [
    "ERROR_KINDS",
    "SHIPPED",
    "ErrorView",
    "Profile",
    "ProfileError",
    "TaskView",
    "load_profile",
]
