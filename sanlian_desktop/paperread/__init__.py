"""Reading a printed, filled-in 申报表 (a scan, a phone photo or a PDF of scans) back into the form's fields.

The pages are read with PP-OCR on onnxruntime (``engine.py``, ``ppocr.py``: the models of the
``rapidocr-onnxruntime`` wheel, no OpenCV; an optional extra: ``pip install sanlian-desktop[ocr]``); the
text is mapped to the form's fields by the labels the program itself prints (documents/printing/layout.py),
and every field gets a confidence and the box it was read from. The result is a proposal for the clerk to
check: nothing here writes to the store.
"""

from sanlian_desktop.paperread.engine import OCR_HELP, ocr_available
from sanlian_desktop.paperread.mapping import FieldReading, Proposal
from sanlian_desktop.paperread.read import read_form

__all__ = ["OCR_HELP", "FieldReading", "Proposal", "ocr_available", "read_form"]
