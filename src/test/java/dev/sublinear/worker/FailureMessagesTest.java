package dev.sublinear.worker;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A job's error and events say what failed without naming the server's files. */
class FailureMessagesTest {

    private final Path work = Path.of("/srv/sublinear data/work");
    private final FailureMessages messages = new FailureMessages(List.of(work));

    @Test
    void javaNioExceptionsKeepTheirKindAndReasonButNotTheirPaths() {
        String file = work.resolve("ftjob-1-attempt-1/training.jsonl").toString();
        assertThat(messages.describe(new NoSuchFileException(file)))
                .isEqualTo("the worker could not use a file it needs (NoSuchFileException)");
        assertThat(messages.describe(new FileSystemException(file, "/other/file", "No space left on device")))
                .isEqualTo("the worker could not use a file it needs (FileSystemException: No space left on device)");
        assertThat(messages.describe(new UncheckedIOException(new AccessDeniedException("/data/artifacts/x"))))
                .isEqualTo("the worker could not use a file it needs (AccessDeniedException)");
        assertThat(messages.describe(new IOException("cannot read /data/artifacts/models/ftjob-1.zip: truncated")))
                .isEqualTo("an I/O error on the worker (IOException: cannot read <server path>: truncated)");
    }

    @Test
    void pathsAnywhereInAMessageAreReplaced() {
        assertThat(messages.scrub("Model not found in: /root/.djl.ai/pytorch/2.5.1-cpu-linux-x86_64/libtorch.so"))
                .isEqualTo("Model not found in: <server path>");
        assertThat(messages.scrub("cannot delete " + work + "/ftjob-1-attempt-1/scratch, retrying"))
                .isEqualTo("cannot delete <server path>, retrying");
        assertThat(messages.scrub("jar:file:/opt/app/sublinear.jar!/BOOT-INF/lib/x.jar and 'C:\\Users\\ops\\data\\x'"))
                .isEqualTo("jar:file:<server path> and '<server path>'");
        assertThat(messages.scrub("(file:///var/lib/sublinear/work/x)")).isEqualTo("(file://<server path>)");
    }

    @Test
    void whatIsNotAPathIsLeftAlone() {
        for (String text : List.of(
                "loss is NaN at step 12/600",
                "learning_rate and/or clip_threshold too large",
                "line 3, field 'prompt': must be a string",
                "a / b",
                "checkpoint step-00000100 of ftjob-abc")) {
            assertThat(messages.scrub(text)).isEqualTo(text);
        }
    }

    @Test
    void aLongExceptionMessageIsCutShort() {
        String described = messages.describe(new IllegalStateException("x".repeat(10_000)));
        assertThat(described).startsWith("IllegalStateException: xxx").hasSizeLessThan(FailureMessages.MAX_LENGTH + 40);
        assertThat(messages.describe(new IllegalStateException())).isEqualTo("IllegalStateException");
    }
}
