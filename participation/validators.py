"""Validation of uploaded consultation attachments."""

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _

from participation.models import MAX_ATTACHMENT_BYTES

PDF_MAGIC = b"%PDF-"


def validate_pdf(upload: UploadedFile) -> None:
    """Refuse anything but a PDF file of at most 10 MB.

    The name, the declared content type and the file's first bytes must
    all say PDF: the declared type alone is chosen by the uploader.
    """
    name = upload.name or ""
    if (upload.size or 0) > MAX_ATTACHMENT_BYTES:
        raise ValidationError(
            _("%(name)s is larger than %(limit)d MB.")
            % {"name": name, "limit": MAX_ATTACHMENT_BYTES // (1024 * 1024)},
            code="too_large",
        )
    if not upload.size:
        raise ValidationError(_("%(name)s is empty.") % {"name": name}, code="empty")
    content_type = getattr(upload, "content_type", None) or ""
    upload.seek(0)
    head = upload.read(len(PDF_MAGIC))
    upload.seek(0)
    if (
        not name.lower().endswith(".pdf")
        or content_type not in {"application/pdf", ""}
        or head != PDF_MAGIC
    ):
        raise ValidationError(
            _("%(name)s is not a PDF file.") % {"name": name}, code="not_pdf"
        )
