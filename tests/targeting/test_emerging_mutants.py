"""Emerging hot spots at their edges, worked by hand."""

from __future__ import annotations
