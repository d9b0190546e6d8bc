"""The job contract between the gateway, the function runtime and the local stack.

A leaf: it imports the standard library only, and every deployable may import it.
"""
