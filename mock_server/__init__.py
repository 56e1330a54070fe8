"""seedream-mock: a local emulator of the API in One Seedream 4.5 image-generation API."""

__version__ = "0.1.0"
