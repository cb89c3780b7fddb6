"""The standard's `fft` extension."""

from __future__ import annotations
