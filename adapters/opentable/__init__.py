"""OpenTable driven in a real Chromium: availability and booking through its pages."""
