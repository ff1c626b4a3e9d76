"""A small registry for unit tests of pure logic."""

from ridebuy.devices.registry import Registry, parse_registry

SMALL = {
    "parkings": [
        {"id": "grand-place", "name": "Grand-Place", "lat": 50.6716, "lon": 5.077, "capacity": 12},
        {"id": "gare", "name": "Gare", "lat": 50.67, "lon": 5.08, "capacity": 4},
        {"id": "shut", "name": "Closed one", "lat": 50.67, "lon": 5.08, "capacity": 2, "closed": True},
    ],
    "counters": [{"id": "centre-north", "name": "Centre north", "lat": 50.676, "lon": 5.071}],
    "devices": [
        {"id": "gp-rack-1", "kind": "rack", "parking": "grand-place", "heartbeat_s": 60},
        {"id": "gp-slot-01", "kind": "slot", "parking": "grand-place", "heartbeat_s": 60},
        {"id": "gp-slot-02", "kind": "slot", "parking": "grand-place", "heartbeat_s": 60},
        {"id": "gare-rack", "kind": "rack", "parking": "gare", "heartbeat_s": 60},
        {"id": "shut-rack", "kind": "rack", "parking": "shut", "heartbeat_s": 60},
        {"id": "cn-count-1", "kind": "counter", "counter": "centre-north"},
    ],
}


def small_registry() -> Registry:
    return parse_registry(SMALL, "small.yaml")
