"""The monthly report for the council: figures from the store, charts, HTML and PDF (``ridebuy report``)."""
