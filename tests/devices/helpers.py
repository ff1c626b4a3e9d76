"""The small registry most tests use: three parkings (one closed), a counting site and six devices."""

from ridebuy.devices.registry import Registry
from tests.support.registries import build, counter, counting, parking, rack, registry_data, slot

SMALL = registry_data(
    parkings=[
        parking("grand-place", 12, name="Grand-Place", lat=50.6716, lon=5.077),
        parking("gare", 4, name="Gare", lat=50.67, lon=5.08),
        parking("shut", 2, name="Closed one", lat=50.67, lon=5.08, closed=True),
    ],
    counters=[counter("centre-north", name="Centre north", lat=50.676, lon=5.071)],
    devices=[
        rack("gp-rack-1", "grand-place", heartbeat_s=60),
        slot("gp-slot-01", "grand-place", heartbeat_s=60),
        slot("gp-slot-02", "grand-place", heartbeat_s=60),
        rack("gare-rack", "gare", heartbeat_s=60),
        rack("shut-rack", "shut", heartbeat_s=60),
        counting("cn-count-1", "centre-north"),
    ],
)


def small_registry() -> Registry:
    return build(SMALL)
