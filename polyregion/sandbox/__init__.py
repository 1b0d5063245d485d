"""The local sandbox: `polyregion up` runs the multi-region system on one machine."""
