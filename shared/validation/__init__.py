"""Input validation helpers shared across gongkai services."""
