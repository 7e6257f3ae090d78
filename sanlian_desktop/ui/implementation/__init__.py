"""The 项目实施 page: approved projects with their warnings, and each project's implementation record."""
