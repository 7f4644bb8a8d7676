"""The copilot: chats and messages (rights as for projects), intent on every message, streamed answers,
and an ad made by chatting through the wizard's own services and job (fill, review, progress, refine)."""
