"""Text rules every layer needs: credentials and their redaction, lone surrogates, over-long integers, untrusted text
between tags. The bottom of the package; imports nothing of evalcore."""
