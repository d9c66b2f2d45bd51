"""Citizens' assemblies drawn by lot (issue 18).

Only the pure selection core (``selection.py``) exists so far; the package is
not yet a registered kind and is not in ``civic.MODULES``.
"""
