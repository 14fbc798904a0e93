"""Integration with the city: API keys, pushes to and from the city's systems, and open data.

Others use: `apikeys`, `citysync`, `opendata`."""
from . import apikeys, citysync, opendata

__all__ = ["apikeys", "citysync", "opendata"]
