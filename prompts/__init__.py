"""Prompt templates and caption guidelines, shipped as package data (see agent.prompts)."""
