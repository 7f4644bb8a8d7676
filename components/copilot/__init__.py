"""The Copilot page's parts: the chat list (sidebar), the message history with storyboard,
progress and video, and the composer (attachments, streamed answers, stop, errors, mode)."""
