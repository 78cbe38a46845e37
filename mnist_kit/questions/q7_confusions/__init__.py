"""q7, written: which digits the model confuses most, and why it might, looking at the images.

Marked by hand, by question, with the rubric beside this file (``rubric.toml``): ``mnist-kit mark``.
Nothing here runs: the grade reads the answer cell's text, bounded, and never judges it.
"""

NAME = "q7"
POINTS = 3
MANUAL = True
