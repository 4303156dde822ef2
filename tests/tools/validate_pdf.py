"""Validates every signature of a PDF with pyHanko, as a verifier outside ecabinet would.

    validate_pdf.py CA.pem FILE.pdf

Prints one line per signature, in file order: the field name and pyHanko's summary (e.g.
"INTACT:TRUSTED,UNTOUCHED"), and for the last one whether it covers the whole file.
"""
import sys

from pyhanko.keys import load_cert_from_pemder
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext


def main():
    ca, path = sys.argv[1], sys.argv[2]
    context = ValidationContext(trust_roots=[load_cert_from_pemder(ca)])
    with open(path, "rb") as f:
        reader = PdfFileReader(f)
        for sig in reader.embedded_signatures:
            status = validate_pdf_signature(sig, context)
            print(f"{sig.field_name} {status.summary()} {status.coverage.name}")


if __name__ == "__main__":
    main()
