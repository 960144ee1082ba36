"""The ``sinergi`` command: a thin transport over ``services``."""
