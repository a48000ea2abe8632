"""Entrypoints beside app.py: the worker process and the command line. Wiring only."""
