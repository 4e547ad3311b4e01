"""Release tooling, run by hand or by .github/workflows/release.yml (not part of the evalcore package): the action
files' pins (`pin`), the composite action generated from action.yml (`composite`), the owner placeholder (`owner`)."""
