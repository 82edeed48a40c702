"""The audit log: append-only, hash-chained record of reads, writes and administrative actions."""
