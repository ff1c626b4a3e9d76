"""Open-data feeds: the registry and the live state in the formats other tools read.

One module per format (Velopark JSON-LD, DATEX II v3 XML, DATEX II Parking Publication Light JSON, the French
"comptage mobilités" CSV tables, the DCAT-AP catalogue). Builders are pure: registry, live figures, publisher and
the public base URL in, a document out; the routes in ``ridebuy.api.routes.open_data`` cache and serve them.
"""
