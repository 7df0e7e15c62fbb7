"""Answers: extractive (default, no LLM) and LLM (OpenAI-compatible), citation check, refusal."""
