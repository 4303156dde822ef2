"""Encrypts a PDF with pyHanko, as agencies' "secured" PDFs are, for the upload tests.

    encrypt_pdf.py IN.pdf OUT.pdf OWNER_PASSWORD USER_PASSWORD rc4|aes128|aes256

An empty USER_PASSWORD makes a file every reader opens without asking (only an owner password
restricting edits).
"""
import sys

from pyhanko.pdf_utils.crypt import StandardSecurityHandler, StandardSecuritySettingsRevision
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.pdf_utils.writer import copy_into_new_writer


def main():
    src, dst, owner, user, alg = sys.argv[1:6]
    with open(src, "rb") as f:
        writer = copy_into_new_writer(PdfFileReader(f))
    if alg == "aes256":
        handler = StandardSecurityHandler.build_from_pw(owner, user, pdf_mac=False)
    else:
        handler = StandardSecurityHandler.build_from_pw_legacy(
            StandardSecuritySettingsRevision.RC4_OR_AES128 if alg == "aes128"
            else StandardSecuritySettingsRevision.RC4_EXTENDED,
            writer._document_id[0].original_bytes, owner, user,
            keylen_bytes=16, use_aes128=(alg == "aes128"))
    writer._assign_security_handler(handler)
    with open(dst, "wb") as out:
        writer.write(out)


if __name__ == "__main__":
    main()
