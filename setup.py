"""Shim so `pip install -e .` works with setup.cfg metadata."""

from setuptools import setup

setup()
