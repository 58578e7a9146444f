"""The volunteer's doorstep app (phone first, offline) and the team leader's live progress.

`sync.py` turns a batch of offline results into contact attempts (idempotent on each result's
client-made UUID); `selectors.py` reads what the app downloads and what the progress page shows;
`views.py` and `urls.py` are thin. The service worker and the IndexedDB outbox are static JS
in `maillage/canvassing/static/canvassing/doorstep/`.
"""
