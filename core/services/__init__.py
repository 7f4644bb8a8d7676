"""Use cases, one package per feature a creator would name; they speak only to ports and
the domain, never to a vendor adapter or `core.bootstrap`."""
