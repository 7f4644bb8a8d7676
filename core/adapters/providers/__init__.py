"""Providers per vendor behind the capability ports: `local` (offline), `fal`, `google`, `wavespeed`,
`kie`, shared `http` plumbing; `registry` chooses one per capability from settings."""
