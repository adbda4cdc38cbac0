"""Probing: plan the grid, render prompts, ask the model (cached), parse, write raw rows."""
