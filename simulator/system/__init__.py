"""The operating-system plumbing the edges share: how tcpsim's own processes and folders end.

Standard library only; a peer of the model, so every layer above may use it (the sans-IO core
does not: it has no processes)."""
