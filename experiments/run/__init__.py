"""Run wiring: what every command's LM work goes through.

- `phase`: running a harness over documents as one recorded phase.
"""
