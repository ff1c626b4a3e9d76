#!/bin/bash
# Runs once, after the InfluxDB 2.x image's first-start setup (DOCKER_INFLUXDB_INIT_MODE=setup), with the influx
# CLI already configured with the admin token and DOCKER_INFLUXDB_INIT_BUCKET_ID exported by the entrypoint.
#
# ridebuy and Grafana speak InfluxQL through the v1 compatibility API (/write?db=..., /query?db=...), which needs
# a database/retention-policy (DBRP) mapping to a bucket. InfluxDB >= 2.4 gives every bucket a virtual mapping
# (database = bucket name, rp = autogen); this explicit one makes the mapping independent of that and marks
# autogen as the database's default retention policy.
set -euo pipefail

if influx v1 dbrp list --db "${DOCKER_INFLUXDB_INIT_BUCKET}" --hide-headers | grep -q .; then
  echo "ridebuy: a DBRP mapping for ${DOCKER_INFLUXDB_INIT_BUCKET} exists already"
  exit 0
fi
influx v1 dbrp create \
  --db "${DOCKER_INFLUXDB_INIT_BUCKET}" \
  --rp autogen \
  --bucket-id "${DOCKER_INFLUXDB_INIT_BUCKET_ID}" \
  --default
echo "ridebuy: mapped database ${DOCKER_INFLUXDB_INIT_BUCKET}/autogen to bucket ${DOCKER_INFLUXDB_INIT_BUCKET_ID}"
