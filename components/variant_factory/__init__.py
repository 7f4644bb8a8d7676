"""Render functions of the variant factory pages: project choice, library tabs (videos, audio,
hooks, collections), the batch form with its estimate, and the live grid of variants."""
