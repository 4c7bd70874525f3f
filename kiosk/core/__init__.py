"""The pure core: config, rules, the catalogue, playlist, schedule and the show's decisions.

Nothing here touches the screen, the disk, the network or a thread; every
function takes the state, an input and the time, and returns data. Nothing
here imports pygame, Pillow, requests or watchdog (tests/test_layers.py).
"""
