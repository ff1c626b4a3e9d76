import pytest

from ridebuy.devices.topics import MessageKind, TopicError, device_topic, parse_topic


def test_round_trip() -> None:
    topic = device_topic("gp-rack-1", MessageKind.OCCUPANCY)
    assert topic == "ridebuy/v1/devices/gp-rack-1/occupancy"
    parsed = parse_topic(topic)
    assert (parsed.device_id, parsed.kind) == ("gp-rack-1", MessageKind.OCCUPANCY)


@pytest.mark.parametrize(
    ("topic", "complaint"),
    [
        ("ridebuy/v1/devices/gp-rack-1", "of the form"),
        ("ridebuy/v2/devices/gp-rack-1/occupancy", "of the form"),
        ("ridebuy/v1/devices/gp rack/occupancy", "device id"),
        ("ridebuy/v1/devices/" + "x" * 65 + "/status", "device id"),
        ("ridebuy/v1/devices//status", "device id"),
        ("ridebuy/v1/devices/a/temperature", "kind must be one of"),
        ("ridebuy/v1/devices/a/status/extra", "of the form"),
    ],
)
def test_bad_topics_say_why(topic: str, complaint: str) -> None:
    with pytest.raises(TopicError, match=complaint):
        parse_topic(topic)
