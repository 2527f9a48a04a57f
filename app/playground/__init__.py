"""The playground (issue 14): train an RNN, LSTM or GRU live on toy tasks and watch its gates.

Pure PyTorch, no web imports: tasks.py (seeded generators, baselines, gate hypotheses),
network.py (the trained network and its traces), runs.py (runs stored on disk, trained a few
steps at a time, with limits and a queue).
"""
