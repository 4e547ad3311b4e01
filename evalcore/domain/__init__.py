"""The data model of a run: cases planned from a suite, results, the gate's verdict, statistics and the
baseline-vs-head comparison. Pure: no AWS, no GitHub, no threads."""
