"""The Library: every video and ad in one list, and expiring links to local files."""
