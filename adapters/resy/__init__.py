"""Resy's unofficial consumer API behind the ports."""
