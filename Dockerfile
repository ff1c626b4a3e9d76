# ridebuy: one image for every sub-command (ingest, api, simulate, devices ..., dashboards ..., report).
#   docker build -t ridebuy:0.1.0 .     (docker-compose.yml builds it for you)
FROM python:3.11.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# Pango and a font for the monthly report's PDF (weasyprint).
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /src
COPY pyproject.toml README.md ./
COPY ridebuy ./ridebuy
COPY devices ./devices
COPY ingest ./ingest
COPY api ./api
COPY simulators ./simulators
COPY dashboards ./dashboards
COPY report ./report
RUN pip install . \
    && rm -rf /src/build \
    && useradd --system --uid 10001 --user-group --home-dir /var/lib/ridebuy --create-home ridebuy \
    && mkdir -p /var/lib/ridebuy/spool \
    && chown -R ridebuy:ridebuy /var/lib/ridebuy

USER ridebuy
WORKDIR /var/lib/ridebuy
EXPOSE 8000 8001
ENTRYPOINT ["ridebuy"]
CMD ["--help"]
