"""The tuning cache: every sample of every run, per user, so that nothing is tuned twice.

``store.py`` is the SQLite file, ``plan.py`` decides what a run reuses (plain Python),
``tuning_cache.py`` turns MetaSchedule's records into the cache's and back, and
``warm_start.py`` starts a new shape's search from the nearest known ones.
"""

from .tuning_cache import ENV_VAR, CachedTask, TuningCache, default_location, location, target_key
from .warm_start import WarmStarted

__all__ = [
    "ENV_VAR",
    "CachedTask",
    "TuningCache",
    "WarmStarted",
    "default_location",
    "location",
    "target_key",
]
