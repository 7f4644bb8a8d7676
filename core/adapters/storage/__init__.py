"""File storage: local disk with expiring links, or Supabase Storage."""
