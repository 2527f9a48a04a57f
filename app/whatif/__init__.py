"""What if: interventions on a model's gates and states, patching sweeps and attribution.

Pure domain code (no web imports). The engine that steps a cell with a changed value is
app.recurrent.intervene; this package brings it to the zoo's models: the teaching knobs
(knobs.py), runs of a model input with its prediction before and after (model.py), patching
sweeps (patching.py) and input attribution with Captum (attribution.py).
"""
