"""Browser fixture for the workbench tests: Debian's Chromium driven by Playwright, offline."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def open_page(chromium):
    """Open a local HTML file with the network cut off; report what rendered.

    Every request that is not ``file:`` or ``data:`` is aborted and recorded, so a page that
    needs the network to show its content fails the figure checks.
    """

    def _open(path: Path, screenshot: Path | None = None) -> dict:
        context = chromium.new_context(viewport={"width": 1200, "height": 900})
        page = context.new_page()
        blocked: list[str] = []
        errors: list[str] = []

        def _route(route):
            url = route.request.url
            if url.startswith(("file:", "data:")):
                route.continue_()
            else:
                blocked.append(url)
                route.abort()

        page.route("**/*", _route)
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(Path(path).resolve().as_uri(), wait_until="load")
        page.wait_for_timeout(300)
        sizes = page.eval_on_selector_all(
            "img", "els => els.map(e => [e.complete, e.naturalWidth, e.naturalHeight])"
        )
        text = page.inner_text("body")
        if screenshot is not None:
            Path(screenshot).parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(screenshot), full_page=True)
        context.close()
        widths = [w for _, w, _ in sizes]
        return {
            "images": len(sizes),
            "broken_images": sum(1 for ok, w, h in sizes if not ok or w == 0 or h == 0),
            "min_image_width": min(widths) if widths else 0,
            "blocked": blocked,
            "page_errors": errors,
            "text": text,
        }

    return _open
