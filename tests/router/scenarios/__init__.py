"""The router's federation scenario suite: see model.py for how a scenario is written."""
