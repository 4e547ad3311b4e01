"""The container's entry point: the GitHub Action adapter, or the evalcore command when given arguments."""
