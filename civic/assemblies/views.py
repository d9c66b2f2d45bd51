"""Pages of citizens' assemblies."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("assemblies", __name__, url_prefix="/assemblies")
