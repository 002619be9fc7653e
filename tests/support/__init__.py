"""Test support: prerequisites (requires), PostgreSQL, worker spawning and subprocess entry points.

The scripted engines, the scripted world and the fake OpenAI-compatible server live in testkit/, which
bench/ uses too.
"""
