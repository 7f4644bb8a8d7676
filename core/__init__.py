"""The studio's core, free of Streamlit: domain types, ports, services per feature, adapters
per technology and vendor, configuration and the composition root (`core.bootstrap`)."""
