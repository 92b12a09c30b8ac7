"""Table 三 figures an agency published before it used the system: the pure reader and its
warnings live in shared/published.py, since intake checks them against a ledger too."""

from shared.published import Figures, PublishedError, read_published, warnings_for

__all__ = ["Figures", "PublishedError", "read_published", "warnings_for"]
