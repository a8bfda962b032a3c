"""Integrations with training frameworks, each imported on its own.

:mod:`~curriculum.integrations.hf` covers Hugging Face ``Trainer`` and accelerate, and
:mod:`~curriculum.integrations.lightning` covers Lightning; one framework's absence never breaks
another.
"""
