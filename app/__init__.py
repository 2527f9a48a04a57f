"""gatescope: see inside recurrent networks, gate by gate, step by step."""

__version__ = "0.1.0"
