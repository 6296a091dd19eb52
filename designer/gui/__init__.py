"""The desktop app (PySide6): canvas, palettes, inspector, undo and files.

Widgets observe a ``DesignDocument`` (the design, its undo stack and its live shape report)
and change the design only through undo commands; nothing here owns model state.
"""
