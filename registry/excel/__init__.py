"""The Excel engine every app uses: cells and columns (cells.py), reading and writing sheets (sheets.py), the
per-row parse / validate / diff with its error list and the registry of importable kinds (importer.py), stored
jobs with progress (jobs.py), and the generic pages and API (views.py, api.py).

It knows no model: each app declares its kinds in its own workbook.py and registers them from its AppConfig.ready()
with the importer that plans its rows and the bulk service that writes them.
"""
