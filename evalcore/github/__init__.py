"""The adapter to GitHub: its REST client, the baseline of the base branch, the sticky pull-request comment."""
