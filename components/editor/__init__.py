"""The timeline editor page's pieces: the timeline chart, property panels, export and hand-off."""
