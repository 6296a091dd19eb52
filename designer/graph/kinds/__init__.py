"""The catalogue's entries, one module per family of kinds.

Each module defines ``KINDS``: its entries, each holding everything about its kind (see
``designer.graph.kind``). ``designer.graph.catalogue`` puts the families together.
"""
