"""Who may change the site's identity, pages and accessibility statement."""

from __future__ import annotations

from civic.core.permissions import is_admin


def can_manage_site(actor, _obj=None) -> bool:
    """Change the name, logo, colours, footer links, legal pages and the
    accessibility statement: administrators only."""
    return is_admin(actor)
