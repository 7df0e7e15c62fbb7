"""Typed settings, built once by the entry point and passed down."""
