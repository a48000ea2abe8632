"""Dialogue flows: each module owns the steps of one kind of conversation."""
