package dev.sublinear.dashboard;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sublinear.testing.RunningService;
import dev.sublinear.training.SyntheticData;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
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
import tools.jackson.databind.JsonNode;

/**
 * The job page's memory breakdown in headless Chromium: the kinds and the parameters that save the
 * most, as the metrics endpoint gives them, with a screenshot in target/screenshots.
 */
class MemoryBreakdownTest {

    /** Parameter rows the page shows (memory.js); the rest sum into one row. */
    private static final int ROWS = 15;

    @TempDir
    static Path dir;

    static RunningService service;
    static WebDriver browser;

    @BeforeAll
    static void start() {
        service = RunningService.start(dir.resolve("data"), null);
        browser = HeadlessChromium.signedIn(
                dir.resolve("chromium-profile"), service.baseUrl() + "/#/jobs", RunningService.ADMIN_KEY);
    }

    @AfterAll
    static void stop() {
        HeadlessChromium.close(browser, service);
    }

    @Test
    void theJobPageShowsWhereTheOptimizerMemoryGoes() throws Exception {
        String file = service.uploadFile(SyntheticData.reversal(dir.resolve("train.jsonl"), 16, 1), "fine-tune");
        String create = """
                {"model": "lm-tiny", "training_file": "%s",
                 "hyperparameters": {"max_steps": 2, "batch_size": 4}}""";
        String job = service.createJob(create.formatted(file));
        service.awaitJob(job, RunningService.status("succeeded"), Duration.ofSeconds(240));
        JsonNode memory = service.get("/v1/fine_tuning/jobs/" + job + "/metrics")
                .expect(200)
                .json()
                .get("optimizer_memory");

        browser.get(service.baseUrl() + "/#/jobs/" + job);
        HeadlessChromium.waiting(browser, 60)
                .until(d -> !d.findElements(By.cssSelector("#memory-parameters tbody tr"))
                        .isEmpty());

        // by kind: every kind that has parameters, in the API's order, with its bytes
        List<String> kinds = new ArrayList<>();
        for (JsonNode k : memory.get("by_kind")) {
            if (k.get("parameters").asInt() > 0) {
                kinds.add(k.get("kind").asString());
            }
        }
        List<WebElement> kindRows = browser.findElements(By.cssSelector("#memory-kinds tbody tr"));
        assertThat(kindRows).extracting(r -> r.getAttribute("data-kind")).containsExactlyElementsOf(kinds);
        assertThat(kinds).contains("embeddings", "attention", "mlp", "norms_and_biases", "head");
        for (JsonNode k : memory.get("by_kind")) {
            if (k.get("parameters").asInt() == 0) {
                continue;
            }
            WebElement row = browser.findElement(By.cssSelector(
                    "#memory-kinds tr[data-kind='" + k.get("kind").asString() + "']"));
            assertThat(row.findElement(By.cssSelector("[data-state]")).getAttribute("data-state"))
                    .isEqualTo(k.get("state_bytes").asString());
            assertThat(row.findElement(By.cssSelector("[data-adam]")).getAttribute("data-adam"))
                    .isEqualTo(k.get("adam_equivalent_bytes").asString());
            assertThat(row.getText()).contains(k.get("kind").asString().replace('_', ' '));
        }

        // the parameters that save the most, in the API's order, then one row for the rest
        List<WebElement> rows = browser.findElements(By.cssSelector("#memory-parameters tbody tr[data-name]"));
        assertThat(rows).hasSize(ROWS);
        for (int i = 0; i < ROWS; i++) {
            JsonNode p = memory.get("by_parameter").get(i);
            WebElement row = rows.get(i);
            assertThat(row.getAttribute("data-name")).isEqualTo(p.get("name").asString());
            List<String> shape = new ArrayList<>();
            p.get("shape").forEach(n -> shape.add(n.asString()));
            assertThat(row.getText())
                    .contains(
                            p.get("name").asString(),
                            "[" + String.join(", ", shape) + "]",
                            p.get("second_moment").asString());
            assertThat(row.findElement(By.cssSelector("[data-state]")).getAttribute("data-state"))
                    .isEqualTo(p.get("state_bytes").asString());
            assertThat(row.findElement(By.cssSelector("[data-adam]")).getAttribute("data-adam"))
                    .isEqualTo(p.get("adam_equivalent_bytes").asString());
            // the state's bar never wider than Adam's; for the largest, Adam's spans the whole bar
            int adamWidth =
                    row.findElement(By.className("memory-adam")).getSize().getWidth();
            int stateWidth =
                    row.findElement(By.className("memory-state")).getSize().getWidth();
            assertThat(stateWidth).as(p.get("name").asString()).isLessThanOrEqualTo(adamWidth);
            if (i == 0) {
                int whole =
                        row.findElement(By.className("memory-bars")).getSize().getWidth();
                assertThat(adamWidth).isEqualTo(whole);
                assertThat(stateWidth).isPositive().isLessThan(whole / 10);
            }
        }
        int parameters = memory.get("parameter_count").asInt();
        assertThat(browser.findElement(By.id("memory-rest")).getAttribute("data-parameters"))
                .isEqualTo(String.valueOf(parameters - ROWS));
        assertThat(browser.findElement(By.cssSelector("#memory-breakdown .memory-total"))
                        .getText())
                .startsWith(parameters + " parameters:");

        Files.createDirectories(DashboardTest.SCREENSHOTS);
        WebElement breakdown = browser.findElement(By.id("memory-breakdown"));
        ((JavascriptExecutor) browser).executeScript("arguments[0].scrollIntoView()", breakdown);
        Path shot = DashboardTest.SCREENSHOTS.resolve("job-memory-breakdown.png");
        Files.write(shot, breakdown.getScreenshotAs(OutputType.BYTES));
        assertThat(Files.size(shot)).isGreaterThan(10_000);
        Files.write(
                DashboardTest.SCREENSHOTS.resolve("job-page-memory.png"),
                ((TakesScreenshot) browser).getScreenshotAs(OutputType.BYTES));
    }
}
