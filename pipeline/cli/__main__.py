"""``python -m pipeline.cli``: the same as the ``carepipe`` command."""

from pipeline.cli import main

main()
