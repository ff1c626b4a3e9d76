"""What one running API holds: settings, live state, store access, metrics and the clock."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from ridebuy.api.geo import Position
from ridebuy.api.live_state import LiveState
from ridebuy.api.metrics import ApiMetrics
from ridebuy.api.settings import ApiSettings
from ridebuy.api.store_access import StoreAccess
from ridebuy.api.views import Moment


@dataclass(slots=True)
class ApiContext:
    settings: ApiSettings
    live: LiveState
    store: StoreAccess
    metrics: ApiMetrics
    centre: Position
    """The town centre: the web page's origin when the browser gives no position."""
    clock_ns: Callable[[], int] = field(default=time.time_ns)

    def moment(self) -> Moment:
        """Now, in the town's time zone (what opening hours are evaluated against)."""
        return Moment(self.clock_ns(), ZoneInfo(self.settings.town_timezone))
