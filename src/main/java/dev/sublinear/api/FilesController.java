package dev.sublinear.api;

import dev.sublinear.jobs.files.FileRecord;
import dev.sublinear.jobs.files.FileService;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.springframework.core.io.InputStreamResource;
import org.springframework.http.ContentDisposition;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;

/** {@code /v1/files}: uploads for fine-tuning data and model archives. */
@RestController
@Tag(name = "Files")
@RequestMapping("/v1/files")
class FilesController {

    private final FileService files;
    private final MultipartUploads uploads;
    private final Tenant tenant;

    FilesController(FileService files, MultipartUploads uploads, Tenant tenant) {
        this.files = files;
        this.uploads = uploads;
        this.tenant = tenant;
    }

    /** The upload form, for the contract: {@link #upload} reads the parts as a stream. */
    @Schema(
            description = "A file to upload.",
            example = "{\"purpose\": \"fine-tune\", \"file\": \"(the file's bytes)\"}")
    record UploadForm(
            @Schema(type = "string", format = "binary", description = "The file's bytes")
            String file,

            @Schema(
                    description = "`fine-tune` (JSONL examples) or `model` (a model archive)",
                    allowableValues = {"fine-tune", "model"})
            String purpose) {}

    @PostMapping(consumes = MediaType.MULTIPART_FORM_DATA_VALUE)
    @ResponseStatus(HttpStatus.CREATED)
    @Operation(
            operationId = "createFile",
            summary = "Upload a file",
            description = "Stores a file and validates it for its purpose. A `fine-tune` file is JSONL checked against"
                    + " both tasks (`tasks` lists those it suits); a `model` file must be a model archive. An"
                    + " unusable file is refused (400) with every problem, line by line, and nothing is kept.",
            // named in full: Spring's RequestBody is imported for the handler's parameters
            requestBody =
                    @io.swagger.v3.oas.annotations.parameters.RequestBody(
                            content =
                                    @Content(
                                            mediaType = MediaType.MULTIPART_FORM_DATA_VALUE,
                                            schema = @Schema(implementation = UploadForm.class))))
    FileObject upload(HttpServletRequest request) throws IOException {
        return FileObject.of(uploads.read(request, tenant.current()));
    }

    @GetMapping
    @Operation(
            operationId = "listFiles",
            summary = "List files",
            description = "The tenant's files, newest first (`order=asc`: oldest first). A query parameter the list"
                    + " does not take is refused (400 naming it).")
    ListObject<FileObject> list(
            @Parameter(description = "Only files with this purpose") @RequestParam(required = false) String purpose,
            @Parameter(description = "The id of the file this page continues after") @RequestParam(required = false)
                    String after,
            @Parameter(description = "Files per page, 1 to 10000 (default 20)")
                    @RequestParam(defaultValue = "20")
                    @Min(1)
                    @Max(10_000)
                    int limit,
            @Parameter(
                            description = "By creation time: `desc` (newest first, the default) or `asc`",
                            schema = @Schema(allowableValues = {"asc", "desc"}))
                    @RequestParam(required = false)
                    String order,
            HttpServletRequest request) {
        ListQuery.only(request, false, "purpose", "after", "limit", "order");
        return ListObject.of(
                        files.list(tenant.current(), purpose, after, ListQuery.oldestFirst(order), limit),
                        FileObject::of,
                        FileObject::id)
                .withStringIds();
    }

    @GetMapping("/{file_id}")
    @Operation(
            operationId = "retrieveFile",
            summary = "Get a file",
            description = "The file's metadata and validation result.")
    FileObject get(@PathVariable("file_id") String id) {
        return FileObject.of(files.get(tenant.current(), id));
    }

    @GetMapping("/{file_id}/content")
    @Operation(
            operationId = "downloadFile",
            summary = "Download a file's bytes",
            description = "Exactly the bytes that were uploaded.")
    @ApiResponse(
            responseCode = "200",
            description = "The bytes as uploaded",
            content =
                    @Content(
                            mediaType = "application/octet-stream",
                            schema = @Schema(type = "string", format = "binary")))
    ResponseEntity<InputStreamResource> content(@PathVariable("file_id") String id) throws IOException {
        FileRecord file = files.get(tenant.current(), id);
        return ResponseEntity.ok()
                .contentType(MediaType.APPLICATION_OCTET_STREAM)
                .contentLength(file.bytes())
                // RFC 6266: filename*=UTF-8''… carries any name; filename="…" an ASCII stand-in for old clients.
                // A bare non-Latin-1 filename="…" cannot be sent in a header at all (Tomcat drops it).
                .header(
                        HttpHeaders.CONTENT_DISPOSITION,
                        ContentDisposition.attachment()
                                .filename(file.filename(), StandardCharsets.UTF_8)
                                .build()
                                .toString())
                .body(new InputStreamResource(files.content(file)));
    }

    @DeleteMapping("/{file_id}")
    @Operation(
            operationId = "deleteFile",
            summary = "Delete a file",
            description = "Refused (409) while a queued, running or paused job uses the file.")
    DeletedObject delete(@PathVariable("file_id") String id) throws IOException {
        files.delete(tenant.current(), id);
        return new DeletedObject(id, "file", true);
    }
}
