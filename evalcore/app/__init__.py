"""The application: the command line and what its commands do (run, resume, merge, dry run, progress on stderr).
The top of the package; it may import every layer below it (see CONTRIBUTING.md)."""
