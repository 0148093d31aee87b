package dev.sublinear.dashboard;

import static dev.sublinear.testing.RunningService.status;
import static org.assertj.core.api.Assertions.assertThat;

import dev.sublinear.testing.RunningService;
import dev.sublinear.testing.TinyHfModels;
import dev.sublinear.training.SyntheticData;
import dev.sublinear.training.weights.WeightType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;
import tools.jackson.databind.JsonNode;

/**
 * The dashboard's playground in headless Chromium against the real service: a model fine-tuned
 * through the service answers a chat streamed token by token (the text is seen growing before the
 * stream ends), side by side with its base, and a refused request shows its problem.
 */
class PlaygroundTest {

    private static final String BASE = "tiny-qwen3";
    private static final int MAX_TOKENS = 48;

    @TempDir
    static Path dir;

    static RunningService service;
    static WebDriver browser;
    static String fineTuned;

    @BeforeAll
    static void start() throws Exception {
        Path models = Files.createDirectories(dir.resolve("models"));
        // ChatML, the conversation format of Qwen's own templates, rendered by the service's Jinja engine
        TinyHfModels.qwen3ChatMl(models.resolve(BASE), WeightType.F32, 31, false);
        service = RunningService.start(dir.resolve("data"), null, "--sublinear.models.dir=" + models);
        String training = service.uploadFile(SyntheticData.reversal(dir.resolve("train.jsonl"), 32, 2), "fine-tune");
        String jobId = service.createJob("""
                {"model": "%s", "training_file": "%s",
                 "hyperparameters": {"max_steps": 4, "batch_size": 8}}""".formatted(BASE, training));
        JsonNode job = service.awaitJob(jobId, status("succeeded", "failed", "cancelled"), Duration.ofSeconds(240));
        assertThat(job.get("status").asString()).as(job.toString()).isEqualTo("succeeded");
        fineTuned = job.get("fine_tuned_model").asString();
        browser = HeadlessChromium.signedIn(
                dir.resolve("chromium-profile"), service.baseUrl() + "/#/playground", RunningService.ADMIN_KEY);
    }

    @AfterAll
    static void stop() {
        HeadlessChromium.close(browser, service);
    }

    private static WebDriverWait waiting(int seconds) {
        return HeadlessChromium.waiting(browser, seconds);
    }

    /** Opens the playground afresh and fills its form; the prompt is typed, not sent. */
    private static void open(String model, String mode, String temperature, String prompt) {
        browser.get(service.baseUrl() + "/#/playground");
        browser.navigate().refresh();
        waiting(20)
                .until(d -> !d.findElements(By.cssSelector("#pg-model option[value='" + fineTuned + "']"))
                        .isEmpty());
        new Select(browser.findElement(By.id("pg-model"))).selectByValue(model);
        new Select(browser.findElement(By.id("pg-mode"))).selectByValue(mode);
        set("pg-temperature", temperature);
        set("pg-max-tokens", String.valueOf(MAX_TOKENS));
        browser.findElement(By.id("pg-prompt")).sendKeys(prompt);
    }

    private static void set(String id, String value) {
        WebElement input = browser.findElement(By.id(id));
        input.clear();
        input.sendKeys(value);
    }

    /** The answer's text once its turn is done in a pane ("a" or "b"). */
    private static String awaitAnswer(String pane) {
        By done = By.cssSelector("#pane-" + pane + " .msg.assistant[data-state=done]");
        waiting(120).until(d -> !d.findElements(done).isEmpty());
        return browser.findElement(done).findElement(By.className("answer")).getDomProperty("textContent");
    }

    @Test
    void aChatWithTheFineTunedModelStreamsTokenByToken() throws Exception {
        open(fineTuned, "chat", "0", "abc");
        // every length the answer has while its turn is still streaming, as the DOM changes
        ((JavascriptExecutor) browser)
                .executeScript("window.seenLengths = []; new MutationObserver(() => document.querySelectorAll("
                        + "'.msg.assistant[data-state=streaming] .answer').forEach(a =>"
                        + " window.seenLengths.push(a.textContent.length))).observe("
                        + "document.querySelector('.panes'), {childList: true, subtree: true,"
                        + " characterData: true});");
        browser.findElement(By.id("pg-send")).click();
        String answer = awaitAnswer("a");

        String expected = service.post("/v1/chat/completions", """
                        {"model": "%s", "messages": [{"role": "user", "content": "abc"}],
                         "temperature": 0, "max_tokens": %d}""".formatted(fineTuned, MAX_TOKENS))
                .expect(200)
                .json()
                .get("choices")
                .get(0)
                .get("message")
                .get("content")
                .asString();
        assertThat(answer).as("the page shows what the API answers").isEqualTo(expected);
        assertThat(answer).isNotEmpty();
        @SuppressWarnings("unchecked")
        List<Number> seen = (List<Number>) ((JavascriptExecutor) browser).executeScript("return window.seenLengths;");
        List<Long> partial = seen.stream()
                .map(Number::longValue)
                .filter(n -> n > 0 && n < expected.length())
                .distinct()
                .toList();
        assertThat(partial)
                .as("partial answers seen while streaming (all lengths seen: %s)", seen)
                .hasSizeGreaterThanOrEqualTo(2);
        assertThat(browser.findElement(By.cssSelector("#pane-a .msg.user")).getText())
                .isEqualTo("abc");
        assertThat(browser.findElement(By.cssSelector("#pane-a .meta")).getText())
                .matches("\\d+ chunks · (stop|length)");
    }

    @Test
    void theFineTunedModelAndItsBaseAnswerSideBySide() throws Exception {
        open(fineTuned, "complete", "0", "abc");
        browser.findElement(By.id("pg-compare")).click();
        assertThat(new Select(browser.findElement(By.id("pg-model-b")))
                        .getFirstSelectedOption()
                        .getAttribute("value"))
                .as("a fine-tuned model is compared with its base")
                .isEqualTo(BASE);
        browser.findElement(By.id("pg-send")).click();
        String tuned = awaitAnswer("a");
        String base = awaitAnswer("b");
        assertThat(browser.findElement(By.cssSelector("#pane-a h3")).getText()).isEqualTo(fineTuned);
        assertThat(browser.findElement(By.cssSelector("#pane-b h3")).getText()).isEqualTo(BASE);
        assertThat(tuned).isEqualTo(completion(fineTuned));
        assertThat(base).isEqualTo(completion(BASE));
        Files.createDirectories(DashboardTest.SCREENSHOTS);
        Path shot = DashboardTest.SCREENSHOTS.resolve("playground-side-by-side.png");
        Files.write(shot, ((TakesScreenshot) browser).getScreenshotAs(OutputType.BYTES));
        assertThat(Files.size(shot)).isGreaterThan(10_000);
    }

    @Test
    void aRefusedRequestShowsItsProblemInThePane() {
        // the catalog's character-level model has no chat template: the service refuses to chat with it
        open("lm-tiny", "chat", "0", "abc");
        browser.findElement(By.id("pg-send")).click();
        waiting(60)
                .until(d -> !d.findElements(By.cssSelector("#pane-a .problem")).isEmpty());
        assertThat(browser.findElement(By.cssSelector("#pane-a .problem")).getText())
                .contains("Bad Request: ", "chat template", "field: model");
        assertThat(browser.findElement(By.cssSelector("#pane-a .msg.assistant")).getAttribute("data-state"))
                .isEqualTo("done");
    }

    private static String completion(String model) {
        return service.post("/v1/completions", """
                        {"model": "%s", "prompt": "abc",
                         "temperature": 0, "max_tokens": %d}""".formatted(model, MAX_TOKENS))
                .expect(200)
                .json()
                .get("choices")
                .get(0)
                .get("text")
                .asString();
    }
}
