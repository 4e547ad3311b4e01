"""The suite file: models, loading, datasets, errors with file:line."""

from evalcore.suite.load import LoadedSuite, load_suite
from evalcore.suite.problems import InputError, Problem

__all__ = ["InputError", "LoadedSuite", "Problem", "load_suite"]
