"""The anchor of the signing benchmark (server/benches/signing.rs): pyHanko signing a PDF and
validating a PDF with three signatures, with the same key and CA.

    pyhanko_bench.py DIR RUNS

DIR holds key.pem, cert.pem, ca.pem, in.pdf (to sign) and three.pdf (to validate). Prints the
mean milliseconds of each, after one warm-up run: "sign_ms N" and "validate_ms N".
"""
import io
import sys
import time

from pyhanko.keys import load_cert_from_pemder
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext


def main():
    folder, runs = sys.argv[1], int(sys.argv[2])
    signer = signers.SimpleSigner.load(f"{folder}/key.pem", f"{folder}/cert.pem",
                                       ca_chain_files=(f"{folder}/ca.pem",))
    with open(f"{folder}/in.pdf", "rb") as f:
        original = f.read()
    with open(f"{folder}/three.pdf", "rb") as f:
        three = f.read()
    context = ValidationContext(trust_roots=[load_cert_from_pemder(f"{folder}/ca.pem")])

    def sign():
        writer = IncrementalPdfFileWriter(io.BytesIO(original))
        meta = signers.PdfSignatureMetadata(field_name="ChuToa", subfilter=fields.SigSeedSubFilter.PADES)
        out = io.BytesIO()
        signers.sign_pdf(writer, meta, signer=signer, output=out)

    def validate():
        reader = PdfFileReader(io.BytesIO(three))
        for sig in reader.embedded_signatures:
            validate_pdf_signature(sig, context)

    for name, work in (("sign_ms", sign), ("validate_ms", validate)):
        work()
        start = time.perf_counter()
        for _ in range(runs):
            work()
        print(f"{name} {(time.perf_counter() - start) * 1000 / runs:.2f}")


if __name__ == "__main__":
    main()
