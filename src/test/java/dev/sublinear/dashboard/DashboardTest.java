package dev.sublinear.dashboard;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sublinear.testing.RunningService;
import dev.sublinear.training.SyntheticData;
import java.nio.file.Files;
import java.nio.file.Path;
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

/**
 * The dashboard in headless Chromium (Debian's chromium and chromedriver) against the real
 * service: upload through the Files page, create a job from the Jobs page, watch it train on its
 * page (charts drawn, events streaming, a screenshot mid-training), and see it on the other pages.
 */
class DashboardTest {

    static final Path SCREENSHOTS = Path.of("target", "screenshots");

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

    private static WebDriverWait waiting(int seconds) {
        return HeadlessChromium.waiting(browser, seconds);
    }

    @Test
    void aJobDrivenThroughThePages() throws Exception {
        Path training = SyntheticData.reversal(dir.resolve("reverse.jsonl"), 48, 1);
        browser.get(service.baseUrl() + "/#/files");
        waiting(20).until(d -> !d.findElements(By.id("upload-file")).isEmpty());
        browser.findElement(By.id("upload-file"))
                .sendKeys(training.toAbsolutePath().toString());
        browser.findElement(By.cssSelector("#upload button")).click();
        waiting(30).until(d -> d.findElement(By.id("upload-result")).getText().contains("Uploaded reverse.jsonl"));

        browser.get(service.baseUrl() + "/#/jobs");
        waiting(20)
                .until(d -> !d.findElements(By.cssSelector("#new-job select[name=training_file] option"))
                        .isEmpty());
        new Select(browser.findElement(By.cssSelector("#new-job select[name=model]"))).selectByValue("lm-tiny");
        WebElement epochs = browser.findElement(By.cssSelector("#new-job input[name=n_epochs]"));
        epochs.clear();
        epochs.sendKeys("40");
        browser.findElement(By.cssSelector("#new-job button")).click();
        waiting(30).until(d -> d.getCurrentUrl().contains("#/jobs/ftjob-"));
        String jobId = browser.getCurrentUrl().substring(browser.getCurrentUrl().indexOf("ftjob-"));

        // mid-training: the loss chart has drawn points and the events stream in
        // (the status is drawn before the charts: a chart not drawn yet has no data-points)
        waiting(120).until(d -> {
            String points = d.findElement(By.id("chart-loss")).getAttribute("data-points");
            return d.findElement(By.id("job-status")).getText().equals("running")
                    && points != null
                    && Integer.parseInt(points) >= 5;
        });
        waiting(30).until(d -> d.findElement(By.id("events")).getText().contains("status: Attempt 1 started"));
        Files.createDirectories(SCREENSHOTS);
        Path shot = SCREENSHOTS.resolve("job-page-training.png");
        Files.write(shot, ((TakesScreenshot) browser).getScreenshotAs(OutputType.BYTES));
        assertThat(Files.size(shot)).isGreaterThan(10_000);
        assertThat(nonBlankPixels("chart-loss"))
                .as("pixels drawn on the loss chart")
                .isGreaterThan(200);
        assertThat(Integer.parseInt(browser.findElement(By.id("chart-memory")).getAttribute("data-points")))
                .isEqualTo(3);

        // pause and resume from the page
        browser.findElement(By.id("pause")).click();
        waiting(60).until(d -> d.findElement(By.id("job-status")).getText().equals("paused"));
        browser.findElement(By.id("resume")).click();
        waiting(60).until(d -> !d.findElement(By.id("job-status")).getText().equals("paused"));
        waiting(240).until(d -> d.findElement(By.id("job-status")).getText().equals("succeeded"));
        waiting(30).until(d -> d.findElement(By.id("events")).getText().contains("status: Job succeeded"));
        assertThat(browser.findElement(By.id("checkpoints")).findElements(By.tagName("li")))
                .isNotEmpty();
        Files.write(
                SCREENSHOTS.resolve("job-page-done.png"),
                ((TakesScreenshot) browser).getScreenshotAs(OutputType.BYTES));

        browser.get(service.baseUrl() + "/#/jobs");
        waiting(20).until(d -> d.findElement(By.id("jobs")).getText().contains(jobId));
        browser.get(service.baseUrl() + "/#/models");
        waiting(20).until(d -> d.findElement(By.id("models")).getText().contains("ft:lm-tiny::" + jobId));
        browser.get(service.baseUrl() + "/#/workers");
        waiting(20).until(d -> d.findElement(By.id("workers")).getText().contains("cpu"));
    }

    @Test
    void aBadUploadShowsItsProblemsByLine() throws Exception {
        Path bad = Files.writeString(dir.resolve("bad.jsonl"), "{\"prompt\": 1}\nnot json\n");
        browser.get(service.baseUrl() + "/#/files");
        waiting(20).until(d -> !d.findElements(By.id("upload-file")).isEmpty());
        browser.findElement(By.id("upload-file")).sendKeys(bad.toAbsolutePath().toString());
        browser.findElement(By.cssSelector("#upload button")).click();
        waiting(30).until(d -> !d.findElements(By.id("problem")).isEmpty());
        assertThat(browser.findElement(By.id("problem")).getText())
                .contains("line 1, field 'prompt': must be a string", "line 2: is not valid JSON", "field: file");
    }

    /** Pixels of a canvas that are not transparent. */
    private static long nonBlankPixels(String canvasId) {
        Object n = ((JavascriptExecutor) browser)
                .executeScript(
                        "const c = document.getElementById(arguments[0]); const d = c.getContext('2d')"
                                + ".getImageData(0, 0, c.width, c.height).data; let n = 0;"
                                + " for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++; return n;",
                        canvasId);
        return ((Number) n).longValue();
    }
}
