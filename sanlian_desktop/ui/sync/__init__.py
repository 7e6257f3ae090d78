"""The 同步 page: package status per neighbour office, export, import with a preview, conflicts."""
