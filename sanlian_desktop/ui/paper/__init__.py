"""打印与报表: printing declarations with a preview, checking printed copies, Excel in and out."""
