"""Test doubles shared by tests/ and bench/: scripted per-role DSPy engines, a scripted world, a fake server.

- `testkit.scripted`: `ScriptedEngine` (replies computed from the parsed `Prompt` by a function) and `scripted_lm`.
- `testkit.world`: `World`, keyword rubrics and solvers whose answers a test fixes round by round.
- `testkit.fake_openai`: `FakeOpenAI`, a local OpenAI-compatible HTTP server with a seeded `FaultPlan`.

Nothing in programs/, metrics/, optimizers/ or experiments/ imports this package (an architecture test
checks it); it is for tests and benchmarks only.
"""
