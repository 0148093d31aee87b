package dev.sublinear.api;

import dev.sublinear.jobs.common.InvalidRequestException;
import dev.sublinear.jobs.files.FileRecord;
import dev.sublinear.jobs.files.FileService;
import jakarta.servlet.http.HttpServletRequest;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import org.apache.commons.fileupload2.core.FileItemInput;
import org.apache.commons.fileupload2.core.FileItemInputIterator;
import org.apache.commons.fileupload2.core.FileUploadException;
import org.apache.commons.fileupload2.jakarta.servlet6.JakartaServletFileUpload;
import org.springframework.stereotype.Component;

/**
 * Reads a {@code multipart/form-data} upload as a stream: the {@code file} part goes straight into
 * the artifact store as it arrives (through the body rate guard), so no part is buffered in memory
 * or spooled by the container, and nothing is read before the request was authenticated. The
 * {@code purpose} field may come before or after the file.
 */
@Component
class MultipartUploads {

    /** Longest form field read (purpose is a word). */
    private static final int MAX_FIELD_BYTES = 1024;
    /** Parts in one form; a real upload has two. */
    private static final int MAX_PARTS = 16;

    private final FileService files;

    MultipartUploads(FileService files) {
        this.files = files;
    }

    FileRecord read(HttpServletRequest request, String tenantId) throws IOException {
        FileItemInputIterator parts;
        try {
            parts = new JakartaServletFileUpload<>().getItemIterator(request);
        } catch (FileUploadException e) {
            throw malformed(e);
        }
        String purpose = null;
        FileService.ReceivedFile received = null;
        try {
            for (int count = 0; hasNext(parts); count++) {
                if (count == MAX_PARTS) {
                    throw new InvalidRequestException("file", "the form has more than " + MAX_PARTS + " parts");
                }
                FileItemInput part = parts.next();
                if ("purpose".equals(part.getFieldName()) && part.isFormField()) {
                    purpose = field(part);
                    FileService.checkPurpose(purpose);
                } else if ("file".equals(part.getFieldName()) && !part.isFormField()) {
                    if (received != null) {
                        throw new InvalidRequestException("file", "the form has more than one 'file' part");
                    }
                    try (InputStream in = part.getInputStream()) {
                        received = files.receive(tenantId, part.getName(), in);
                    }
                } else {
                    drain(part); // a field this endpoint does not take: ignored, as before
                }
            }
        } catch (IOException | RuntimeException e) {
            if (received != null) {
                files.discard(received);
            }
            if (e instanceof FileUploadException f && BodyReadGuard.tooSlow(f) == null) {
                throw malformed(f);
            }
            throw e;
        }
        if (received == null) {
            throw new InvalidRequestException("file", "the multipart form needs a 'file' part");
        }
        if (purpose == null) {
            files.discard(received);
            throw new InvalidRequestException(
                    "purpose", "the multipart form needs a 'purpose' field: fine-tune or model");
        }
        return files.accept(received, purpose);
    }

    private static boolean hasNext(FileItemInputIterator parts) throws IOException {
        try {
            return parts.hasNext();
        } catch (FileUploadException e) {
            if (BodyReadGuard.tooSlow(e) != null) {
                throw e;
            }
            throw malformed(e);
        }
    }

    private static String field(FileItemInput part) throws IOException {
        try (InputStream in = part.getInputStream()) {
            byte[] bytes = in.readNBytes(MAX_FIELD_BYTES + 1);
            if (bytes.length > MAX_FIELD_BYTES) {
                throw new InvalidRequestException(
                        part.getFieldName(),
                        "the field '" + part.getFieldName() + "' is longer than " + MAX_FIELD_BYTES + " bytes");
            }
            return new String(bytes, StandardCharsets.UTF_8);
        }
    }

    private static void drain(FileItemInput part) throws IOException {
        try (InputStream in = part.getInputStream()) {
            in.transferTo(OutputStream.nullOutputStream());
        }
    }

    private static InvalidRequestException malformed(Exception e) {
        return new InvalidRequestException(
                "file", "the multipart body could not be read (truncated or malformed); send it again whole");
    }
}
