"""The variant factory: libraries of videos, audio and hooks (with collections), batches of
ad variants rendered as durable jobs, their ZIP hand-off with a 24-hour expiry, and team stats."""
