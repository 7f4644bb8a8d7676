"""Talking-actor videos: projects, the actor catalog, actor image variants, voices,
the videos themselves and the project gallery that reads them."""
