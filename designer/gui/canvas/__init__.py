"""The canvas: a QGraphicsScene mirroring the design, and the view people work in."""
