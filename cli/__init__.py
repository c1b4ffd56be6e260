"""The ``lrs`` console script: the composition root that wires lrs, projections and api."""
