"""The exit codes of the `pmps` command (docs/inputs.md#10-exit-codes): 0 when it did what was asked
(a load published), 1 when it ran and failed (nothing published), 2 for a usage or
configuration error (nothing read)."""

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
