package dev.sublinear.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sublinear.testing.RunningService;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.http.ContentDisposition;

/**
 * File names that display as something else (a right-to-left override turning {@code gnp.exe} into
 * {@code exe.png}, invisible or line-breaking characters, non-characters) are refused; every other
 * name, whatever its script, comes back on download in {@code Content-Disposition} as RFC 6266
 * {@code filename*=UTF-8''…} with an ASCII {@code filename} for old clients.
 */
class FileNamesTest {

    private static final byte[] LINES =
            "{\"text\": \"hello\"}\n{\"text\": \"world\"}\n".getBytes(StandardCharsets.UTF_8);

    @TempDir
    static Path dir;

    static RunningService service;

    @BeforeAll
    static void start() {
        service = RunningService.start(dir.resolve("data"), null);
    }

    @AfterAll
    static void stop() {
        service.close();
    }

    static Stream<Arguments> deceptiveNames() {
        return Stream.of(
                Arguments.of("right-to-left override", "evil\u202egnp.exe"),
                Arguments.of("left-to-right override", "a\u202db.jsonl"),
                Arguments.of("right-to-left isolate", "a\u2067b.jsonl"),
                Arguments.of("pop directional isolate", "a\u2069b.jsonl"),
                Arguments.of("Arabic letter mark", "a\u061cb.jsonl"),
                Arguments.of("zero-width space", "train\u200b.jsonl"),
                Arguments.of("zero-width joiner", "a\u200db.jsonl"),
                Arguments.of("byte order mark", "\ufefftrain.jsonl"),
                Arguments.of("soft hyphen", "tr\u00adain.jsonl"),
                Arguments.of("line separator", "a\u2028b.jsonl"),
                Arguments.of("paragraph separator", "a\u2029b.jsonl"),
                Arguments.of("next line (C1 control)", "a\u0085b.jsonl"),
                Arguments.of("DEL", "a\u007fb.jsonl"),
                Arguments.of("non-character U+FFFE", "a\ufffeb.jsonl"),
                Arguments.of("non-character U+FDD0", "a\ufdd0b.jsonl"),
                Arguments.of("non-character U+1FFFF", "a\ud83f\udfffb.jsonl"),
                Arguments.of("tag character", "a\udb40\udc41b.jsonl"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("deceptiveNames")
    void aDeceptiveFileNameIsRefused(String name, String filename) {
        RunningService.Response r = service.upload(filename, LINES, "fine-tune");
        BadInputTest.assertProblem(r, 400, "file", "invalid_request");
        assertThat(service.get("/v1/files?limit=100").json().get("data").toString())
                .doesNotContain("hello");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(
            strings = {
                "données-été.jsonl",
                "日本語のデータ.jsonl",
                "обучение.jsonl",
                "emoji-😀.jsonl",
                "plain.jsonl",
                "it's (1) [copy] #2.jsonl",
                "ملف.jsonl"
            })
    void anyOtherNameComesBackInContentDisposition(String filename) throws Exception {
        String id = service.upload(filename, LINES, "fine-tune")
                .expect(201)
                .json()
                .get("id")
                .asString();
        assertThat(service.get("/v1/files/" + id).json().get("filename").asString())
                .isEqualTo(filename);

        HttpResponse<byte[]> r = service.http()
                .send(service.request("/v1/files/" + id + "/content").build(), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEqualTo(LINES);
        String header = r.headers().firstValue("Content-Disposition").orElse(null);
        assertThat(header).as("Content-Disposition of %s", filename).isNotNull();
        // the header itself is plain ASCII, so no proxy or client mangles it
        assertThat(header.chars().allMatch(c -> c >= 0x20 && c < 0x7f))
                .as(header)
                .isTrue();
        assertThat(header).contains("filename=\"").contains("filename*=UTF-8''");
        ContentDisposition parsed = ContentDisposition.parse(header);
        assertThat(parsed.isAttachment()).isTrue();
        assertThat(parsed.getFilename()).isEqualTo(filename);
        service.delete("/v1/files/" + id).expect(200);
    }
}
