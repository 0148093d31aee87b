package dev.sublinear.api;

import dev.sublinear.jobs.FileRecord;
import dev.sublinear.jobs.FileService;
import dev.sublinear.jobs.InvalidRequestException;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import java.io.IOException;
import java.io.InputStream;
import java.util.Map;
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
import org.springframework.web.bind.annotation.RequestPart;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.multipart.MultipartFile;

/** {@code /v1/files}: uploads for fine-tuning data and model archives. */
@RestController
@RequestMapping("/v1/files")
class FilesController {

    private final FileService files;
    private final Tenant tenant;

    FilesController(FileService files, Tenant tenant) {
        this.files = files;
        this.tenant = tenant;
    }

    @PostMapping(consumes = MediaType.MULTIPART_FORM_DATA_VALUE)
    @ResponseStatus(HttpStatus.CREATED)
    FileObject upload(@RequestPart(name = "file", required = false) MultipartFile file,
            @RequestParam(name = "purpose", required = false) String purpose) throws IOException {
        if (file == null) {
            throw new InvalidRequestException("file", "the multipart form needs a 'file' part");
        }
        if (purpose == null) {
            throw new InvalidRequestException("purpose", "the multipart form needs a 'purpose' field: fine-tune or model");
        }
        try (InputStream in = file.getInputStream()) {
            return FileObject.of(files.upload(tenant.current(), file.getOriginalFilename(), purpose, in));
        }
    }

    @GetMapping
    ListObject<FileObject> list(@RequestParam(required = false) String purpose,
            @RequestParam(required = false) String after,
            @RequestParam(defaultValue = "20") @Min(1) @Max(100) int limit) {
        return ListObject.of(files.list(tenant.current(), purpose, after, limit), FileObject::of, FileObject::id);
    }

    @GetMapping("/{file_id}")
    FileObject get(@PathVariable("file_id") String id) {
        return FileObject.of(files.get(tenant.current(), id));
    }

    @GetMapping("/{file_id}/content")
    ResponseEntity<InputStreamResource> content(@PathVariable("file_id") String id) throws IOException {
        FileRecord file = files.get(tenant.current(), id);
        return ResponseEntity.ok()
                .contentType(MediaType.APPLICATION_OCTET_STREAM)
                .contentLength(file.bytes())
                .header(HttpHeaders.CONTENT_DISPOSITION,
                        ContentDisposition.attachment().filename(file.filename()).build().toString())
                .body(new InputStreamResource(files.content(file)));
    }

    @DeleteMapping("/{file_id}")
    Map<String, Object> delete(@PathVariable("file_id") String id) throws IOException {
        files.delete(tenant.current(), id);
        return Map.of("id", id, "object", "file", "deleted", true);
    }
}
