"""medcite: a self-hostable, evidence-backed medical answer engine."""

__version__ = "0.1.0"
