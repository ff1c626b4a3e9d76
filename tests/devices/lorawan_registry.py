"""A small registry of LoRaWAN devices for unit tests of the envelopes."""

from __future__ import annotations

from ridebuy.devices.envelopes import Reception
from ridebuy.devices.registry import Registry, parse_registry

NOW_NS = 1_780_000_000_000_000_000
TWO_GATEWAYS = (Reception("hannut-hotel-de-ville", -97.0, 6.5), Reception("hannut-gare", -112.0, -3.25))

LORAWAN = {
    "parkings": [{"id": "grand-place", "name": "Grand-Place", "lat": 50.6716, "lon": 5.077, "capacity": 12}],
    "counters": [{"id": "centre-nord", "name": "Centre nord", "lat": 50.676, "lon": 5.079}],
    "devices": [
        {"id": "gp-rack-1", "kind": "rack", "parking": "grand-place"},
        {
            "id": "gp-slot-tps",
            "kind": "slot",
            "parking": "grand-place",
            "format": "ttn",
            "codec": "bosch-tps110",
            "dev_eui": "70B3D5E75E000001",
        },
        {
            "id": "gp-slot-vs340",
            "kind": "slot",
            "parking": "grand-place",
            "format": "chirpstack",
            "codec": "milesight-vs340",
            "dev_eui": "24e124538b000002",
        },
        {
            "id": "gp-slot-docs",
            "kind": "slot",
            "parking": "grand-place",
            "format": "chirpstack",
            "codec": "bosch-tps110",
            "dev_eui": "0101010101010101",
        },
        {
            "id": "cn-count-ttn",
            "kind": "counter",
            "counter": "centre-nord",
            "format": "ttn",
            "codec": "milesight-vs350",
            "heartbeat_s": 600,
        },
        {
            "id": "cn-count-cs",
            "kind": "counter",
            "counter": "centre-nord",
            "format": "chirpstack",
            "codec": "milesight-vs350",
            "dev_eui": "24E124713D000003",
        },
        {"id": "gp-rack-formatter", "kind": "rack", "parking": "grand-place", "format": "ttn"},
        {
            "id": "cn-count-formatter",
            "kind": "counter",
            "counter": "centre-nord",
            "format": "chirpstack",
            "dev_eui": "A000000000000004",
        },
        {"id": "gp-slot-typo", "kind": "slot", "parking": "grand-place", "format": "ttn", "codec": "bosch-tps11"},
    ],
}


def lorawan_registry() -> Registry:
    return parse_registry(LORAWAN, "lorawan.yaml")
