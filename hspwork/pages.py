"""Every HTML page the library writes goes through here: Jinja2 templates with autoescaping.

Values taken from data (fence names, offence labels, team and shift names, notes) are escaped
by the template engine, never pasted into HTML by hand, so nothing in an input can run on a
page that is emailed round a force. Templates live in ``hspwork/templates``: ``index.html.j2``
(the briefings' index) and ``weekly.html.j2`` (the weekly performance page); figures enter a
page as ``data:`` URIs, never as markup. :func:`hspwork.briefing.check_html` refuses a page in
which anything would run.

Examples
--------
>>> "&lt;script&gt;" in render("index.html.j2", title="<script>", groups=[], notes=[])
True
"""

from __future__ import annotations

from functools import cache
from typing import Any

__all__ = ["environment", "render"]


@cache
def environment() -> Any:
    """The Jinja2 environment: the package's templates, autoescaping on for every template."""
    import jinja2

    return jinja2.Environment(
        loader=jinja2.PackageLoader("hspwork", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render(template: str, **context: Any) -> str:
    """Render a template of ``hspwork/templates`` with ``context`` (values escaped)."""
    return environment().get_template(template).render(**context)
