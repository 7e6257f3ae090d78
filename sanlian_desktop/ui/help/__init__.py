"""Help inside the program: the user manual (docs/用户手册.md) shown in a viewer with a search box."""
