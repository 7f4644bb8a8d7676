"""Widgets of the mass generator's wizard: inputs, script editor, generation, media and result."""
