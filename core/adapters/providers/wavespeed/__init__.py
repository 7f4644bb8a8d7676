"""WaveSpeed adapters: InfiniteTalk lip-sync over its prediction API."""
