"""rapport_analysis: turn a rapport output file (docs/FORMAT.md) into a report.

Modules: read (file access by run and by row block), survival (Kaplan-Meier
with Greenwood variance), stats (intervals, Pearson/Fisher, Sobol), hazard
(discrete-time dropout model), plots (matplotlib figures), report (HTML).
"""
__all__ = ["read", "survival", "stats", "hazard", "plots", "report"]
