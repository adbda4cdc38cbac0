"""Readable views of the marts: the terminal summary, later figures and reports."""
