"""The desktop program's widgets: one package per feature."""
