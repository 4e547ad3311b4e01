"""Reports rendered from the results: JUnit XML, Markdown (step summary, PR comment), HTML, the console."""
