"""The protocol's mechanisms, one module each, and the registry that lists them.

``sim.protocol.registry`` is the one list the rest of the program asks; ``spec`` and
``mechanism`` say what every table and every mechanism declares; ``fences``, ``avoidance``
and ``watch`` are the helpers the mechanisms share.
"""
