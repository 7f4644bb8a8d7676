"""Google adapters (google-genai): Gemini text, vision, images, speech, Veo and the Copilot."""
