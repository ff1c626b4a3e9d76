"""The ingest: MQTT listener and write path (decode, batch, store, acknowledge)."""
