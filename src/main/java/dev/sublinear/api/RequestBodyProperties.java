package dev.sublinear.api;

import jakarta.validation.constraints.NotNull;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;
import org.springframework.validation.annotation.Validated;

/**
 * Request body sizes, under {@code sublinear.request-body.*}. Uploads ({@code POST /v1/files}) have
 * their own limits ({@code sublinear.limits.max-upload-bytes}, the tenant's override, and
 * {@code spring.servlet.multipart.*}); every other endpoint takes at most a small JSON body.
 *
 * @param maxJsonSize the largest body of any other request (job creation, completions, predictions,
 *     admin writes), checked against {@code Content-Length} before anything is read and counted while
 *     a chunked body is read; past it, 413. The largest valid bodies are well under the default 64KB:
 *     a job with 16 metadata entries of 64 + 512 characters is about 10 KB (30 KB in 3-byte
 *     UTF-8), a 10,000-character prompt 10 to 30 KB, and 60 KB even with every character written as a
 *     six-byte JSON escape.
 */
@Validated
@ConfigurationProperties("sublinear.request-body")
public record RequestBodyProperties(
        @NotNull @DefaultValue("64KB") DataSize maxJsonSize) {

    public RequestBodyProperties {
        if (maxJsonSize != null && (maxJsonSize.toBytes() < 1024 || maxJsonSize.toBytes() > 64L << 20)) {
            throw new IllegalArgumentException(
                    "sublinear.request-body.max-json-size (" + maxJsonSize + ") must be from 1KB to 64MB");
        }
    }
}
