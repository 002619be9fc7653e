"""Test support: scripted per-role engines and a small scripted world for the harness."""
