"""Device simulators: realistic rack, slot, counter and status traffic without hardware."""
