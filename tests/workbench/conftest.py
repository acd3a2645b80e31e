"""Browser fixtures for the workbench tests (Chromium itself is the suite's, in tests/conftest.py)."""

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
        # Every table cell as the reader sees it.
        cells = page.eval_on_selector_all("td, th", "els => els.map(e => e.innerText.trim())")
        # How printed output lines break, as the browser lays them out.
        word_breaks = page.eval_on_selector_all(
            ".jp-OutputArea-output pre", "els => els.map(e => getComputedStyle(e).wordBreak)"
        )
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
            "pre_word_breaks": sorted(set(word_breaks)),
            "cells": cells,
        }

    return _open


# A4 less the 12 mm margins the pages' @page rule sets: 186 mm, in CSS pixels (96 to the inch).
A4_CONTENT_WIDTH_PX = round((210 - 2 * 12) / 25.4 * 96)
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "workbench"


@pytest.fixture
def print_a4(chromium):
    """Print a local page on A4 in Chromium, network cut off; report what would not fit.

    Returns ``overflow`` (elements reaching past the printable width, laid out as for print),
    ``figures`` and ``figure_fonts_pt`` (each figure's smallest font as printed: its font
    size scaled by the width it is drawn at), ``pdf`` and, when poppler is installed,
    ``page_texts`` (the text of each printed page) and ``pngs`` (each page as an image, kept
    under ``test-artifacts/workbench`` for a person to look at).
    """
    import shutil
    import subprocess

    def _print(path: Path, name: str) -> dict:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        width = A4_CONTENT_WIDTH_PX
        context = chromium.new_context(viewport={"width": width, "height": 1000})
        page = context.new_page()
        page.route(
            "**/*",
            lambda route: (
                route.continue_()
                if route.request.url.startswith(("file:", "data:"))
                else route.abort()
            ),
        )
        page.goto(Path(path).resolve().as_uri(), wait_until="load")
        page.emulate_media(media="print")
        overflow = page.evaluate(
            """(limit) => {
                const out = [];
                const root = document.documentElement.scrollWidth;
                if (root > limit + 1) out.push('page is ' + root + ' px wide');
                for (const el of document.body.querySelectorAll('*')) {
                    const box = el.getBoundingClientRect();
                    if (box.width > 0 && box.right > limit + 1) {
                        out.push(el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
                                 + ' reaches ' + Math.round(box.right) + ' px');
                    }
                }
                return out.slice(0, 20);
            }""",
            width,
        )
        fonts = page.eval_on_selector_all(
            "img",
            """els => els.map(e => e.dataset.widthIn
                ? e.getBoundingClientRect().width / (parseFloat(e.dataset.widthIn) * 96)
                  * parseFloat(e.dataset.minFontPt)
                : 0)""",
        )
        pdf = ARTIFACTS / f"{name}.pdf"
        page.pdf(path=str(pdf), format="A4", prefer_css_page_size=True, print_background=True)
        context.close()
        page_texts = pngs = None
        if shutil.which("pdftotext"):
            text = subprocess.run(
                ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
            ).stdout
            page_texts = [t for t in text.split("\f") if t.strip()]
        if shutil.which("pdftoppm"):
            for old in ARTIFACTS.glob(f"{name}-*.png"):
                old.unlink()
            subprocess.run(
                ["pdftoppm", "-r", "80", "-png", str(pdf), str(ARTIFACTS / name)], check=True
            )
            pngs = sorted(ARTIFACTS.glob(f"{name}-*.png"))
        return {
            "overflow": overflow,
            "figures": len(fonts),
            "figure_fonts_pt": fonts,
            "pdf": pdf,
            "page_texts": page_texts,
            "pngs": pngs,
        }

    return _print
