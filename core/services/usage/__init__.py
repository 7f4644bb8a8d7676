"""Usage and money: estimates before work, spend ceilings and admission, the ledger's
metrics, and the creator's consented retry of a possibly-charged call."""
