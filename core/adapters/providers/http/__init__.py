"""HTTP plumbing every cloud adapter shares: error translation and retries, the guarded
downloader, and webhook verification."""
