"""Profiles: the unpublished half of the contract as data (see docs/profiles.md)."""

from seedream_contracts.profiles.loading import SHIPPED, load_profile
from seedream_contracts.profiles.profile import ERROR_KINDS, Profile, ProfileError
from seedream_contracts.profiles.views import ErrorView, TaskView

__all__ = [
    "ERROR_KINDS",
    "SHIPPED",
    "ErrorView",
    "Profile",
    "ProfileError",
    "TaskView",
    "load_profile",
]
