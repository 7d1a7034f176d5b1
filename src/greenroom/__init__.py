"""Greenroom: an interview-practice platform with a partner API."""

__version__ = "0.1.0"
